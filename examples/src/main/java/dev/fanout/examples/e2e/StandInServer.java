package dev.fanout.examples.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP server under each stand-in of the run (the CDN APIs, the content source): listens on one
 * loopback address, serves one context on four daemon threads, and writes a whole body at once.
 */
final class StandInServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  StandInServer(String ip, int port, String name, String context, HttpHandler handler)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), port), 64);
    executor = Executors.newFixedThreadPool(4, Stack.daemon(name));
    server.setExecutor(executor);
    server.createContext(context, handler);
    server.start();
  }

  /** The server's {@code http://ip:port}. */
  URI baseUri() {
    InetSocketAddress a = server.getAddress();
    return URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort());
  }

  /** Answers with a status and a body of the given content type; the caller closes the exchange. */
  static void send(HttpExchange ex, int status, String contentType, String body)
      throws IOException {
    send(ex, status, contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  /** Answers with a status and a body of the given content type; the caller closes the exchange. */
  static void send(HttpExchange ex, int status, String contentType, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(status, body.length);
    ex.getResponseBody().write(body);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
