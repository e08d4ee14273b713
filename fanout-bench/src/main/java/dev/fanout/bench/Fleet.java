package dev.fanout.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * N stand-in replicas in one process on one selector thread: each listens on its own loopback
 * address ({@link #address(int)}) and answers every request after a fixed delay D. Commands on
 * stdin: {@code reset} zeroes the per-address counters; {@code check K} prints {@code OK} if every
 * address received exactly K requests since the reset, or the first mismatch; {@code quit}.
 */
public final class Fleet {
  static final int PORT = 8080;
  private final int port;
  private static final byte[] REPLY =
      "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"ok\":true}"
          .getBytes(StandardCharsets.US_ASCII);

  private final Selector selector;
  private final long delayNanos;
  private final AtomicIntegerArray counts;
  private final PriorityQueue<long[]> due = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
  private final List<SocketChannel> byId = new ArrayList<>();

  /** Per-connection state. */
  private static final class Conn {
    final int endpoint;
    final int id;
    final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
    ByteBuffer out;
    int pendingReplies;

    Conn(int endpoint, int id) {
      this.endpoint = endpoint;
      this.id = id;
    }
  }

  private Fleet(int n, long delayMillis, int port) throws IOException {
    this.port = port;
    this.selector = Selector.open();
    this.delayNanos = delayMillis * 1_000_000L;
    this.counts = new AtomicIntegerArray(n);
    for (int i = 0; i < n; i++) {
      ServerSocketChannel server = ServerSocketChannel.open();
      server.bind(new InetSocketAddress(address(i), this.port), 1024);
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT, i);
    }
  }

  /**
   * Returns the loopback address of endpoint {@code i}: 127.1.0.1, 127.1.0.2, ... 127.1.0.250,
   * 127.1.1.1, ...
   *
   * @param i the endpoint index
   * @return the address
   */
  public static String address(int i) {
    return "127.1." + (i / 250) + "." + (i % 250 + 1);
  }

  /**
   * Runs the fleet.
   *
   * @param args N, D in milliseconds, and optionally the port (default 8080)
   * @throws IOException if it cannot bind
   */
  public static void main(String[] args) throws IOException {
    int n = Integer.parseInt(args[0]);
    long d = Long.parseLong(args[1]);
    Fleet fleet = new Fleet(n, d, args.length > 2 ? Integer.parseInt(args[2]) : PORT);
    Thread control = new Thread(() -> fleet.control(n), "fleet-control");
    control.setDaemon(true);
    control.start();
    System.out.println("READY " + n);
    System.out.flush();
    fleet.loop();
  }

  private void control(int n) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String[] cmd = line.trim().split(" ");
        if (cmd[0].equals("reset")) {
          for (int i = 0; i < n; i++) {
            counts.set(i, 0);
          }
          System.out.println("RESET");
        } else if (cmd[0].equals("check")) {
          int k = Integer.parseInt(cmd[1]);
          int m = Integer.parseInt(cmd.length > 2 ? cmd[2] : String.valueOf(n));
          String result = "OK";
          for (int i = 0; i < n; i++) {
            int expected = i < m ? k : 0;
            if (counts.get(i) != expected) {
              result = "MISMATCH " + address(i) + " got " + counts.get(i) + " expected " + expected;
              break;
            }
          }
          System.out.println(result);
        } else if (cmd[0].equals("quit")) {
          System.exit(0);
        }
        System.out.flush();
      }
    } catch (IOException e) {
      System.exit(1);
    }
    System.exit(0);
  }

  private void loop() throws IOException {
    while (true) {
      long now = System.nanoTime();
      long wait = 0;
      while (!due.isEmpty()) {
        long[] head = due.peek();
        if (head[0] > now) {
          wait = Math.max(1, (head[0] - now) / 1_000_000L);
          break;
        }
        due.poll();
        reply((int) head[1]);
      }
      if (due.isEmpty()) {
        selector.select(1000);
      } else if (wait > 0) {
        selector.select(wait);
      } else {
        selector.selectNow();
      }
      Iterator<SelectionKey> it = selector.selectedKeys().iterator();
      while (it.hasNext()) {
        SelectionKey key = it.next();
        it.remove();
        if (!key.isValid()) {
          continue;
        }
        if (key.isAcceptable()) {
          SocketChannel c;
          while ((c = ((ServerSocketChannel) key.channel()).accept()) != null) {
            c.configureBlocking(false);
            c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            Conn conn = new Conn((Integer) key.attachment(), byId.size());
            byId.add(c);
            c.register(selector, SelectionKey.OP_READ, conn);
          }
        } else {
          if (key.isReadable()) {
            read(key);
          }
          if (key.isValid() && key.isWritable()) {
            flush(key);
          }
        }
      }
    }
  }

  private void read(SelectionKey key) throws IOException {
    SocketChannel c = (SocketChannel) key.channel();
    Conn conn = (Conn) key.attachment();
    int r;
    try {
      r = c.read(conn.in);
    } catch (IOException e) {
      r = -1;
    }
    if (r < 0) {
      key.cancel();
      c.close();
      return;
    }
    // Parse as many complete requests as the buffer holds (head + content-length body).
    while (true) {
      int end = headEnd(conn.in);
      if (end < 0) {
        return;
      }
      int length = contentLength(conn.in, end);
      if (conn.in.position() < end + length) {
        return;
      }
      ByteBuffer b = conn.in;
      b.flip();
      b.position(end + length);
      b.compact();
      counts.incrementAndGet(conn.endpoint);
      due.add(new long[] {System.nanoTime() + delayNanos, conn.id});
    }
  }

  private static int headEnd(ByteBuffer b) {
    for (int i = 3; i < b.position(); i++) {
      if (b.get(i) == '\n' && b.get(i - 1) == '\r' && b.get(i - 2) == '\n' && b.get(i - 3) == '\r') {
        return i + 1;
      }
    }
    return -1;
  }

  private static int contentLength(ByteBuffer b, int end) {
    String head = new String(b.array(), 0, end, StandardCharsets.US_ASCII).toLowerCase(java.util.Locale.ROOT);
    int i = head.indexOf("content-length:");
    if (i < 0) {
      return 0;
    }
    int eol = head.indexOf('\r', i);
    return Integer.parseInt(head.substring(i + 15, eol).trim());
  }

  private void reply(int connId) throws IOException {
    SocketChannel c = byId.get(connId);
    SelectionKey key = c.keyFor(selector);
    if (key == null || !key.isValid()) {
      return;
    }
    Conn conn = (Conn) key.attachment();
    conn.pendingReplies++;
    if (conn.out == null || !conn.out.hasRemaining()) {
      conn.out = ByteBuffer.allocate(REPLY.length * conn.pendingReplies);
      for (int k = 0; k < conn.pendingReplies; k++) {
        conn.out.put(REPLY);
      }
      conn.out.flip();
      conn.pendingReplies = 0;
      flush(key);
    }
  }

  private void flush(SelectionKey key) throws IOException {
    Conn conn = (Conn) key.attachment();
    SocketChannel c = (SocketChannel) key.channel();
    try {
      c.write(conn.out);
    } catch (IOException e) {
      key.cancel();
      c.close();
      return;
    }
    if (conn.out.hasRemaining()) {
      key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    } else {
      key.interestOps(SelectionKey.OP_READ);
      if (conn.pendingReplies > 0) {
        int k = conn.pendingReplies;
        conn.pendingReplies = 0;
        conn.out = ByteBuffer.allocate(REPLY.length * k);
        for (int j = 0; j < k; j++) {
          conn.out.put(REPLY);
        }
        conn.out.flip();
        flush(key);
      }
    }
  }
}
