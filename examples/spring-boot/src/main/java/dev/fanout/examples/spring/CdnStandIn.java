package dev.fanout.examples.spring;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback stand-in for Fastly's purge API, in the style of the end-to-end proof's: {@code POST
 * /service/<id>/purge} with the keys in {@code Surrogate-Key}, and {@code POST /purge/<host><path>};
 * a wrong {@code Fastly-Key} gets 401. Records when each purge arrived ({@link System#nanoTime()}).
 */
public final class CdnStandIn implements AutoCloseable {
  public static final String SERVICE_ID = "SU1Z0isxSpring";
  public static final String TOKEN = "fastly-spring-example-token-0123";

  /** One purge: {@code key} or {@code url}, what it named, when it arrived. */
  public record Purge(long arrivalNanos, String kind, String target) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "cdn-stand-in");
    t.setDaemon(true);
    return t;
  });
  private final List<Purge> purges = new CopyOnWriteArrayList<>();
  private final AtomicLong ids = new AtomicLong(1);

  public CdnStandIn(String ip) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), 0), 16);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  public URI baseUri() {
    InetSocketAddress a = server.getAddress();
    return URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort());
  }

  public List<Purge> purges() {
    return List.copyOf(purges);
  }

  private void handle(HttpExchange ex) throws IOException {
    long arrival = System.nanoTime();
    try (ex) {
      ex.getRequestBody().readAllBytes();
      String path = ex.getRequestURI().getRawPath();
      if (!TOKEN.equals(ex.getRequestHeaders().getFirst("Fastly-Key"))) {
        send(ex, 401, "{\"msg\":\"Provided credentials are missing or invalid\"}");
      } else if (path.equals("/service/" + SERVICE_ID + "/purge")) {
        StringBuilder json = new StringBuilder("{");
        for (String k : ex.getRequestHeaders().getFirst("Surrogate-Key").trim().split(" +")) {
          purges.add(new Purge(arrival, "key", k));
          json.append(json.length() > 1 ? "," : "").append('"').append(k).append("\":\"p-")
              .append(ids.getAndIncrement()).append('"');
        }
        send(ex, 200, json.append('}').toString());
      } else if (path.startsWith("/purge/")) {
        purges.add(new Purge(arrival, "url", path.substring("/purge/".length())));
        send(ex, 200, "{\"status\":\"ok\",\"id\":\"p-" + ids.getAndIncrement() + "\"}");
      } else {
        send(ex, 404, "{\"msg\":\"Record not found\"}");
      }
    }
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
