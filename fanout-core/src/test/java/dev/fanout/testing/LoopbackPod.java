package dev.fanout.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.fanout.Endpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in replica: a real HTTP server on a loopback address (127.0.0.2, 127.0.0.3, ... act as
 * distinct pod IPs) whose answers a test scripts. Records every request with its arrival time
 * ({@link System#nanoTime()}), and the most requests it had in flight at once.
 */
public final class LoopbackPod implements AutoCloseable {

  /** Decides the answer to one request. */
  @FunctionalInterface
  public interface Behaviour {
    /**
     * Answers the exchange.
     *
     * @param exchange the exchange, body already read into the record
     * @param index the 0-based number of this request at this pod
     * @throws Exception to drop the connection
     */
    void answer(HttpExchange exchange, int index) throws Exception;
  }

  /**
   * One received request.
   *
   * @param method the method
   * @param target the request target (path and query, as sent)
   * @param headers lower-cased header names to their first value
   * @param body the body
   * @param receivedNanos {@link System#nanoTime()} on arrival
   */
  public record Request(
      String method, String target, Map<String, String> headers, byte[] body, long receivedNanos) {
    /**
     * Returns the body as UTF-8 text.
     *
     * @return the body
     */
    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "test-pod");
    t.setDaemon(true);
    return t;
  });
  private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
  private final List<Long> answeredNanos = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final AtomicInteger count = new AtomicInteger();
  private final CountDownLatch release = new CountDownLatch(1);
  private volatile Behaviour behaviour;
  private final String name;

  private LoopbackPod(String ip, int port, String name, Behaviour behaviour) throws IOException {
    this.behaviour = behaviour;
    this.name = name;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), port), 256);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  /**
   * Starts a pod on {@code ip}, on a free port.
   *
   * @param ip a loopback address such as {@code 127.0.0.2}
   * @param behaviour how it answers
   * @return the running pod
   * @throws IOException if it cannot bind
   */
  public static LoopbackPod start(String ip, Behaviour behaviour) throws IOException {
    return new LoopbackPod(ip, 0, null, behaviour);
  }

  /**
   * Starts a named pod on {@code ip:port}.
   *
   * @param ip a loopback address
   * @param port the port, 0 for any
   * @param name the pod name in its endpoint
   * @param behaviour how it answers
   * @return the running pod
   * @throws IOException if it cannot bind
   */
  public static LoopbackPod start(String ip, int port, String name, Behaviour behaviour)
      throws IOException {
    return new LoopbackPod(ip, port, name, behaviour);
  }

  private void handle(HttpExchange exchange) throws IOException {
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readAllBytes();
      Map<String, String> headers = new TreeMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
      requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath()
          + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()),
          headers, body, System.nanoTime()));
      behaviour.answer(exchange, count.getAndIncrement());
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    } finally {
      inFlight.decrementAndGet();
      answeredNanos.add(System.nanoTime());
      exchange.close();
    }
  }

  /**
   * Changes how the pod answers from now on.
   *
   * @param b the behaviour
   */
  public void behave(Behaviour b) {
    this.behaviour = b;
  }

  /**
   * Returns this pod as a READY endpoint.
   *
   * @return the endpoint
   */
  public Endpoint endpoint() {
    InetSocketAddress a = server.getAddress();
    return new Endpoint(a.getAddress().getHostAddress(), a.getPort(), name, Endpoint.State.READY);
  }

  /**
   * Returns the requests received so far.
   *
   * @return a copy of the list
   */
  public List<Request> requests() {
    synchronized (requests) {
      return new ArrayList<>(requests);
    }
  }

  /**
   * Returns when the pod finished answering each request ({@link System#nanoTime()}).
   *
   * @return a copy of the list
   */
  public List<Long> answeredNanos() {
    synchronized (answeredNanos) {
      return new ArrayList<>(answeredNanos);
    }
  }

  /**
   * Returns the most requests that were in flight at once.
   *
   * @return the maximum
   */
  public int maxInFlight() {
    return maxInFlight.get();
  }

  /** Releases every request held by {@link #stallBody()} or {@link #holdUntilReleased(int)}. */
  public void release() {
    release.countDown();
  }

  @Override
  public void close() {
    release();
    server.stop(0);
    threads.shutdownNow();
  }

  /**
   * Answers 200 with a small JSON body.
   *
   * @return the behaviour
   */
  public static Behaviour ok() {
    return (ex, i) -> respond(ex, 200, "{\"ok\":true}");
  }

  /**
   * Answers the given statuses in order, then repeats the last one.
   *
   * @param statuses the statuses
   * @return the behaviour
   */
  public static Behaviour statuses(int... statuses) {
    return (ex, i) -> respond(ex, statuses[Math.min(i, statuses.length - 1)], "{}");
  }

  /**
   * Sends headers and a few bytes of body, then stalls until {@link #release()} or close.
   *
   * @return the behaviour
   */
  public Behaviour stallBody() {
    return (ex, i) -> {
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      out.write("{\"ok\":".getBytes(StandardCharsets.UTF_8));
      out.flush();
      await();
    };
  }

  /**
   * Holds each request until {@link #release()}, then answers 200.
   *
   * @param status the status to answer after release
   * @return the behaviour
   */
  public Behaviour holdUntilReleased(int status) {
    return (ex, i) -> {
      await();
      respond(ex, status, "{}");
    };
  }

  /**
   * Closes the connection without an answer.
   *
   * @return the behaviour
   */
  public static Behaviour dropConnection() {
    return (ex, i) -> {
      throw new IOException("dropped on purpose");
    };
  }

  private void await() {
    try {
      release.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Writes a complete answer.
   *
   * @param ex the exchange
   * @param status the status
   * @param body the body
   * @throws IOException on I/O failure
   */
  public static void respond(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("content-type", "application/json");
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      ex.getResponseBody().write(bytes);
    }
  }

  /**
   * A TCP listener that resets every connection once the request arrives (SO_LINGER 0).
   *
   * @param ip the loopback address
   * @return a handle whose {@code endpoint()} and {@code close()} work as for a pod
   * @throws IOException if it cannot bind
   */
  public static ResettingPod resetting(String ip) throws IOException {
    return new ResettingPod(ip);
  }

  /** A listener that answers every request with a TCP reset. */
  public static final class ResettingPod implements AutoCloseable {
    private final ServerSocket socket;
    private final AtomicInteger accepted = new AtomicInteger();

    ResettingPod(String ip) throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getByName(ip));
      Thread t = new Thread(this::loop, "test-reset-pod");
      t.setDaemon(true);
      t.start();
    }

    private void loop() {
      while (!socket.isClosed()) {
        try (Socket s = socket.accept()) {
          accepted.incrementAndGet();
          s.getInputStream().read(new byte[8192]);
          s.setSoLinger(true, 0);
        } catch (IOException e) {
          // closed
        }
      }
    }

    /**
     * Returns how many connections it reset.
     *
     * @return the count
     */
    public int accepted() {
      return accepted.get();
    }

    /**
     * Returns the listener as an endpoint.
     *
     * @return the endpoint
     */
    public Endpoint endpoint() {
      return Endpoint.of(socket.getInetAddress().getHostAddress(), socket.getLocalPort());
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
