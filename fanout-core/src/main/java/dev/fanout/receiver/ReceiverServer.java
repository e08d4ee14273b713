// Over 500 lines for one job: serving a receiver over non-blocking HTTP/1.1 (the selector loop, the connection states it drives, and its Builder); the head grammar is RequestHead.
package dev.fanout.receiver;

import static dev.fanout.internal.Checks.positive;

import dev.fanout.internal.DaemonThreads;
import dev.fanout.internal.Tasks;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves an {@link InvalidationReceiver} over HTTP/1.1 so that slow or stalled clients cannot keep
 * invalidations from being applied: the safe way to run a receiver without a web framework.
 *
 * <pre>{@code
 * ReceiverServer server = receiver.serve(new InetSocketAddress(System.getenv("POD_IP"), 8081), "/api/revalidate");
 * ...
 * server.close();
 * }</pre>
 *
 * <p>How: one selector thread reads every connection without blocking, and a request reaches the
 * receiver only once its head and whole body have arrived. A client that trickles its head or body
 * costs a connection slot and a few kilobytes, never a thread, and is closed when its request has
 * not fully arrived within {@link Builder#readTimeout(Duration)} (default 10 s). Complete requests
 * run on a bounded pool of {@link Builder#threads(int)} threads (default 4; your handler runs there);
 * when the pool and its queue are full the answer is 503 with {@code Retry-After: 1}. At most {@link
 * Builder#maxConnections(int)} connections are open; past that the connection whose request has
 * been arriving the longest (or idle the longest) is closed to make room. When accepting fails (the
 * process is out of file descriptors, say), it stops accepting for 100 ms at a time, with one
 * warning, and serves the connections it has meanwhile.
 *
 * <p>Why not the JDK's {@code com.sun.net.httpserver.HttpServer}: it reads each request's line and
 * headers on its executor's threads with blocking reads, so N clients that send slowly hold all N
 * threads (with the default executor, one client stalls the whole server), and its only deadline,
 * {@code sun.net.httpserver.maxReqTime}, is a JVM-wide system property. {@link
 * InvalidationReceiver#httpHandler()} still plugs into an {@code HttpServer} you already run.
 *
 * <p>What it accepts: {@code POST} to the configured path (any query is ignored; another path is
 * 404) with a {@code Content-Length} (411 without one, e.g. a chunked upload); a head of at most 16
 * KiB (431); bodies over the receiver's {@code maxBodyBytes} are refused from the declared length
 * (413) without being read. {@code Expect: 100-continue} is honoured; connections are kept alive
 * (closed after {@link Builder#idleTimeout(Duration)} idle, default 60 s). No TLS: put it behind a
 * mesh or use a framework for HTTPS.
 *
 * <p>Thread-safe. {@link #close()} stops accepting, closes every connection and stops its threads;
 * requests whose handler is running finish, but their answers are not sent.
 *
 * @since 0.1
 */
public final class ReceiverServer implements AutoCloseable {
  /** Default {@link Builder#threads(int)}. */
  public static final int DEFAULT_THREADS = 4;
  /** Default {@link Builder#readTimeout(Duration)}. */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);
  /** Default {@link Builder#idleTimeout(Duration)}. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  /** Default {@link Builder#maxConnections(int)}. */
  public static final int DEFAULT_MAX_CONNECTIONS = 1024;
  /** Largest request head (request line and headers), in bytes. */
  public static final int MAX_HEAD_BYTES = 16 * 1024;

  /** How long the server stops accepting after {@code accept} failed, e.g. out of file descriptors. */
  private static final long ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final Logger LOG = LoggerFactory.getLogger(ReceiverServer.class);
  private static final DaemonThreads IO_THREADS = new DaemonThreads("fanout-receiver-io");
  private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private final InvalidationReceiver receiver;
  private final String path;
  private final long readTimeoutNanos;
  private final long idleTimeoutNanos;
  private final int maxConnections;
  private final int maxBody;
  private final java.util.function.BooleanSupplier ready;
  private final String readinessPath;
  private final Selector selector;
  private final ServerSocketChannel listener;
  private final SelectionKey listenerKey;
  private final ThreadPoolExecutor pool;
  private final Thread thread;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** Every open connection; touched by the selector thread only. */
  private final Set<Conn> conns = new HashSet<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
  private long nextExpiry;
  /** While accepting is paused ({@link System#nanoTime()}); touched by the selector thread only. */
  private long acceptPausedUntil;
  private boolean acceptPaused;
  /** Whether the current run of failed accepts was logged; touched by the selector thread only. */
  private boolean acceptFailureLogged;
  private volatile boolean closed;

  private ReceiverServer(Builder b) throws IOException {
    this.receiver = b.receiver;
    this.path = b.path;
    this.readTimeoutNanos = b.readTimeout.toNanos();
    this.idleTimeoutNanos = b.idleTimeout.toNanos();
    this.maxConnections = b.maxConnections;
    this.maxBody = receiver.maxBodyBytes();
    this.ready = b.ready;
    this.readinessPath = b.readinessPath;
    this.selector = Selector.open();
    try {
      listener = ServerSocketChannel.open();
      listener.bind(b.address, 128);
      listener.configureBlocking(false);
      listenerKey = listener.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException | RuntimeException e) {
      selector.close();
      throw e;
    }
    DaemonThreads workers = new DaemonThreads("fanout-receiver");
    pool = new ThreadPoolExecutor(b.threads, b.threads, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(b.queue), workers, new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    thread = IO_THREADS.newThread(this::loop);
    thread.start();
  }

  /**
   * Returns a builder for a server in front of {@code receiver}.
   *
   * @param receiver the receiver that verifies and applies each request
   * @return the builder
   */
  public static Builder builder(InvalidationReceiver receiver) {
    return new Builder(Objects.requireNonNull(receiver, "receiver"));
  }

  /**
   * Returns the address the server listens on (with the actual port when it was 0).
   *
   * @return the address
   */
  public InetSocketAddress address() {
    try {
      return (InetSocketAddress) listener.getLocalAddress();
    } catch (IOException e) {
      throw new IllegalStateException("server closed", e);
    }
  }

  /**
   * Stops accepting, closes every connection and stops the server's threads. Idempotent. The
   * receiver itself is not closed.
   */
  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    pool.shutdown();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Returns a description, e.g. {@code ReceiverServer[/127.0.0.1:8081 /api/revalidate, 4 threads]}.
   *
   * @return the description
   */
  @Override
  public String toString() {
    return "ReceiverServer[" + (closed ? "closed" : address()) + " " + path + ", "
        + pool.getMaximumPoolSize() + " threads]";
  }

  /** Where a connection is. */
  private enum Phase {
    /** Waiting for the first byte of a request. */
    IDLE,
    /** Reading the request line and headers. */
    HEAD,
    /** Reading the body. */
    BODY,
    /** The receiver has the request. */
    HANDLING,
    /** Writing the answer. */
    WRITING
  }

  /** One client connection. Touched by the selector thread only. */
  private final class Conn {
    final SocketChannel channel;
    final SelectionKey key;
    Phase phase = Phase.IDLE;
    /** When the current phase must be over ({@link System#nanoTime()}); none while handling. */
    long deadline;
    byte[] head = new byte[512];
    int headLength;
    String method;
    Map<String, List<String>> headers;
    byte[] body;
    int bodyLength;
    boolean keepAlive;
    ByteBuffer out;

    Conn(SocketChannel channel, SelectionKey key) {
      this.channel = channel;
      this.key = key;
    }

    void close() {
      conns.remove(this);
      key.cancel();
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  private void loop() {
    while (!closed) {
      try {
        selector.select(100);
        Runnable task;
        while ((task = tasks.poll()) != null) {
          task.run();
        }
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            accept();
            continue;
          }
          Conn conn = (Conn) key.attachment();
          try {
            if (key.isReadable()) {
              read(conn);
            }
            if (key.isValid() && key.isWritable()) {
              write(conn);
            }
          } catch (IOException | RuntimeException e) {
            conn.close();
          }
        }
        long now = System.nanoTime();
        if (acceptPaused && now - acceptPausedUntil >= 0) {
          acceptPaused = false;
          listenerKey.interestOps(SelectionKey.OP_ACCEPT);
        }
        expire(now);
      } catch (IOException | RuntimeException e) {
        // The selector itself failed: nothing sensible to do but keep serving.
      }
    }
    for (Conn c : new ArrayList<>(conns)) {
      c.close();
    }
    try {
      listener.close();
      selector.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  private void accept() {
    while (true) {
      SocketChannel ch;
      try {
        ch = listener.accept();
      } catch (IOException e) {
        pauseAccepting(e);
        return;
      }
      if (ch == null) {
        return;
      }
      acceptFailureLogged = false;
      if (conns.size() >= maxConnections) {
        evictOne();
      }
      try {
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        SelectionKey key = ch.register(selector, SelectionKey.OP_READ);
        Conn conn = new Conn(ch, key);
        key.attach(conn);
        // A new connection must start its request within the read timeout.
        conn.deadline = System.nanoTime() + readTimeoutNanos;
        conns.add(conn);
      } catch (IOException | RuntimeException e) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }
  }

  /**
   * Stops accepting for a moment after {@code accept} failed. Out of file descriptors (EMFILE), the
   * connection stays in the backlog and the listener stays ready, so retrying at once would spin
   * the selector thread; meanwhile the open connections are served, and closing them frees
   * descriptors.
   */
  private void pauseAccepting(IOException e) {
    if (!acceptFailureLogged) {
      acceptFailureLogged = true;
      LOG.warn("receiver server {} cannot accept connections ({}); retrying every {} ms", path, e.getMessage(),
          TimeUnit.NANOSECONDS.toMillis(ACCEPT_PAUSE_NANOS));
    }
    acceptPaused = true;
    acceptPausedUntil = System.nanoTime() + ACCEPT_PAUSE_NANOS;
    listenerKey.interestOps(0);
  }

  /** Makes room: closes the waiting connection whose deadline comes first. */
  private void evictOne() {
    Conn oldest = null;
    for (Conn c : conns) {
      if (c.phase != Phase.HANDLING && (oldest == null || c.deadline - oldest.deadline < 0)) {
        oldest = c;
      }
    }
    if (oldest != null) {
      oldest.close();
    }
  }

  private void expire(long now) {
    if (now - nextExpiry < 0) {
      return;
    }
    nextExpiry = now + 50_000_000L;
    List<Conn> late = null;
    for (Conn c : conns) {
      if (c.phase != Phase.HANDLING && now - c.deadline > 0) {
        if (late == null) {
          late = new ArrayList<>();
        }
        late.add(c);
      }
    }
    if (late != null) {
      late.forEach(Conn::close);
    }
  }

  private void read(Conn conn) throws IOException {
    ByteBuffer buf = readBuffer;
    buf.clear();
    int n = conn.channel.read(buf);
    if (n < 0) {
      conn.close();
      return;
    }
    buf.flip();
    consume(conn, buf);
  }

  /** Takes in the bytes of a request; hands a complete one to the receiver. */
  private void consume(Conn conn, ByteBuffer buf) throws IOException {
    if (conn.phase == Phase.IDLE && buf.hasRemaining()) {
      conn.phase = Phase.HEAD;
      conn.deadline = System.nanoTime() + readTimeoutNanos;
    }
    while (buf.hasRemaining() && conn.phase == Phase.HEAD) {
      byte b = buf.get();
      if (conn.headLength == MAX_HEAD_BYTES) {
        answer(conn, 431, Answers.error("request head too large"), false);
        return;
      }
      if (conn.headLength == conn.head.length) {
        conn.head = java.util.Arrays.copyOf(conn.head, Math.min(MAX_HEAD_BYTES, conn.head.length * 2));
      }
      conn.head[conn.headLength++] = b;
      if (b == '\n' && endsWithEmptyLine(conn)) {
        startBody(conn);
      }
    }
    if (conn.phase == Phase.BODY && buf.hasRemaining()) {
      int take = Math.min(buf.remaining(), conn.body.length - conn.bodyLength);
      buf.get(conn.body, conn.bodyLength, take);
      conn.bodyLength += take;
    }
    if (conn.phase == Phase.BODY && conn.bodyLength == conn.body.length) {
      if (buf.hasRemaining()) {
        // Pipelined requests are not served; answering this one closes the connection.
        conn.keepAlive = false;
      }
      dispatch(conn);
    } else if (conn.phase != Phase.BODY && conn.phase != Phase.HEAD && buf.hasRemaining()) {
      conn.keepAlive = false;
    }
  }

  private static boolean endsWithEmptyLine(Conn conn) {
    int n = conn.headLength;
    return (n >= 2 && conn.head[n - 2] == '\n')
        || (n >= 3 && conn.head[n - 2] == '\r' && conn.head[n - 3] == '\n');
  }

  /** Parses the head just read and decides what comes next. */
  private void startBody(Conn conn) throws IOException {
    RequestHead head;
    boolean probe = readinessPath != null && RequestHead.targets(conn.head, conn.headLength, readinessPath);
    try {
      head = RequestHead.parse(conn.head, conn.headLength, probe ? readinessPath : path, maxBody);
    } catch (Rejection r) {
      answer(conn, r.status(), Answers.error(r.reason()), false);
      return;
    } finally {
      conn.headLength = 0;
    }
    if (probe) {
      // A readiness probe: answered at once, also while the receiver is not ready to apply.
      InvalidationReceiver.Response r = "GET".equals(head.method())
          ? receiver.readiness() : new InvalidationReceiver.Response(405, Answers.error("method not allowed"));
      answer(conn, r.status(), r.body(), head.keepAlive() && head.contentLength() == 0);
      return;
    }
    conn.method = head.method();
    conn.headers = head.headers();
    conn.keepAlive = head.keepAlive();
    conn.body = new byte[head.contentLength()];
    conn.bodyLength = 0;
    conn.phase = Phase.BODY;
    if (head.expectsContinue()) {
      conn.channel.write(ByteBuffer.wrap(CONTINUE));
    }
  }

  private void dispatch(Conn conn) {
    if (!ready.getAsBoolean()) {
      answer(conn, 503, Answers.error("not ready"), conn.keepAlive);
      return;
    }
    conn.phase = Phase.HANDLING;
    conn.key.interestOps(0);
    String method = conn.method;
    Map<String, List<String>> headers = conn.headers;
    byte[] body = conn.body;
    conn.body = null;
    boolean accepted = Tasks.execute(pool, () -> receiver.handleAsync(method, headers, body).whenComplete((r, e) -> {
      InvalidationReceiver.Response response = r != null ? r
          : new InvalidationReceiver.Response(500, Answers.error("internal error"));
      submit(() -> answer(conn, response.status(), response.body(), conn.keepAlive));
    }));
    if (!accepted) {
      conn.key.interestOps(SelectionKey.OP_READ);
      answer(conn, 503, Answers.error("busy"), false);
    }
  }

  private void submit(Runnable task) {
    if (closed) {
      return;
    }
    tasks.add(task);
    selector.wakeup();
  }

  private void answer(Conn conn, int status, String json, boolean keepAlive) {
    if (!conn.channel.isOpen()) {
      return;
    }
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder(160).append("HTTP/1.1 ").append(status).append(' ')
        .append(reason(status)).append("\r\ncontent-type: ").append(InvalidationReceiver.Response.CONTENT_TYPE)
        .append("\r\ncache-control: no-store\r\ncontent-length: ").append(body.length).append("\r\n");
    if (status == 405) {
      head.append("allow: POST\r\n");
    }
    if (status == 503 && json.contains("busy")) {
      head.append("retry-after: 1\r\n");
    }
    conn.keepAlive = keepAlive;
    if (!keepAlive) {
      head.append("connection: close\r\n");
    }
    byte[] h = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer out = ByteBuffer.allocate(h.length + body.length).put(h).put(body);
    out.flip();
    conn.out = out;
    conn.phase = Phase.WRITING;
    // A client that does not read its answer is dropped like one that does not send its request.
    conn.deadline = System.nanoTime() + readTimeoutNanos;
    conn.key.interestOps(SelectionKey.OP_WRITE);
    try {
      write(conn);
    } catch (IOException e) {
      conn.close();
    }
  }

  private void write(Conn conn) throws IOException {
    if (conn.out == null) {
      return;
    }
    conn.channel.write(conn.out);
    if (conn.out.hasRemaining()) {
      return;
    }
    conn.out = null;
    if (!conn.keepAlive) {
      conn.close();
      return;
    }
    conn.phase = Phase.IDLE;
    conn.deadline = System.nanoTime() + idleTimeoutNanos;
    conn.key.interestOps(SelectionKey.OP_READ);
  }

  private static String reason(int status) {
    switch (status) {
      case 200: return "OK";
      case 400: return "Bad Request";
      case 401: return "Unauthorized";
      case 404: return "Not Found";
      case 405: return "Method Not Allowed";
      case 411: return "Length Required";
      case 413: return "Content Too Large";
      case 431: return "Request Header Fields Too Large";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      default: return "Status";
    }
  }

  /**
   * Configures a {@link ReceiverServer}. Not thread-safe.
   *
   * @since 0.1
   */
  public static final class Builder {
    private final InvalidationReceiver receiver;
    private InetSocketAddress address;
    private String path = "/api/revalidate";
    private int threads = DEFAULT_THREADS;
    private int queue = 256;
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private java.util.function.BooleanSupplier ready = () -> true;
    private String readinessPath;

    private Builder(InvalidationReceiver receiver) {
      this.receiver = receiver;
    }

    /**
     * Sets where to listen, e.g. {@code new InetSocketAddress(System.getenv("POD_IP"), 8081)}.
     * Required.
     *
     * @param address the address; port 0 picks a free port
     * @return this builder
     */
    public Builder address(InetSocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Sets the path served. Default {@code /api/revalidate}.
     *
     * @param path an absolute path without query
     * @return this builder
     * @throws IllegalArgumentException if not absolute, or it has a query, whitespace or control
     *     characters
     */
    public Builder path(String path) {
      Objects.requireNonNull(path, "path");
      if (!path.startsWith("/") || path.indexOf('?') >= 0 || path.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
        throw new IllegalArgumentException("path must be absolute, without query, whitespace or control characters: '"
            + path + "'");
      }
      this.path = path;
      return this;
    }

    /**
     * Also serves the receiver's {@linkplain InvalidationReceiver#readiness() readiness} at this
     * path ({@code GET}: 200, or 503 while it holds readiness until the first catch-up), for a
     * Kubernetes {@code readinessProbe}. Default: none.
     *
     * @param readinessPath an absolute path without query, other than {@link #path(String)}'s
     * @return this builder
     * @throws IllegalArgumentException if not absolute, or it has a query, whitespace or control
     *     characters
     * @since 0.2
     */
    public Builder readinessPath(String readinessPath) {
      String before = this.path;
      path(readinessPath);
      this.path = before;
      this.readinessPath = readinessPath;
      return this;
    }

    /**
     * Sets how many requests the receiver handles at once (threads that run the handler). Default
     * 4.
     *
     * @param n 1 to 256
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder threads(int n) {
      if (n < 1 || n > 256) {
        throw new IllegalArgumentException("threads must be 1..256: " + n);
      }
      this.threads = n;
      return this;
    }

    /**
     * Sets how long a request (head and body) may take to arrive, from its first byte (from the
     * connection's start for a new connection); a slower client is disconnected. Also bounds how
     * long a client may take to read its answer. Default 10 seconds.
     *
     * @param timeout the timeout, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive(timeout, "readTimeout");
      return this;
    }

    /**
     * Sets how long a kept-alive connection may wait for its next request. Default 60 seconds.
     *
     * @param timeout the timeout, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = positive(timeout, "idleTimeout");
      return this;
    }

    /**
     * Sets how many connections may be open at once. Default 1,024.
     *
     * @param n 1 to 65,536
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxConnections(int n) {
      if (n < 1 || n > 65_536) {
        throw new IllegalArgumentException("maxConnections must be 1..65536: " + n);
      }
      this.maxConnections = n;
      return this;
    }

    /**
     * Answers every request {@code 503 {"error":"not ready"}}, which the sender retries with its
     * backoff, while {@code ready} returns false: e.g. while this replica still loads its
     * cache from a snapshot that may predate an invalidation. Asked once per complete request, on
     * the server's selector thread, so it must be quick. Default: always ready.
     *
     * @param ready whether requests may be applied now
     * @return this builder
     */
    public Builder ready(java.util.function.BooleanSupplier ready) {
      this.ready = Objects.requireNonNull(ready, "ready");
      return this;
    }

    /**
     * Binds and starts the server.
     *
     * @return the running server; close it to stop
     * @throws IOException if the address cannot be bound
     * @throws IllegalStateException if no address was set
     */
    public ReceiverServer start() throws IOException {
      if (address == null) {
        throw new IllegalStateException("ReceiverServer needs an address(...)");
      }
      if (path.equals(readinessPath)) {
        throw new IllegalArgumentException("readinessPath must differ from the path: '" + path + "'");
      }
      return new ReceiverServer(this);
    }
  }
}
