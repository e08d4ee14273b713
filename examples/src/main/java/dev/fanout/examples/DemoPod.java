package dev.fanout.examples;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.fanout.Endpoint;
import dev.fanout.receiver.InvalidationReceiver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in replica for the demo: an HTTP server on its own loopback address with an in-memory
 * page cache, behind an {@link InvalidationReceiver} that verifies the Standard Webhooks signature
 * on the raw body, evicts the invalidated paths, and only then answers 200. It can be told to answer
 * 503 to its first requests, as a replica that is still warming up would.
 */
final class DemoPod implements AutoCloseable {
  final String name;
  final Map<String, String> cache = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final InvalidationReceiver receiver;
  private final AtomicInteger failuresLeft;
  volatile long lastAckNanos;

  DemoPod(String name, String ip, String secret, int failFirst) throws IOException {
    this.name = name;
    this.failuresLeft = new AtomicInteger(failFirst);
    this.receiver = InvalidationReceiver.builder()
        .secret(secret)
        .handler(inv -> {
          inv.paths().forEach(cache::remove);
          lastAckNanos = System.nanoTime();
        })
        .build();
    HttpHandler verified = receiver.httpHandler();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), 0), 64);
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "demo-" + name);
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/api/revalidate", ex -> {
      if (failuresLeft.getAndDecrement() > 0) {
        try (ex) {
          byte[] body = "{\"error\":\"warming up\"}".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(503, body.length);
          ex.getResponseBody().write(body);
        }
        return;
      }
      verified.handle(ex);
    });
    server.start();
  }

  Endpoint endpoint() {
    InetSocketAddress a = server.getAddress();
    return new Endpoint(a.getAddress().getHostAddress(), a.getPort(), name, Endpoint.State.READY);
  }

  @Override
  public void close() {
    server.stop(0);
    receiver.close();
  }
}
