package dev.fanout.examples.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.fanout.cloudflare.PurgeLimits;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback stand-in for Cloudflare's purge API, {@code POST
 * /client/v4/zones/<zone>/purge_cache}, answering in the v4 envelope ({@code success}, {@code
 * errors}, {@code messages}, {@code result}). It checks {@code Authorization: Bearer} (403, error
 * 10000 otherwise), the zone (400, errors 7003 and 7000 otherwise), one kind of item per request
 * within the plan's per-request limit (400 otherwise), and keeps the plan's token bucket for the
 * account on {@link System#nanoTime()}: past it, 429 with error 971 and {@code Retry-After}. It
 * records when each accepted purge arrived and counts what it refused.
 */
final class CloudflareStandIn implements AutoCloseable {
  static final String ZONE = "0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e";
  static final String ACCOUNT = "ac0e2eac0e2eac0e2eac0e2eac0e2e01";
  static final String TOKEN = "cloudflare-e2e-token-0123456789abcdef";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One accepted purge request: its kind ({@code tags}, {@code files}, ...) and items. */
  record Call(long arrivalNanos, String kind, List<String> items) {}

  private final StandInServer server;
  private final PurgeLimits limits;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final AtomicInteger refused = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong(1);
  private final long start = System.nanoTime();
  /** Request tokens times {@code per} in nanoseconds; each elapsed nanosecond adds {@code requests}. */
  private long scaled;
  private long last = start;

  CloudflareStandIn(String ip, int port, PurgeLimits limits) throws IOException {
    this.limits = limits;
    this.scaled = (long) limits.bucketSize() * limits.per().toNanos();
    server = new StandInServer(ip, port, "cloudflare-stand-in", "/", this::handle);
  }

  URI baseUri() {
    return server.baseUri();
  }

  List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Every item of the accepted purges of this kind, in arrival order. */
  List<String> purged(String kind) {
    List<String> out = new ArrayList<>();
    calls.stream().filter(c -> c.kind().equals(kind)).forEach(c -> out.addAll(c.items()));
    return out;
  }

  /** Requests answered with anything but 200. */
  int refused() {
    return refused.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    long arrival = System.nanoTime();
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      String path = ex.getRequestURI().getRawPath();
      if (!("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        error(ex, 403, 10000, "Authentication error");
      } else if (!path.equals("/client/v4/zones/" + ZONE + "/purge_cache")
          || !ex.getRequestMethod().equals("POST")) {
        refused.incrementAndGet();
        send(ex, 400, "{\"success\":false,\"errors\":[{\"code\":7003,\"message\":\"Could not route"
            + " to " + path + ", perhaps your object identifier is invalid?\"},{\"code\":7000,"
            + "\"message\":\"No route for that URI\"}],\"messages\":[],\"result\":null}");
      } else {
        purge(ex, body, arrival);
      }
    }
  }

  private void purge(HttpExchange ex, byte[] body, long arrival) throws IOException {
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (IOException e) {
      json = null;
    }
    if (json == null || !json.isObject() || json.size() != 1) {
      error(ex, 400, 1012, "Request must contain one of 'purge_everything', 'files', 'tags',"
          + " 'hosts' or 'prefixes'");
      return;
    }
    String kind = json.fieldNames().next();
    JsonNode array = json.get(kind);
    int max = kind.equals("files") ? limits.maxUrlsPerRequest() : limits.maxOperationsPerRequest();
    if (!array.isArray() || array.isEmpty() || array.size() > max) {
      error(ex, 400, 1015, "'" + kind + "' must be an array of 1 to " + max + " items");
      return;
    }
    long waitNanos = take();
    if (waitNanos > 0) {
      ex.getResponseHeaders().set("Retry-After",
          String.valueOf((waitNanos + 999_999_999L) / 1_000_000_000L));
      error(ex, 429, 971, "Please wait and consider throttling your request speed");
      return;
    }
    List<String> items = new ArrayList<>();
    array.forEach(n -> items.add(n.asText()));
    calls.add(new Call(arrival, kind, items));
    send(ex, 200, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{\"id\":\""
        + String.format("%032x", ids.getAndIncrement()) + "\"}}");
  }

  /** Takes a request token; returns 0, or how long until one is there (nothing taken). */
  private synchronized long take() {
    long now = System.nanoTime();
    long per = limits.per().toNanos();
    long capacity = (long) limits.bucketSize() * per;
    scaled = Math.min(capacity, scaled + Math.max(0, now - last) * limits.requests());
    last = now;
    if (scaled >= per) {
      scaled -= per;
      return 0;
    }
    return (per - scaled + limits.requests() - 1) / limits.requests();
  }

  private void error(HttpExchange ex, int status, int code, String message) throws IOException {
    refused.incrementAndGet();
    send(ex, status, "{\"success\":false,\"errors\":[{\"code\":" + code + ",\"message\":"
        + JSON.writeValueAsString(message) + "}],\"messages\":[],\"result\":null}");
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    StandInServer.send(ex, status, "application/json", json);
  }

  @Override
  public void close() {
    server.close();
  }
}
