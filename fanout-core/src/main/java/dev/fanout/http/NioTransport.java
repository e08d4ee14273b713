package dev.fanout.http;

import dev.fanout.internal.DaemonThreads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A minimal HTTP/1.1 client for plain-text pod-to-pod requests: one selector thread for every
 * connection, kept-alive connections pooled per address, responses parsed incrementally
 * (content-length, chunked, or until close) with the body read up to a cap.
 *
 * <p>Why it exists: {@code java.net.http} costs on the order of 150 µs of CPU per request and funnels
 * every connection through one selector thread, which dominates a fan-out to thousands of replicas
 * on a small machine. Measured with the whole engine at 2,000 replicas, this transport costs
 * about an eighth of the CPU per target (BENCHMARKS.md). It does not speak
 * TLS, HTTP/2, redirects or proxies; {@link HttpNotifier} uses {@code java.net.http} for those.
 */
final class NioTransport implements AutoCloseable {
  private static final int MAX_HEAD = 16 * 1024;
  private static final int MAX_IDLE_PER_ADDRESS = 4;
  private static final long IDLE_NANOS = Duration.ofSeconds(30).toNanos();
  private static final DaemonThreads NIO_THREADS = new DaemonThreads("fanout-nio");

  /** A parsed response. */
  record Response(int status, Map<String, String> headers, byte[] body) {}

  private final Selector selector;
  private final Thread thread;
  private final long connectTimeoutNanos;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Map<InetSocketAddress, ArrayDeque<Conn>> idle = new HashMap<>();
  /** Connections still connecting; scanned for connect timeouts a few times a second, not per event. */
  private final java.util.Set<Conn> connecting = new java.util.HashSet<>();
  private long nextExpiry;
  private long nextSweep;
  /** One read buffer for the selector thread; response bytes are copied out of it. */
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
  private volatile boolean closed;
  private final java.util.concurrent.atomic.AtomicBoolean wakeupPending =
      new java.util.concurrent.atomic.AtomicBoolean();

