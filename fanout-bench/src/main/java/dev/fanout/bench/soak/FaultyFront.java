package dev.fanout.bench.soak;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A misbehaving replica: a loopback listener in front of one real receiver's {@code ReceiverServer}
 * that passes each request on and relays the answer, or, with the configured probability, does one
 * of four things a sick pod does instead: answers 503, resets the connection, stalls (never answers),
 * or trickles its answer's body. A reset or stall passes the request on first half of the time, so
 * the receiver applied the invalidation and only the acknowledgement is lost, as when a pod dies
 * after its handler ran.
 *
 * <p>One thread per client connection, named {@code soak-fault-*}, ending with the connection.
 */
final class FaultyFront implements AutoCloseable {
  /** What the front does with one request. */
  enum Fault {
    /** Passes it on and relays the answer untouched. */
    NONE,
    /** Answers 503 itself. */
    UNAVAILABLE,
    /** Resets the connection (RST). */
    RESET,
    /** Never answers; holds the connection until the client gives up. */
    STALL,
    /**
     * Relays the answer's head at once, then its body in four pieces, 250 ms to 2.5 s apart: about
     * half the time the whole answer takes longer than the sender's 5 s attempt timeout.
     */
    SLOW_BODY
  }

  private static final int MAX_HEAD = 16 * 1024;
  private static final int SLOW_PIECES = 4;
  private static final int MAX_BODY = 1 << 20;
  /** A stalled connection the client never closes is dropped after this long. */
  private static final int STALL_LIMIT_MILLIS = 120_000;
  private static final byte[] UNAVAILABLE = ("HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
      + "content-length: 23\r\n\r\n{\"error\":\"unavailable\"}").getBytes(StandardCharsets.ISO_8859_1);

  private final ServerSocket listener;
  private final InetSocketAddress backend;
  private final double probability;
  /** Guarded by itself: the sequence of draws follows the seed, their interleaving does not. */
  private final Random random;
  private final Map<Fault, LongAdder> counts = new EnumMap<>(Fault.class);
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean closed;

