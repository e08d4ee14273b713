package dev.fanout.examples.e2e;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The headless-Service stand-in used only when dnsmasq is not installed: a tiny authoritative
 * DNS server over UDP, built on dnsjava's message classes, answering A records (a headless
 * Service name lists its ready pods) and SRV records (a named port), with TTL 0.
 */
final class LoopbackDns implements AutoCloseable {
  private final DatagramSocket udp;
  private final Map<Name, List<Record>> zone = new ConcurrentHashMap<>();
  private volatile boolean closed;

  LoopbackDns(String ip, int port) throws IOException {
    udp = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ip), port));
    Stack.daemon("loopback-dns").newThread(this::serve).start();
  }

  int port() {
    return udp.getLocalPort();
  }

  void a(String name, String ip) throws IOException {
    Name n = name(name);
    // Copy-on-write: a replica may join while the server answers.
    zone.computeIfAbsent(n, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
        .add(new ARecord(n, DClass.IN, 0, InetAddress.getByName(ip)));
  }

  void srv(String name, String target, int port) {
    Name n = name(name);
    zone.computeIfAbsent(n, k -> new ArrayList<>())
        .add(new SRVRecord(n, DClass.IN, 0, 0, 10, port, name(target)));
  }

  private static Name name(String s) {
    try {
      return Name.fromString(s.endsWith(".") ? s : s + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException(s, e);
    }
  }

  private void serve() {
    byte[] buf = new byte[4096];
    while (!closed) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        udp.receive(p);
        Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
        byte[] answer = answer(q).toWire(512);
        udp.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private Message answer(Message q) {
    Message r = new Message(q.getHeader().getID());
    r.getHeader().setFlag(Flags.QR);
    r.getHeader().setFlag(Flags.AA);
    Record question = q.getQuestion();
    if (question == null) {
      r.getHeader().setRcode(Rcode.FORMERR);
      return r;
    }
    r.addRecord(question, Section.QUESTION);
    List<Record> records = zone.get(question.getName());
    if (records == null) {
      r.getHeader().setRcode(Rcode.NXDOMAIN);
      return r;
    }
    for (Record rec : records) {
      if (rec.getType() == question.getType()) {
        r.addRecord(rec, Section.ANSWER);
        if (rec instanceof SRVRecord srv) {
          for (Record extra : zone.getOrDefault(srv.getTarget(), List.of())) {
            if (extra.getType() == Type.A) {
              r.addRecord(extra, Section.ADDITIONAL);
            }
          }
        }
      }
    }
    return r;
  }

  @Override
  public void close() {
    closed = true;
    udp.close();
  }
}
