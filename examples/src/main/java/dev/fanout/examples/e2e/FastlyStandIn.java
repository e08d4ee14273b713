package dev.fanout.examples.e2e;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback stand-in for Fastly's purge API: {@code POST /service/<id>/purge} with the keys in
 * {@code Surrogate-Key} (answers a map of key to purge id) and {@code POST /purge/<host><path>}
 * (answers {@code {"status":"ok","id":...}}); a missing or wrong {@code Fastly-Key} gets 401. It
 * records when each purge arrived ({@link System#nanoTime()}).
 */
final class FastlyStandIn implements AutoCloseable {
  static final String SERVICE_ID = "SU1Z0isxE2E";
  static final String TOKEN = "fastly-e2e-token-0123456789abcdef";

  /** One purge request that was accepted: {@code key} or {@code url}, and what it named. */
  record Call(long arrivalNanos, String kind, String target, boolean soft) {}

  private final StandInServer server;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final AtomicLong ids = new AtomicLong(19170046);

  FastlyStandIn(String ip, int port) throws IOException {
    server = new StandInServer(ip, port, "fastly-stand-in", "/", this::handle);
  }

  URI baseUri() {
    return server.baseUri();
  }

  List<Call> calls() {
    return List.copyOf(calls);
  }

  private void handle(HttpExchange ex) throws IOException {
    long arrival = System.nanoTime();
    try (ex) {
      ex.getRequestBody().readAllBytes();
      if (!TOKEN.equals(ex.getRequestHeaders().getFirst("Fastly-Key"))) {
        send(ex, 401, "{\"msg\":\"Provided credentials are missing or invalid\"}");
        return;
      }
      String path = ex.getRequestURI().getRawPath();
      boolean soft = "1".equals(ex.getRequestHeaders().getFirst("Fastly-Soft-Purge"));
      if (!ex.getRequestMethod().equals("POST")) {
        send(ex, 405, "{\"msg\":\"Method not allowed\"}");
      } else if (path.equals("/service/" + SERVICE_ID + "/purge")) {
        String keys = ex.getRequestHeaders().getFirst("Surrogate-Key");
        StringBuilder json = new StringBuilder("{");
        for (String k : keys == null ? new String[0] : keys.trim().split(" +")) {
          calls.add(new Call(arrival, "key", k, soft));
          json.append(json.length() > 1 ? "," : "").append('"').append(k).append("\":\"")
              .append(nextId()).append('"');
        }
        send(ex, 200, json.append('}').toString());
      } else if (path.startsWith("/purge/")) {
        calls.add(new Call(arrival, "url", path.substring("/purge/".length()), soft));
        send(ex, 200, "{\"status\":\"ok\",\"id\":\"" + nextId() + "\"}");
      } else {
        send(ex, 404, "{\"msg\":\"Record not found\"}");
      }
    }
  }

  private String nextId() {
    return "3646-1492515326-" + ids.getAndIncrement();
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    StandInServer.send(ex, status, "application/json", json);
  }

  @Override
  public void close() {
    server.close();
  }
}
