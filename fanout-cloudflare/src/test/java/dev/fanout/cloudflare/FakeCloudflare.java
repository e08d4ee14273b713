package dev.fanout.cloudflare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.fanout.testing.JsonExchanges;
import dev.fanout.testing.LoopbackHttpServer;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A loopback stand-in for Cloudflare's purge API, {@code POST
 * /client/v4/zones/{zone_id}/purge_cache}, that answers in the v4 envelope ({@code success},
 * {@code errors}, {@code messages}, {@code result}) and enforces, on its own clock and with its
 * own arithmetic (not the purger's), what Cloudflare enforces:
 *
 * <ul>
 *   <li>a wrong or missing {@code Authorization: Bearer} token: 403, error 10000 "Authentication
 *       error";
 *   <li>a zone other than its own: 400, errors 7003 "Could not route to ..., perhaps your object
 *       identifier is invalid?" and 7000 "No route for that URI";
 *   <li>the plan's token buckets (requests, and URLs of single-file purges): 429, error 971
 *       "Please wait and consider throttling your request speed", with {@code Retry-After} in
 *       seconds (optional); a refused request spends no token;
 *   <li>one kind of item per request, at most the plan's items per request, well-formed tags,
 *       prefixes, hosts and URLs: 400 with an error naming the item.
 * </ul>
 *
 * <p>The 7003/7000, 10000 and 971 errors have the shapes Cloudflare's API sends (as quoted in
 * public client reports); Cloudflare documents no codes for malformed items or too many items,
 * so the codes 1014 (not an array) and 1015 (a malformed or excess item) here are this stand-in's.
 *
 * <p>Scripted answers queued with {@link #enqueue} are used first, one per request, in arrival
 * order, and spend no token. Every request is recorded with its arrival time on the clock.
 */
final class FakeCloudflare implements AutoCloseable {
  static final String ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
  static final String TOKEN = "cf-secret-token-Y2xvdWRmbGFyZS0wMTIzNDU2Nzg5";
  static final String PATH = "/client/v4/zones/" + ZONE + "/purge_cache";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ZONE_PATH =
      Pattern.compile("/client/v4/zones/([^/]*)/purge_cache");
  private static final Pattern HOST_NAME =
      Pattern.compile("[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?");

  /** A request as the server saw it, and how it answered (0 while unanswered). */
  record Recorded(Instant at, String method, String rawPath, String rawQuery,
      Map<String, List<String>> headers, byte[] body, String kind, List<String> items,
      int status) {

    String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }

    boolean accepted() {
      return status == 200;
    }
  }

  /** A scripted answer. */
  @FunctionalInterface
  interface Answer {
    int write(HttpExchange exchange, FakeCloudflare server, JsonNode body) throws IOException;
  }

  private final LoopbackHttpServer server;
  private final Clock clock;
  private final PurgeLimits limits;
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final Queue<Answer> script = new ConcurrentLinkedQueue<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicLong ids = new AtomicLong(0x9a7806061c88adaL);
  private volatile boolean retryAfter = true;
  private final Bucket requestBucket;
  private final Bucket urlBucket;

  private FakeCloudflare(Clock clock, PurgeLimits limits) throws IOException {
    this.clock = clock;
    this.limits = limits;
    this.requestBucket = new Bucket(limits.requests(), limits.per().toNanos(), limits.bucketSize(),
        clock.instant());
    this.urlBucket = new Bucket(limits.urlsPerSecond(), Duration.ofSeconds(1).toNanos(),
        limits.urlsPerSecond(), clock.instant());
    server = LoopbackHttpServer.start("fake-cloudflare", 8, this::handle);
  }

  static FakeCloudflare start(Clock clock, Plan plan) throws IOException {
    return new FakeCloudflare(clock, plan.limits());
  }

  static FakeCloudflare start(Clock clock, PurgeLimits limits) throws IOException {
    return new FakeCloudflare(clock, limits);
  }

  URI baseUri() {
    return server.baseUri();
  }

  /** Whether 429 answers carry {@code Retry-After} (default true). */
  FakeCloudflare retryAfter(boolean send) {
    this.retryAfter = send;
    return this;
  }

  List<Recorded> requests() {
    return List.copyOf(requests);
  }

  /** The requests answered 200 by the API logic (not by a script). */
  List<Recorded> accepted() {
    return requests.stream().filter(Recorded::accepted).toList();
  }

  /** Every item of every accepted request of this kind, in order. */
  List<String> purged(String kind) {
    List<String> out = new ArrayList<>();
    for (Recorded r : accepted()) {
      if (r.kind().equals(kind)) {
        out.addAll(r.items());
      }
    }
    return out;
  }

  long throttled() {
    return requests.stream().filter(r -> r.status() == 429 && r.kind() != null).count();
  }

  FakeCloudflare enqueue(Answer... answers) {
    script.addAll(Arrays.asList(answers));
    return this;
  }

  // ---- scripted answers ----

  static Answer status(int status, String body, String... headerPairs) {
    return (ex, s, json) -> send(ex, status, body, headerPairs);
  }

  /** Answers as Cloudflare does (for a script that scripts a later request). */
  static Answer asCloudflare() {
    return (ex, s, json) -> s.answer(ex, json);
  }

  /** An error in the v4 envelope. */
  static Answer error(int status, int code, String message, String... headerPairs) {
    return (ex, s, json) -> send(ex, status, envelopeError(code, message), headerPairs);
  }

  /** Sends the headers and part of the body, then stalls until the server closes. */
  static Answer stallBody() {
    return (ex, s, json) -> {
      JsonExchanges.stallBody(ex, "{\"success\":", s.release);
      return 200;
    };
  }

  // ---- server ----

  private void handle(HttpExchange ex) {
    Instant at = clock.instant();
    byte[] body;
    int status = 0;
    String kind = null;
    List<String> items = List.of();
    JsonNode json = null;
    try {
      body = ex.getRequestBody().readAllBytes();
      try {
        json = JSON.readTree(body);
      } catch (IOException e) {
        json = null;
      }
      if (json != null && json.isObject()) {
        Iterator<String> names = json.fieldNames();
        if (names.hasNext()) {
          kind = names.next();
          JsonNode array = json.get(kind);
          if (array.isArray()) {
            List<String> list = new ArrayList<>();
            array.forEach(n -> list.add(n.asText()));
            items = list;
          }
        }
      }
    } catch (IOException e) {
      ex.close();
      return;
    }
    int index;
    synchronized (requests) {
      requests.add(new Recorded(at, ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
          ex.getRequestURI().getRawQuery(), Map.copyOf(ex.getRequestHeaders()), body, kind, items,
          0));
      index = requests.size() - 1;
    }
    try {
      Answer a = script.poll();
      status = a != null ? a.write(ex, this, json) : answer(ex, json);
    } catch (IOException | RuntimeException e) {
      ex.close();
    }
    synchronized (requests) {
      Recorded r = requests.get(index);
      requests.set(index, new Recorded(r.at(), r.method(), r.rawPath(), r.rawQuery(), r.headers(),
          r.body(), r.kind(), r.items(), status));
    }
  }

  /** Answers as Cloudflare does; returns the status sent. */
  private int answer(HttpExchange ex, JsonNode json) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    var m = ZONE_PATH.matcher(path);
    if (!m.matches()) {
      return send(ex, 404, "{\"success\":false,\"errors\":[{\"code\":7000,\"message\":"
          + "\"No route for that URI\"}],\"messages\":[],\"result\":null}");
    }
    if (!("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
      return send(ex, 403, envelopeError(10000, "Authentication error"));
    }
    if (!m.group(1).equals(ZONE)) {
      return send(ex, 400, "{\"success\":false,\"errors\":[{\"code\":7003,\"message\":\"Could not"
          + " route to " + path + ", perhaps your object identifier is invalid?\"},{\"code\":7000,"
          + "\"message\":\"No route for that URI\"}],\"messages\":[],\"result\":null}");
    }
    if (!ex.getRequestMethod().equals("POST")) {
      return send(ex, 405, envelopeError(10000, "Method not allowed"));
    }
    String problem = check(json);
    if (problem != null) {
      return send(ex, 400, envelopeError(problem.startsWith("must be") ? 1014 : 1015, problem));
    }
    String kind = json.fieldNames().next();
    int urls = kind.equals("files") ? json.get(kind).size() : 0;
    Duration wait;
    synchronized (this) {
      Instant now = clock.instant();
      Duration w1 = requestBucket.waitFor(1, now);
      Duration w2 = urls > 0 ? urlBucket.waitFor(urls, now) : Duration.ZERO;
      wait = w1.compareTo(w2) >= 0 ? w1 : w2;
      if (wait.isZero()) {
        requestBucket.take(1, now);
        if (urls > 0) {
          urlBucket.take(urls, now);
        }
      }
    }
    if (!wait.isZero()) {
      long seconds = (wait.toNanos() + 999_999_999L) / 1_000_000_000L;
      return retryAfter
          ? send(ex, 429, envelopeError(971, "Please wait and consider throttling your request"
              + " speed"), "Retry-After", String.valueOf(seconds))
          : send(ex, 429, envelopeError(971, "Please wait and consider throttling your request"
              + " speed"));
    }
    ObjectNode ok = JSON.createObjectNode();
    ok.put("success", true);
    ok.putArray("errors");
    ok.putArray("messages");
    ok.putObject("result").put("id", HexFormat.of().toHexDigits(ids.getAndIncrement())
        + "0123456789abcdef");
    return send(ex, 200, JSON.writeValueAsString(ok));
  }

  /** What Cloudflare would refuse in this body, or null. */
  private String check(JsonNode json) {
    if (json == null || !json.isObject() || json.size() != 1) {
      return "must be one of 'tags', 'hosts', 'prefixes', 'files' or 'purge_everything'";
    }
    String kind = json.fieldNames().next();
    JsonNode array = json.get(kind);
    if (!List.of("tags", "hosts", "prefixes", "files").contains(kind)) {
      return "must be one of 'tags', 'hosts', 'prefixes', 'files' or 'purge_everything'";
    }
    if (!array.isArray() || array.isEmpty()) {
      return "must be a non-empty array: '" + kind + "'";
    }
    int max = kind.equals("files") ? limits.maxUrlsPerRequest() : limits.maxOperationsPerRequest();
    if (array.size() > max) {
      return "More than " + max + " " + kind + " in one request (" + array.size() + ")";
    }
    for (JsonNode n : array) {
      if (!n.isTextual()) {
        return "must be an array of strings: '" + kind + "'";
      }
      String v = n.asText();
      String p = switch (kind) {
        case "tags" -> v.isEmpty() || v.length() > 1024 || !v.chars().allMatch(
            c -> c > 0x20 && c < 0x7f && c != ',') ? "invalid tag" : null;
        case "hosts" -> HOST_NAME.matcher(v).matches() ? null : "invalid host";
        case "prefixes" -> v.contains("://") || v.contains("?") || v.contains("#")
            || v.chars().filter(c -> c == '/').count() > 31 || !HOST_NAME.matcher(
                v.indexOf('/') < 0 ? v : v.substring(0, v.indexOf('/'))).matches()
            ? "invalid prefix" : null;
        default -> validUrl(v) ? null : "invalid URL";
      };
      if (p != null) {
        return p + ": '" + v + "'";
      }
    }
    return null;
  }

  private static boolean validUrl(String v) {
    try {
      URI u = new URI(v);
      return (u.getScheme().equals("https") || u.getScheme().equals("http"))
          && u.getHost() != null && u.getRawPath().startsWith("/") && u.getRawFragment() == null
          && !v.contains("*");
    } catch (Exception e) {
      return false;
    }
  }

  static String envelopeError(int code, String message) {
    ObjectNode root = JSON.createObjectNode();
    root.put("success", false);
    ArrayNode errors = root.putArray("errors");
    errors.addObject().put("code", code).put("message", message);
    root.putArray("messages");
    root.putNull("result");
    return root.toString();
  }

  private static int send(HttpExchange ex, int status, String body, String... headerPairs)
      throws IOException {
    return JsonExchanges.send(ex, status, body, headerPairs);
  }

  @Override
  public void close() {
    release.countDown();
    server.close();
  }

  /**
   * A token bucket in exact integer arithmetic: {@code scaled} is tokens times {@code perNanos};
   * every elapsed nanosecond adds {@code count}. Independent of the purger's limiter on purpose.
   */
  static final class Bucket {
    private final long count;
    private final long perNanos;
    private final long capacityScaled;
    private long scaled;
    private Instant last;

    Bucket(long count, long perNanos, long capacity, Instant start) {
      this.count = count;
      this.perNanos = perNanos;
      this.capacityScaled = capacity * perNanos;
      this.scaled = capacityScaled;
      this.last = start;
    }

    private void refill(Instant now) {
      long elapsed = Duration.between(last, now).toNanos();
      if (elapsed > 0) {
        scaled = Math.min(capacityScaled, scaled + elapsed * count);
        last = now;
      }
    }

    Duration waitFor(long tokens, Instant now) {
      refill(now);
      long missing = tokens * perNanos - scaled;
      return missing <= 0 ? Duration.ZERO : Duration.ofNanos((missing + count - 1) / count);
    }

    void take(long tokens, Instant now) {
      refill(now);
      scaled -= tokens * perNanos;
    }
  }
}
