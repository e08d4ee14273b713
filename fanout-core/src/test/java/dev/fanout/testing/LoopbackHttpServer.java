package dev.fanout.testing;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/**
 * The HTTP server under the API stand-ins of the tests (CDN APIs, the Kubernetes API server): one
 * handler on {@code 127.0.0.1} at a free port, on daemon threads, so a stand-in that a failing test
 * leaves open never keeps the JVM alive.
 */
public final class LoopbackHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private LoopbackHttpServer(ExecutorService executor, HttpHandler handler) throws IOException {
    this.executor = executor;
    this.server =
        HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", handler);
    server.start();
  }

  /**
   * Starts a server that handles at most {@code threads} requests at once.
   *
   * @param threadName the name of its threads
   * @param threads how many threads
   * @param handler the handler of every path
   * @return the running server
   * @throws IOException if it cannot listen
   */
  public static LoopbackHttpServer start(String threadName, int threads, HttpHandler handler)
      throws IOException {
    return new LoopbackHttpServer(Executors.newFixedThreadPool(threads, daemon(threadName)),
        handler);
  }

  /**
   * Starts a server with a thread per request in progress (for stand-ins that hold requests open,
   * such as watch streams).
   *
   * @param threadName the name of its threads
   * @param handler the handler of every path
   * @return the running server
   * @throws IOException if it cannot listen
   */
  public static LoopbackHttpServer startUnbounded(String threadName, HttpHandler handler)
      throws IOException {
    return new LoopbackHttpServer(Executors.newCachedThreadPool(daemon(threadName)), handler);
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Returns {@code http://127.0.0.1:port}.
   *
   * @return the base URI
   */
  public URI baseUri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Stops listening and interrupts the handlers still running. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