  NioTransport(Duration connectTimeout) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new IllegalStateException("cannot open a selector", e);
    }
    connectTimeoutNanos = connectTimeout.toNanos();
    thread = NIO_THREADS.newThread(this::loop);
    thread.start();
  }

  /**
   * Sends one request. The future completes on the selector thread; cancelling it closes the
   * connection.
   */
  CompletableFuture<Response> send(InetSocketAddress address, byte[] request, int maxBody) {
    Exchange ex = new Exchange(address, request, maxBody);
    ex.future.whenComplete((r, e) -> {
      if (ex.future.isCancelled()) {
        run(() -> {
          if (ex.conn != null) {
            ex.conn.close();
          }
        });
      }
    });
    run(() -> start(ex, true));
    return ex.future;
  }

  private void run(Runnable task) {
    if (closed) {
      throw new IllegalStateException("transport closed");
    }
    tasks.add(task);
    // One wake-up per batch: a fan-out queues thousands of requests while the selector drains them.
    if (wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  @Override
  public void close() {
    closed = true;
    selector.wakeup();
  }

  /** One request and its response, on one connection. */
  private final class Exchange {
    final InetSocketAddress address;
    final byte[] request;
    final int maxBody;
    final CompletableFuture<Response> future = new CompletableFuture<>();
    Conn conn;
    boolean reused;

    Exchange(InetSocketAddress address, byte[] request, int maxBody) {
      this.address = address;
      this.request = request;
      this.maxBody = maxBody;
    }
  }

  /** One TCP connection and the parser state of its current response. */
  private final class Conn {
    final InetSocketAddress address;
    final SocketChannel channel;
    SelectionKey key;
    Exchange exchange;
    ByteBuffer out;
    long connectDeadline;
    long idleSince;
    boolean received;
    // Parser state.
    byte[] head = new byte[512];
    int headLength;
    int tail;
    int status;
    Map<String, String> headers;
    long remaining;
    boolean chunked;
    boolean untilClose;
    boolean keepAlive;
    int chunkState;
    final StringBuilder chunkLine = new StringBuilder();
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    boolean truncated;

    Conn(InetSocketAddress address, SocketChannel channel) {
      this.address = address;
      this.channel = channel;
    }

    void close() {
      connecting.remove(this);
      if (key != null) {
        key.cancel();
      }
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      ArrayDeque<Conn> pool = idle.get(address);
      if (pool != null) {
        pool.remove(this);
      }
    }

    void reset() {
      headLength = 0;
      tail = 0;
      status = 0;
      headers = null;
      remaining = 0;
      chunked = false;
      untilClose = false;
      keepAlive = true;
      chunkState = 0;
      chunkLine.setLength(0);
      body.reset();
      truncated = false;
      received = false;
    }
  }

  private void start(Exchange ex, boolean mayReuse) {
    if (ex.future.isDone()) {
      return;
    }
    if (closed) {
      ex.future.completeExceptionally(new ClosedChannelException());
      return;
    }
    Conn conn = mayReuse ? takeIdle(ex.address) : null;
    SocketChannel opened = null;
    try {
      if (conn == null) {
        SocketChannel ch = SocketChannel.open();
        opened = ch;
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        conn = new Conn(ex.address, ch);
        boolean connected = ch.connect(ex.address);
        conn.key = ch.register(selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, conn);
        conn.connectDeadline = System.nanoTime() + connectTimeoutNanos;
        if (!connected) {
          connecting.add(conn);
        }
      } else {
        ex.reused = true;
      }
    } catch (IOException | RuntimeException e) {
      // RuntimeExceptions too (an IPv6 address with preferIPv4Stack, a closed selector): the
      // socket must be closed and the exchange must end, or both leak.
      if (conn != null) {
        conn.close();
      } else if (opened != null) {
        try {
          opened.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
      ex.future.completeExceptionally(e);
      return;
    }
    conn.reset();
    conn.exchange = ex;
    conn.out = ByteBuffer.wrap(ex.request);
    ex.conn = conn;
    if (ex.reused) {
      // A pooled connection is connected and already waits for reads: write now, no extra
      // select round and no interest change unless the socket buffer is full.
      try {
        conn.channel.write(conn.out);
        if (conn.out.hasRemaining()) {
          conn.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
      } catch (IOException e) {
        fail(conn, e);
      }
    }
  }

  private Conn takeIdle(InetSocketAddress address) {
    ArrayDeque<Conn> pool = idle.get(address);
    while (pool != null && !pool.isEmpty()) {
      Conn c = pool.pollLast();
      if (c.channel.isOpen() && System.nanoTime() - c.idleSince < IDLE_NANOS) {
        return c;
      }
      c.close();
    }
    return null;
  }

  private void loop() {
    while (!closed) {
      try {
        selector.select(100);
        wakeupPending.set(false);
        Runnable task;
        while ((task = tasks.poll()) != null) {
          task.run();
        }
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          Conn conn = (Conn) key.attachment();
          try {
            if (!key.isValid()) {
              continue;
            }
            if (key.isConnectable()) {
              connecting.remove(conn);
              conn.channel.finishConnect();
              key.interestOps(SelectionKey.OP_WRITE);
            }
            if (key.isValid() && key.isWritable()) {
              write(conn);
            }
            if (key.isValid() && key.isReadable()) {
              read(conn);
            }
          } catch (IOException | RuntimeException e) {
            fail(conn, e);
          }
        }
        expireConnects();
      } catch (IOException | RuntimeException e) {
        // The selector itself failed: nothing sensible to do but keep serving.
      }
    }
    // Exchanges queued after the last round end now rather than never (start() sees closed).
    Runnable task;
    while ((task = tasks.poll()) != null) {
      try {
        task.run();
      } catch (RuntimeException e) {
        // closing anyway
      }
    }
    for (SelectionKey key : selector.keys()) {
      Conn c = (Conn) key.attachment();
      if (c.exchange != null) {
        c.exchange.future.completeExceptionally(new ClosedChannelException());
      }
      c.close();
    }
    try {
      selector.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** Closes pooled connections idle for longer than the idle limit, even for addresses never used again. */
  private void sweepIdle(long now) {
    if (now - nextSweep < 0) {
      return;
    }
    nextSweep = now + 1_000_000_000L;
    for (Iterator<Map.Entry<InetSocketAddress, ArrayDeque<Conn>>> it = idle.entrySet().iterator(); it.hasNext(); ) {
      ArrayDeque<Conn> pool = it.next().getValue();
      for (Iterator<Conn> c = pool.iterator(); c.hasNext(); ) {
        Conn conn = c.next();
        if (!conn.channel.isOpen() || now - conn.idleSince > IDLE_NANOS) {
          c.remove();
          conn.key.cancel();
          try {
            conn.channel.close();
          } catch (IOException ignored) {
            // closing anyway
          }
        }
      }
      if (pool.isEmpty()) {
        it.remove();
      }
    }
  }

  private void expireConnects() {
    long now = System.nanoTime();
    sweepIdle(now);
    if (now - nextExpiry < 0 || connecting.isEmpty()) {
      return;
    }
    nextExpiry = now + 50_000_000L;
    for (Iterator<Conn> it = connecting.iterator(); it.hasNext(); ) {
      Conn c = it.next();
      if (!c.channel.isConnectionPending()) {
        it.remove();
      } else if (now - c.connectDeadline > 0) {
        it.remove();
        Exchange ex = c.exchange;
        c.exchange = null;
        c.close();
        if (ex != null) {
          ex.future.completeExceptionally(new java.net.http.HttpConnectTimeoutException("connect timed out"));
        }
      }
    }
  }

  private void write(Conn conn) throws IOException {
    if (conn.out == null) {
      return;
    }
    conn.channel.write(conn.out);
    if (!conn.out.hasRemaining()) {
      conn.key.interestOps(SelectionKey.OP_READ);
    }
  }

  private void fail(Conn conn, Exception e) {
    Exchange ex = conn.exchange;
    conn.exchange = null;
    conn.close();
    if (ex == null || ex.future.isDone()) {
      return;
    }
    if (ex.reused && !conn.received) {
      // A pooled connection the server had already closed: try once more on a fresh one.
      ex.reused = false;
      start(ex, false);
      return;
    }
    ex.future.completeExceptionally(e);
  }

  private void read(Conn conn) throws IOException {
    ByteBuffer buf = readBuffer;
    buf.clear();
    int n = conn.channel.read(buf);
    if (n < 0) {
      if (conn.exchange != null && conn.untilClose && conn.headers != null) {
        complete(conn, false);
        return;
      }
      if (conn.exchange == null) {
        conn.close();
        return;
      }
      throw new IOException("connection closed before the response was complete");
    }
    if (conn.exchange == null) {
      // Data on an idle connection is a protocol error; do not reuse it.
      conn.close();
      return;
    }
    conn.received = true;
    buf.flip();
    while (buf.hasRemaining() && conn.exchange != null) {
      if (conn.headers == null) {
        readHead(conn, buf);
      } else {
        readBody(conn, buf);
      }
    }
  }

  private void readHead(Conn conn, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      byte b = buf.get();
      if (conn.headLength == conn.head.length) {
        if (conn.headLength >= MAX_HEAD) {
          throw new IOException("response head larger than " + MAX_HEAD + " bytes");
        }
        conn.head = java.util.Arrays.copyOf(conn.head, conn.head.length * 2);
      }
      conn.head[conn.headLength++] = b;
      conn.tail = (conn.tail << 8) | (b & 0xff);
      if (conn.tail == 0x0d0a0d0a) {
        int size = conn.headLength;
        parseHead(conn, conn.head, size - 4);
        if (conn.headers != null && conn.exchange != null && !conn.chunked && !conn.untilClose
            && conn.remaining == 0) {
          complete(conn, true);
        }
        return;
      }
    }
  }

  /** Headers the transport and its callers look at; others are skipped without a copy. */
  private static final String[] KEPT = {"content-length", "transfer-encoding", "connection", "retry-after"};

  private void parseHead(Conn conn, byte[] head, int length) throws IOException {
    int eol = indexOfCrlf(head, 0, length);
    String statusLine = new String(head, 0, eol < 0 ? length : eol, StandardCharsets.ISO_8859_1);
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP/1.x response");
    }
    try {
      conn.status = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("bad status line");
    }
    if (conn.status < 200) {
      // 1xx: skip it and wait for the real answer.
      conn.headLength = 0;
      conn.tail = 0;
      return;
    }
    Map<String, String> headers = new HashMap<>(8);
    int line = eol < 0 ? length : eol + 2;
    while (line < length) {
      int end = indexOfCrlf(head, line, length);
      if (end < 0) {
        end = length;
      }
      int colon = -1;
      for (int i = line; i < end; i++) {
        if (head[i] == ':') {
          colon = i;
          break;
        }
      }
      if (colon > line) {
        for (String name : KEPT) {
          if (nameEquals(head, line, colon, name)) {
            headers.putIfAbsent(name, new String(head, colon + 1, end - colon - 1, StandardCharsets.ISO_8859_1).trim());
          }
        }
      }
      line = end + 2;
    }
    conn.headers = headers;
    conn.keepAlive = parts[0].equals("HTTP/1.1")
        ? !"close".equalsIgnoreCase(headers.get("connection"))
        : "keep-alive".equalsIgnoreCase(headers.get("connection"));
    String te = headers.get("transfer-encoding");
    String cl = headers.get("content-length");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      conn.chunked = true;
    } else if (cl != null) {
      try {
        conn.remaining = Long.parseLong(cl);
      } catch (NumberFormatException e) {
        throw new IOException("bad content-length");
      }
      if (conn.remaining < 0) {
        throw new IOException("bad content-length");
      }
    } else if (conn.status == 204 || conn.status == 304) {
      conn.remaining = 0;
    } else {
      conn.untilClose = true;
      conn.keepAlive = false;
    }
  }

  private static int indexOfCrlf(byte[] b, int from, int to) {
    for (int i = from; i + 1 < to; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static boolean nameEquals(byte[] b, int from, int to, String name) {
    int end = to;
    while (end > from && (b[end - 1] == ' ' || b[end - 1] == '\t')) {
      end--;
    }
    if (end - from != name.length()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      int c = b[from + i];
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != name.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private void readBody(Conn conn, ByteBuffer buf) throws IOException {
    if (conn.chunked) {
      readChunked(conn, buf);
      return;
    }
    int take = conn.untilClose ? buf.remaining() : (int) Math.min(buf.remaining(), conn.remaining);
    keep(conn, buf, take);
    if (!conn.untilClose) {
      conn.remaining -= take;
      if (conn.remaining == 0) {
        complete(conn, true);
      }
    }
  }

  private void keep(Conn conn, ByteBuffer buf, int take) {
    int room = conn.exchange.maxBody - conn.body.size();
    int kept = Math.max(0, Math.min(room, take));
    if (kept > 0) {
      byte[] chunk = new byte[kept];
      buf.get(buf.position(), chunk);
      conn.body.write(chunk, 0, kept);
    }
    if (take > kept) {
      conn.truncated = true;
    }
    buf.position(buf.position() + take);
    if (conn.truncated && conn.body.size() >= conn.exchange.maxBody) {
      // Enough read: answer now and drop the connection rather than drain an endless body.
      complete(conn, false);
    }
  }

  /** States: 0 size line, 1 data, 2 CRLF after data, 3 trailers. */
  private void readChunked(Conn conn, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining() && conn.exchange != null) {
      if (conn.chunkState == 1) {
        int take = (int) Math.min(buf.remaining(), conn.remaining);
        keep(conn, buf, take);
        conn.remaining -= take;
        if (conn.remaining == 0) {
          conn.chunkState = 2;
        }
        continue;
      }
      char c = (char) buf.get();
      if (c != '\n') {
        if (c != '\r') {
          if (conn.chunkLine.length() > 1024) {
            throw new IOException("chunk line too long");
          }
          conn.chunkLine.append(c);
        }
        continue;
      }
      String line = conn.chunkLine.toString();
      conn.chunkLine.setLength(0);
      if (conn.chunkState == 2) {
        conn.chunkState = 0;
      } else if (conn.chunkState == 3) {
        if (line.isEmpty()) {
          complete(conn, true);
        }
      } else {
        int semi = line.indexOf(';');
        long size;
        try {
          size = Long.parseLong((semi >= 0 ? line.substring(0, semi) : line).trim(), 16);
        } catch (NumberFormatException e) {
          throw new IOException("bad chunk size");
        }
        if (size == 0) {
          conn.chunkState = 3;
        } else {
          conn.remaining = size;
          conn.chunkState = 1;
        }
      }
    }
  }

  private void complete(Conn conn, boolean reusable) {
    Exchange ex = conn.exchange;
    conn.exchange = null;
    Response r = new Response(conn.status, conn.headers, conn.body.toByteArray());
    if (reusable && conn.keepAlive && !conn.truncated && !ex.future.isDone()) {
      conn.idleSince = System.nanoTime();
      conn.key.interestOps(SelectionKey.OP_READ);
      ArrayDeque<Conn> pool = idle.computeIfAbsent(conn.address, a -> new ArrayDeque<>());
      if (pool.size() < MAX_IDLE_PER_ADDRESS) {
        pool.addLast(conn);
      } else {
        conn.close();
      }
    } else {
      conn.close();
    }
    ex.future.complete(r);
  }
}