  private FaultyFront(String ip, InetSocketAddress backend, double probability, long seed) throws IOException {
    this.listener = new ServerSocket(0, 128, InetAddress.getByName(ip));
    this.backend = backend;
    this.probability = probability;
    this.random = new Random(seed);
    for (Fault f : Fault.values()) {
      counts.put(f, new LongAdder());
    }
    Thread acceptor = new Thread(this::acceptLoop, "soak-fault-accept-" + ip);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Starts a front on {@code ip} (a free port) for the receiver at {@code backend}.
   *
   * @param ip the loopback address to listen on
   * @param backend the real receiver's address
   * @param probability the chance that a request meets a fault
   * @param seed seeds the fault draws
   * @return the running front
   * @throws IOException if it cannot listen
   */
  static FaultyFront start(String ip, InetSocketAddress backend, double probability, long seed) throws IOException {
    return new FaultyFront(ip, backend, probability, seed);
  }

  /** The port senders reach this front on. */
  int port() {
    return listener.getLocalPort();
  }

  /** How many requests met each fault ({@link Fault#NONE}: passed on untouched). */
  Map<Fault, Long> counts() {
    Map<Fault, Long> out = new EnumMap<>(Fault.class);
    counts.forEach((f, n) -> out.put(f, n.sum()));
    return out;
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(listener);
    open.forEach(FaultyFront::closeQuietly);
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        open.add(client);
        Thread t = new Thread(() -> serve(client), "soak-fault-conn-" + connections.incrementAndGet());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          pause();
        }
      }
    }
  }

  private Fault draw() {
    synchronized (random) {
      if (random.nextDouble() >= probability) {
        return Fault.NONE;
      }
      return Fault.values()[1 + random.nextInt(Fault.values().length - 1)];
    }
  }

  private boolean coin() {
    synchronized (random) {
      return random.nextBoolean();
    }
  }

  private int trickleDelayMillis() {
    synchronized (random) {
      return 250 + random.nextInt(2251);
    }
  }

  /** Serves one client connection, request by request, over one kept-alive backend connection. */
  private void serve(Socket client) {
    Socket upstream = null;
    InputStream upstreamIn = null;
    try {
      InputStream in = new BufferedInputStream(client.getInputStream());
      OutputStream out = client.getOutputStream();
      Message request;
      while ((request = Message.read(in)) != null) {
        Fault fault = draw();
        counts.get(fault).increment();
        if (fault == Fault.UNAVAILABLE) {
          out.write(UNAVAILABLE);
          out.flush();
          continue;
        }
        boolean pass = fault == Fault.NONE || fault == Fault.SLOW_BODY || coin();
        Message answer = null;
        if (pass) {
          if (upstream == null || upstream.isClosed()) {
            upstream = new Socket();
            upstream.connect(backend, 2_000);
            upstream.setSoTimeout(60_000);
            upstreamIn = new BufferedInputStream(upstream.getInputStream());
          }
          request.writeTo(upstream.getOutputStream());
          answer = Message.read(upstreamIn);
          if (answer == null) {
            throw new SocketException("the receiver closed the connection");
          }
          if (answer.closes()) {
            closeQuietly(upstream);
            upstream = null;
          }
        }
        switch (fault) {
          case RESET:
            client.setSoLinger(true, 0);
            return;
          case STALL:
            client.setSoTimeout(STALL_LIMIT_MILLIS);
            drain(in);
            return;
          case SLOW_BODY:
            out.write(answer.head());
            out.flush();
            byte[] body = answer.body();
            for (int piece = 0; piece < SLOW_PIECES; piece++) {
              Thread.sleep(trickleDelayMillis());
              out.write(body, body.length * piece / SLOW_PIECES,
                  body.length * (piece + 1) / SLOW_PIECES - body.length * piece / SLOW_PIECES);
              out.flush();
            }
            break;
          default:
            answer.writeTo(out);
        }
        if (answer.closes()) {
          return;
        }
      }
    } catch (IOException e) {
      // The client gave up (timeout, closed) or the front was closed: the connection ends.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      open.remove(client);
      closeQuietly(client);
      if (upstream != null) {
        closeQuietly(upstream);
      }
    }
  }

  /** Reads and discards until the client closes or the stall limit passes. */
  private static void drain(InputStream in) throws IOException {
    byte[] sink = new byte[4096];
    try {
      while (in.read(sink) >= 0) {
        // a stalled pod reads and never answers
      }
    } catch (SocketTimeoutException e) {
      // the stall limit: drop the connection
    }
  }

  private static void pause() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** One HTTP/1.1 message framed by {@code Content-Length}, as fanout's sender and receiver write them. */
  record Message(byte[] head, byte[] body) {
    /** Reads one message; null at a clean end of stream before its first byte. */
    static Message read(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream(512);
      int state = 0;
      while (state < 4) {
        int b = in.read();
        if (b < 0) {
          if (head.size() == 0) {
            return null;
          }
          throw new SocketException("end of stream inside a message head");
        }
        head.write(b);
        if (head.size() > MAX_HEAD) {
          throw new SocketException("message head too large");
        }
        state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
            ? state + 1 : b == '\r' ? 1 : 0;
      }
      byte[] h = head.toByteArray();
      int length = contentLength(new String(h, StandardCharsets.ISO_8859_1));
      byte[] body = in.readNBytes(length);
      if (body.length < length) {
        throw new SocketException("end of stream inside a message body");
      }
      return new Message(h, body);
    }

    private static int contentLength(String head) throws SocketException {
      for (String line : head.split("\r\n")) {
        if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
          int n = Integer.parseInt(line.substring(15).trim());
          if (n < 0 || n > MAX_BODY) {
            throw new SocketException("bad content-length " + n);
          }
          return n;
        }
      }
      return 0;
    }

    /** Whether the message says the connection closes after it. */
    boolean closes() {
      return new String(head, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT).contains("\r\nconnection: close");
    }

    void writeTo(OutputStream out) throws IOException {
      out.write(head);
      out.write(body);
      out.flush();
    }
  }
}
