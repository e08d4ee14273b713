package dev.fanout.k8s;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A small authoritative DNS server on 127.0.0.1, UDP and TCP on the same port, built on dnsjava's
 * message classes. It answers from a record table and can be told to answer SERVFAIL, NXDOMAIN or
 * nothing at all for a number of queries. UDP answers larger than the client's advertised size
 * (512 bytes, or its EDNS payload size) are truncated with the TC bit, as a real server does.
 */
final class FakeDnsServer implements AutoCloseable {
  /** One query the server received. */
  record Query(String transport, Name name, int type) {}

  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final Map<Name, List<Record>> zone = new ConcurrentHashMap<>();
  private final Map<Name, AtomicInteger> servfail = new ConcurrentHashMap<>();
  private final Map<Name, AtomicInteger> drop = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> nxdomain = new ConcurrentHashMap<>();
  private final List<Query> queries = new CopyOnWriteArrayList<>();
  private volatile boolean addAdditional = true;
  private volatile boolean closed;

  FakeDnsServer() throws IOException {
    DatagramSocket u = null;
    ServerSocket t = null;
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    for (int i = 0; i < 20 && t == null; i++) {
      u = new DatagramSocket(new InetSocketAddress(loopback, 0));
      try {
        t = new ServerSocket();
        t.bind(new InetSocketAddress(loopback, u.getLocalPort()), 50);
      } catch (IOException e) {
        u.close();
        t = null;
      }
    }
    if (t == null) {
      throw new IOException("no port free for both UDP and TCP");
    }
    this.udp = u;
    this.tcp = t;
    daemon("fake-dns-udp", this::serveUdp);
    daemon("fake-dns-tcp", this::serveTcp);
  }

  int port() {
    return udp.getLocalPort();
  }

  static Name name(String s) {
    try {
      return Name.fromString(s.endsWith(".") ? s : s + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException(e);
    }
  }

  FakeDnsServer add(Record r) {
    zone.computeIfAbsent(r.getName(), n -> new CopyOnWriteArrayList<>()).add(r);
    return this;
  }

  FakeDnsServer add(String text) {
    try {
      String[] p = text.trim().split("\\s+", 4);
      // "<name> <ttl> <type> <rdata>"
      return add(Record.fromString(name(p[0]), Type.value(p[2]), DClass.IN, Long.parseLong(p[1]),
          p[3], Name.root));
    } catch (IOException e) {
      throw new IllegalArgumentException(text, e);
    }
  }

  /** Replaces every record of the name with these ({@code "<name> <ttl> <type> <rdata>"} each). */
  FakeDnsServer replace(String n, String... records) {
    List<Record> fresh = new CopyOnWriteArrayList<>();
    for (String text : records) {
      String[] p = text.trim().split("\\s+", 4);
      try {
        fresh.add(Record.fromString(name(p[0]), Type.value(p[2]), DClass.IN, Long.parseLong(p[1]),
            p[3], Name.root));
      } catch (IOException e) {
        throw new IllegalArgumentException(text, e);
      }
    }
    zone.put(name(n), fresh);
    return this;
  }

  /** Declares the name as existing (NODATA for types it has no records of). */
  FakeDnsServer exists(String n) {
    zone.computeIfAbsent(name(n), x -> new CopyOnWriteArrayList<>());
    return this;
  }

  FakeDnsServer servfail(String n, int times) {
    servfail.put(name(n), new AtomicInteger(times));
    return this;
  }

  FakeDnsServer drop(String n, int times) {
    drop.put(name(n), new AtomicInteger(times));
    return this;
  }

  /** Answers NXDOMAIN to the next {@code times} queries for this name and record type. */
  FakeDnsServer nxdomain(String n, int type, int times) {
    nxdomain.put(name(n) + "/" + type, new AtomicInteger(times));
    return this;
  }

  FakeDnsServer withoutAdditional() {
    addAdditional = false;
    return this;
  }

  List<Query> queries() {
    return List.copyOf(queries);
  }

  long count(String transport, String n, int type) {
    Name x = name(n);
    return queries.stream().filter(q -> (transport == null || q.transport().equals(transport))
        && q.name().equals(x) && q.type() == type).count();
  }

  private static <K> boolean take(Map<K, AtomicInteger> m, K n) {
    AtomicInteger left = m.get(n);
    return left != null && left.getAndDecrement() > 0;
  }

  Message answer(Message q, String transport) {
    Record question = q.getQuestion();
    Name n = question.getName();
    int type = question.getType();
    queries.add(new Query(transport, n, type));
    if (take(drop, n)) {
      return null;
    }
    Message r = new Message(q.getHeader().getID());
    r.getHeader().setFlag(Flags.QR);
    r.getHeader().setFlag(Flags.AA);
    if (q.getHeader().getFlag(Flags.RD)) {
      r.getHeader().setFlag(Flags.RD);
    }
    r.addRecord(question, Section.QUESTION);
    if (take(servfail, n)) {
      r.getHeader().setRcode(Rcode.SERVFAIL);
      return r;
    }
    List<Record> records = zone.get(n);
    if (take(nxdomain, n + "/" + type) || records == null) {
      r.getHeader().setRcode(Rcode.NXDOMAIN);
      return r;
    }
    for (Record rec : records) {
      if (rec.getType() == type || rec.getType() == Type.CNAME) {
        r.addRecord(rec, Section.ANSWER);
        if (rec instanceof SRVRecord s && addAdditional) {
          for (Record a : zone.getOrDefault(s.getTarget(), List.of())) {
            if (a.getType() == Type.A || a.getType() == Type.AAAA) {
              r.addRecord(a, Section.ADDITIONAL);
            }
          }
        }
      }
    }
    return r;
  }

  private void serveUdp() {
    byte[] buf = new byte[65535];
    while (!closed) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        udp.receive(p);
        Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
        Message r = answer(q, "udp");
        if (r == null) {
          continue;
        }
        OPTRecord opt = q.getOPT();
        int max = opt == null ? 512 : Math.max(512, opt.getPayloadSize());
        byte[] out = r.toWire(max);
        udp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
      } catch (SocketException e) {
        return;
      } catch (IOException e) {
        // A malformed query: ignore it, as a server would.
      }
    }
  }

  private void serveTcp() {
    while (!closed) {
      try (Socket s = tcp.accept()) {
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        while (true) {
          int len;
          try {
            len = in.readUnsignedShort();
          } catch (IOException eof) {
            break;
          }
          byte[] b = new byte[len];
          in.readFully(b);
          Message r = answer(new Message(b), "tcp");
          if (r == null) {
            break;
          }
          byte[] wire = r.toWire(65535);
          out.writeShort(wire.length);
          out.write(wire);
          out.flush();
        }
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private static void daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  List<String> names() {
    List<String> out = new ArrayList<>();
    zone.keySet().forEach(n -> out.add(n.toString()));
    return out;
  }

  @Override
  public void close() {
    closed = true;
    udp.close();
    try {
      tcp.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
