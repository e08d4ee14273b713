package dev.fanout.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.fanout.Endpoint;
import dev.fanout.http.WebhookSigner;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in replica for the demo: an HTTP server on its own loopback address with an in-memory
 * page cache. It verifies the Standard Webhooks signature on the raw body, evicts the invalidated
 * paths, and only then answers 200.
 */
final class DemoPod implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  final String name;
  final Map<String, String> cache = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final WebhookSigner signer;
  private final AtomicInteger failuresLeft;
  volatile long lastAckNanos;

  DemoPod(String name, String ip, String secret, int failFirst) throws IOException {
    this.name = name;
    this.signer = WebhookSigner.of(secret);
    this.failuresLeft = new AtomicInteger(failFirst);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), 0), 64);
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "demo-" + name);
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/api/revalidate", this::handle);
    server.start();
  }

  Endpoint endpoint() {
    InetSocketAddress a = server.getAddress();
    return new Endpoint(a.getAddress().getHostAddress(), a.getPort(), name, Endpoint.State.READY);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex; InputStream in = ex.getRequestBody()) {
      byte[] body = in.readNBytes(64 * 1024);
      if (failuresLeft.getAndDecrement() > 0) {
        answer(ex, 503, "{\"error\":\"warming up\"}");
        return;
      }
      String id = ex.getRequestHeaders().getFirst("webhook-id");
      String ts = ex.getRequestHeaders().getFirst("webhook-timestamp");
      String sig = ex.getRequestHeaders().getFirst("webhook-signature");
      if (id == null || ts == null || !ts.matches("\\d{1,12}") || !signer.verify(id, Long.parseLong(ts), body, sig)) {
        answer(ex, 401, "{\"error\":\"bad signature\"}");
        return;
      }
      JsonNode inv = JSON.readTree(body);
      inv.path("paths").forEach(p -> cache.remove(p.asText()));
      lastAckNanos = System.nanoTime();
      answer(ex, 200, "{\"revalidated\":true}");
    }
  }

  private static void answer(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("content-type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
