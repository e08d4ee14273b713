package dev.fanout.http;

import dev.fanout.http.HttpTransport.Response;
import dev.fanout.internal.DaemonThreads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A minimal HTTP/1.1 client for plain-text pod-to-pod requests: one selector thread for every
 * connection, kept-alive connections pooled per address, responses parsed incrementally by a {@link
 * ResponseParser} (content-length, chunked, or until close) with the body read up to a cap.
 *
 * <p>It reads while it writes: a receiver may answer before it read the body (a 413 or 400 decided
 * from the head) and then close, and that answer, not the reset that follows, is what the caller
 * gets. A connection whose request was not completely written when its answer arrived is closed,
 * never pooled: the peer would read the unsent rest as the start of the next request.
 *
 * <p>Why it exists: {@code java.net.http} costs on the order of 150 µs of CPU per request and funnels
 * every connection through one selector thread, which dominates a fan-out to thousands of replicas
 * on a small machine. Measured with the whole engine at 2,000 replicas, this transport costs
 * about an eighth of the CPU per target (BENCHMARKS.md). It does not speak
 * TLS, HTTP/2, redirects or proxies; {@link HttpNotifier} uses {@code java.net.http} for those.
 */
final class NioTransport implements AutoCloseable {
  private static final int MAX_IDLE_PER_ADDRESS = 4;
  private static final long IDLE_NANOS = Duration.ofSeconds(30).toNanos();
  private static final DaemonThreads NIO_THREADS = new DaemonThreads("fanout-nio");
  private static final int READ_WRITE = SelectionKey.OP_READ | SelectionKey.OP_WRITE;

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
    return send(address, new ByteBuffer[] {ByteBuffer.wrap(request)}, maxBody);
  }

  /**
   * Sends one request given as buffers to write in order, from their start to their limit. Only
   * this transport's selector thread moves their positions, and it sets them before every write, so
   * buffers shared by every target of a fan-out are written as they are: no copy, no duplicate.
   */
  CompletableFuture<Response> send(InetSocketAddress address, ByteBuffer[] request, int maxBody) {
    Exchange ex = new Exchange(address, request, maxBody);
    run(ex);
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

  /** One request and its response, on one connection; as a task, it starts on the selector thread. */
  private final class Exchange implements Runnable {
    final InetSocketAddress address;
    final ByteBuffer[] request;
    final int maxBody;
    final Outcome future = new Outcome(this);
    Conn conn;
    boolean reused;

    Exchange(InetSocketAddress address, ByteBuffer[] request, int maxBody) {
      this.address = address;
      this.request = request;
      this.maxBody = maxBody;
    }

    @Override
    public void run() {
      start(this, true);
    }
  }

  /** An exchange's result: cancelling it closes the exchange's connection, on the selector thread. */
  private final class Outcome extends CompletableFuture<Response> {
    private final Exchange ex;

    Outcome(Exchange ex) {
      this.ex = ex;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled && !closed) {
        try {
          run(() -> {
            if (ex.conn != null) {
              ex.conn.close();
            }
          });
        } catch (IllegalStateException justClosed) {
          // The transport closed meanwhile; its connections close with it.
        }
      }
      return cancelled;
    }
  }

  /** One TCP connection and the parser of its current response. */
  private final class Conn {
    final InetSocketAddress address;
    final SocketChannel channel;
    SelectionKey key;
    Exchange exchange;
    /** The current request's buffers, or null once it was written or abandoned. */
    ByteBuffer[] out;
    /** Bytes of the current request written so far, of {@code total}. */
    long sent;
    long total;
    long connectDeadline;
    long idleSince;
    ResponseParser parser;

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

    void begin(Exchange ex) {
      if (parser == null || parser.maxBody() != ex.maxBody) {
        parser = new ResponseParser(ex.maxBody);
      } else {
        parser.reset();
      }
      exchange = ex;
      out = ex.request;
      sent = 0;
      total = 0;
      for (ByteBuffer b : out) {
        total += b.limit();
      }
    }

    /** Whether bytes of the current request are still unsent. */
    boolean writing() {
      return out != null && sent < total;
    }

    /** Writes what the socket takes of the unsent rest, positioning the (shared) buffers first. */
    void writeSome() throws IOException {
      long skip = sent;
      for (ByteBuffer b : out) {
        int at = (int) Math.min(b.limit(), skip);
        b.position(at);
        skip -= at;
      }
      sent += channel.write(out);
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
        conn.key = ch.register(selector, connected ? READ_WRITE : SelectionKey.OP_CONNECT, conn);
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
    conn.begin(ex);
    ex.conn = conn;
    if (ex.reused) {
      // A pooled connection is connected and already waits for reads: write now, no extra
      // select round and no interest change unless the socket buffer is full.
      write(conn);
      if (conn.writing()) {
        conn.key.interestOps(READ_WRITE);
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
        // Ready keys are handed to ready() as the selector finds them: no selected-key set to fill,
        // iterate and empty once per round.
        selector.select(this::ready, 100);
        wakeupPending.set(false);
        Runnable task;
        while ((task = tasks.poll()) != null) {
          task.run();
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

  /** Serves one ready connection: finishes its connect, writes, reads. */
  private void ready(SelectionKey key) {
    Conn conn = (Conn) key.attachment();
    try {
      if (!key.isValid()) {
        return;
      }
      if (key.isConnectable()) {
        connecting.remove(conn);
        conn.channel.finishConnect();
        // Reading from the start: an answer may come before the whole request was written.
        key.interestOps(READ_WRITE);
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

  /**
   * Writes what the socket takes. A write that fails (the peer reset the connection after it
   * answered early) first reads whatever answer already arrived; only without one does the
   * exchange fail.
   */
  private void write(Conn conn) {
    if (!conn.writing()) {
      return;
    }
    try {
      conn.writeSome();
    } catch (IOException e) {
      conn.out = null;
      try {
        read(conn);
      } catch (IOException | RuntimeException ignored) {
        // the write error below is the better report
      }
      if (conn.exchange != null) {
        fail(conn, e);
      }
      return;
    }
    if (!conn.writing() && conn.exchange != null && conn.key.isValid()) {
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
    if (ex.reused && (conn.parser == null || !conn.parser.started())) {
      // A pooled connection the server had already closed: try once more on a fresh one.
      ex.reused = false;
      start(ex, false);
      return;
    }
    ex.future.completeExceptionally(e);
  }

  private void read(Conn conn) throws IOException {
    while (true) {
      ByteBuffer buf = readBuffer;
      buf.clear();
      int n = conn.channel.read(buf);
      if (n == 0) {
        return;
      }
      if (n < 0) {
        if (conn.exchange == null) {
          conn.close();
        } else if (conn.parser.endOfInput()) {
          complete(conn, false);
        }
        return;
      }
      if (conn.exchange == null) {
        // Data on an idle connection is a protocol error; do not reuse it.
        conn.close();
        return;
      }
      buf.flip();
      if (conn.parser.feed(buf)) {
        // Bytes past the answer, or an answer before the request was fully sent: the connection's
        // framing is no longer known, so it is not reused.
        complete(conn, !buf.hasRemaining() && !conn.writing());
        return;
      }
      if (n < buf.capacity()) {
        return;
      }
    }
  }

  private void complete(Conn conn, boolean reusable) {
    Exchange ex = conn.exchange;
    conn.exchange = null;
    ResponseParser p = conn.parser;
    Response r = new Response(p.status(), p.body(), p.headers().get("retry-after"));
    conn.out = null;
    if (reusable && p.reusable() && !ex.future.isDone()) {
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
