package dev.fanout.http;

import static dev.fanout.internal.Checks.positive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.DeliveryException;
import dev.fanout.Endpoint;
import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.WireContract;
import dev.fanout.internal.CappedBody;
import dev.fanout.internal.DaemonThreads;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.internal.RetryAfter;
import dev.fanout.spi.Ack;
import dev.fanout.spi.Notifier;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Delivers invalidations to replicas over HTTP with {@code java.net.http}.
 *
 * <p>By default it sends a signed JSON POST, the form a Next.js route verified with the {@code
 * standardwebhooks} npm package and fanout's {@code InvalidationReceiver} both accept:
 *
 * <pre>{@code
 * POST /api/revalidate HTTP/1.1
 * content-type: application/json
 * webhook-id: inv_3f2a...
 * webhook-timestamp: 1767225600
 * webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=
 *
 * {"id":"inv_3f2a...","paths":["/blog/hello"],"tags":["post:42"]}
 * }</pre>
 *
 * <p>An invalidation larger than one request may carry ({@link WireContract}: 1,000 paths, 1,000
 * tags, 64 KiB of body) is sent as several requests, chunks, each within those limits and signed
 * with its own {@code webhook-id} ({@link WireContract#chunkId(String, int, int)}); its body says
 * which chunk it is, {@code "chunk":{"index":i,"count":n}}. The chunks of one invalidation are the
 * same for every target and every attempt. A target acknowledges when every chunk did; an attempt
 * that fails part-way is retried with only the chunks not yet acknowledged (the notifier remembers
 * them per invalidation and target until the target acknowledged, the failure was final, the
 * invalidation is no longer referenced, or 10 minutes passed; at most 65,536 such records, oldest
 * dropped first, which only means resending). Requests to one target go at most 4 at a time.
 *
 * <p>Presets cover the other common receivers: {@link #varnishPurge()} sends {@code PURGE <path>}
 * once per path, {@link #varnishXkey()} sends {@code PURGE} requests with an {@code xkey-purge}
 * header listing the tags, split so that no header value exceeds {@value #MAX_XKEY_HEADER_BYTES}
 * bytes.
 *
 * <p>A 2xx answer acknowledges (optionally also checked by {@link Builder#ackWhen(Predicate)});
 * redirects are never followed; at most {@link Builder#maxResponseBytes(int)} of a response body is
 * read. Failures complete exceptionally with a {@link DeliveryException} carrying the status and any
 * {@code Retry-After}; retries and timeouts are the engine's (each {@link #deliver} is one
 * attempt). Secrets never appear in URLs, logs, {@link #toString()} or exception messages.
 *
 * <p>The default {@link HttpClient} speaks HTTP/1.1 (no h2c upgrade offered to every pod), has a
 * 2-second connect timeout, never follows redirects, and completes responses on two daemon threads
 * of its own, so the thread count does not grow with the number of replicas.
 *
 * @since 0.1
 */
public final class HttpNotifier implements Notifier, AutoCloseable {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String USER_AGENT = "fanout/0.1";
  /** Most requests of one attempt in flight to one target at once. */
  static final int PER_TARGET_WINDOW = 4;

  /**
   * Largest {@code xkey-purge} header value: half of Varnish's default {@code http_req_hdr_len}
   * (8 KiB per header line), leaving room for proxies in between.
   */
  public static final int MAX_XKEY_HEADER_BYTES = 4096;

  /** How long partly acknowledged multi-request deliveries are remembered for a retry. */
  static final int PROGRESS_RETENTION_MINUTES = 10;

  /** Most partly acknowledged multi-request deliveries remembered at once. */
  static final int PROGRESS_MAX_ENTRIES = 65_536;

  private final HttpClient givenClient;
  private final Duration connectTimeout;
  private volatile HttpClient client;
  private volatile java.util.concurrent.ExecutorService clientThreads;
  private final NioTransport nio;
  private final String method;
  private final String scheme;
  private final String path;
  private final int port;
  private final boolean perPath;
  private final boolean needsTags;
  private final BodyMode body;
  private final Map<String, Function<Invalidation, String>> headers;
  private final WebhookSigner signer;
  private final Clock clock;
  private final int maxResponseBytes;
  private final Duration requestTimeout;
  private final Predicate<JsonNode> ackWhen;
  private final int relayHop;
  private final PartProgress progress;
  /** The last few invalidations' plans: a fan-out plans once and delivers to every target. */
  private final java.util.concurrent.atomic.AtomicReferenceArray<Plan> plans =
      new java.util.concurrent.atomic.AtomicReferenceArray<>(4);
  private final java.util.concurrent.atomic.AtomicInteger nextPlanSlot =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * How requests travel.
   *
   * @since 0.1
   */
  public enum Transport {
    /**
     * fanout's own HTTP/1.1 client on one selector thread (the default for plain {@code http}):
     * pooled kept-alive connections, no thread per request, far less CPU per request than {@link
     * #JDK} (measured in the project's BENCHMARKS.md).
     * Used for IP-literal endpoints over plain HTTP; host names and HTTPS go through {@link #JDK}.
     */
    NIO,
    /** {@code java.net.http.HttpClient}: HTTPS, HTTP/2, host-name endpoints, a client of your own. */
    JDK
  }

  /** What a request carries as its body. */
  private enum BodyMode {
    JSON,
    NONE
  }

  private HttpNotifier(Builder b) {
    this.givenClient = b.client;
    this.connectTimeout = b.connectTimeout;
    boolean jdk = b.client != null || "https".equals(b.scheme) || b.transport == Transport.JDK;
    this.nio = jdk ? null : new NioTransport(b.connectTimeout);
    this.method = b.method;
    this.scheme = b.scheme;
    this.path = b.path;
    this.port = b.port;
    this.perPath = b.perPath;
    this.needsTags = b.xkey;
    this.body = b.body;
    this.headers = new LinkedHashMap<>(b.headers);
    this.signer = b.signer;
    this.clock = b.clock;
    this.maxResponseBytes = b.maxResponseBytes;
    this.requestTimeout = b.requestTimeout;
    this.ackWhen = b.ackWhen;
    this.relayHop = b.relayHop;
    this.progress = new PartProgress(PROGRESS_MAX_ENTRIES,
        Duration.ofMinutes(PROGRESS_RETENTION_MINUTES), b.clock);
  }

  /**
   * Returns a builder for the signed JSON POST (the default form). A signing secret, or an explicit
   * {@link Builder#unsigned()}, is required.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder preset for Varnish {@code PURGE} by URL: one {@code PURGE <path>} request per
   * path of the invalidation, without a body, unsigned (Varnish restricts PURGE by ACL). Tags are
   * ignored; use {@link #varnishXkey()} for them.
   *
   * @return the builder
   */
  public static Builder varnishPurge() {
    Builder b = new Builder();
    b.method = "PURGE";
    b.perPath = true;
    b.body = BodyMode.NONE;
    b.unsigned = true;
    return b;
  }

  /**
   * Returns a builder preset for a Varnish xkey purge: a {@code PURGE /} request with an {@code
   * xkey-purge} header holding the invalidation's tags separated by spaces, without a body,
   * unsigned; as many requests as it takes to keep each header within {@value
   * #MAX_XKEY_HEADER_BYTES} bytes. An invalidation without tags is acknowledged without a request.
   *
   * @return the builder
   */
  public static Builder varnishXkey() {
    Builder b = new Builder();
    b.method = "PURGE";
    b.path = "/";
    b.body = BodyMode.NONE;
    b.unsigned = true;
    b.xkey = true;
    b.headers.put("xkey-purge", inv -> String.join(" ", inv.tags()));
    return b;
  }

  @Override
  public CompletionStage<Ack> deliver(Endpoint endpoint, Invalidation invalidation) {
    Plan plan;
    List<Req> requests;
    try {
      plan = plan(invalidation);
      requests = requests(endpoint, plan);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(
          new DeliveryException(ErrorKind.INTERNAL, 0, null, "cannot build request: " + e.getMessage(), null));
    }
    if (requests.isEmpty()) {
      return CompletableFuture.completedFuture(new Ack(0, "nothing to send"));
    }
    if (requests.size() == 1) {
      return send(requests.get(0));
    }
    return sendParts(endpoint, plan, requests);
  }

  /**
   * Sends a catch-up signal as a signed JSON POST to the same path as invalidations ({@link
   * dev.fanout.catchup.CatchUpWire}) and reads the receiver's {@code freshSince} from the answer.
   * Static headers are sent with it, headers computed from an invalidation are not. The Varnish presets send nothing
   * (a Varnish tier cannot say since when it is fresh).
   */
  @Override
  public CompletionStage<java.util.Optional<java.time.Instant>> catchUp(
      Endpoint endpoint, String id, dev.fanout.spi.CatchUpSignal signal) {
    if (body != BodyMode.JSON) {
      return CompletableFuture.completedFuture(java.util.Optional.empty());
    }
    Req request;
    try {
      byte[] json = dev.fanout.catchup.CatchUpWire.body(id, signal);
      request = requests(endpoint, new Plan(null, List.of(new Part(null, path, json, id)), false)).get(0);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(
          new DeliveryException(ErrorKind.INTERNAL, 0, null, "cannot build request: " + e.getMessage(), null));
    }
    return send(request).thenApply(ack -> dev.fanout.catchup.CatchUpWire.freshSince(ack.detail()));
  }

  /**
   * Sends the parts of a multi-request delivery that the target has not acknowledged yet, and
   * records each acknowledgement as it arrives, so that the engine's retry (or a timed-out attempt's
   * retry) sends only what is missing.
   */
  private CompletableFuture<Ack> sendParts(Endpoint endpoint, Plan plan, List<Req> requests) {
    int n = requests.size();
    PartProgress.Entry entry = progress.open(plan.invalidation, endpoint.authority(), n);
    java.util.BitSet acked = progress.acked(entry);
    List<Integer> todo = new ArrayList<>(n - acked.cardinality());
    for (int i = acked.nextClearBit(0); i < n; i = acked.nextClearBit(i + 1)) {
      todo.add(i);
    }
    String unit = plan.chunked ? " chunks" : " requests";
    if (todo.isEmpty()) {
      progress.close(entry);
      return CompletableFuture.completedFuture(new Ack(0, n + unit + ", all acknowledged before"));
    }
    CompletableFuture<Ack> sent = sendWindowed(requests, todo, plan.chunked, i -> progress.ack(entry, i));
    CompletableFuture<Ack> result = new CompletableFuture<>();
    sent.whenComplete((ack, error) -> {
      Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
          ? error.getCause() : error;
      // Done, or a failure the engine does not retry: nothing to resume. Forgotten before the
      // outcome is known, so that nobody sees the target finished and the record still there.
      if (error == null || (cause instanceof DeliveryException d && !d.kind().isRetryable())) {
        progress.close(entry);
      }
      if (error != null) {
        result.completeExceptionally(error);
      } else {
        result.complete(new Ack(ack.status(), n + unit
            + (todo.size() < n ? " (" + todo.size() + " sent in this attempt)" : "")));
      }
    });
    // The engine cancels the attempt on its timeout: that must abandon the requests in flight.
    result.whenComplete((v, e) -> {
      if (result.isCancelled()) {
        sent.cancel(true);
      }
    });
    return result;
  }

  /**
   * Sends the requests at the given positions, at most {@link #PER_TARGET_WINDOW} at a time: the
   * stage's concurrency limit counts targets, and a flush of thousands of paths must not open
   * thousands of sockets to one replica. The first failure fails the attempt and nothing more is
   * sent.
   */
  private CompletableFuture<Ack> sendWindowed(List<Req> requests, List<Integer> positions,
      boolean chunked, java.util.function.IntConsumer onAck) {
    CompletableFuture<Ack> result = new CompletableFuture<>();
    java.util.Set<CompletableFuture<Ack>> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      int k = next.getAndIncrement();
      if (k >= positions.size() || result.isDone()) {
        return;
      }
      int position = positions.get(k);
      CompletableFuture<Ack> f = send(requests.get(position));
      inFlight.add(f);
      f.whenComplete((ack, error) -> {
        inFlight.remove(f);
        if (error != null) {
          result.completeExceptionally(chunked ? inChunk(error, position, requests.size()) : error);
          return;
        }
        onAck.accept(position);
        if (done.incrementAndGet() == positions.size()) {
          result.complete(ack);
        } else {
          pump[0].run();
        }
      });
    };
    for (int k = 0; k < Math.min(PER_TARGET_WINDOW, positions.size()); k++) {
      pump[0].run();
    }
    // Cancelling or failing the attempt abandons every request of it still in flight.
    result.whenComplete((v, e) -> {
      if (e != null) {
        inFlight.forEach(f -> f.cancel(true));
      }
    });
    return result;
  }

  /** Names the chunk in an HTTP failure, so that a report says which request was refused. */
  private static Throwable inChunk(Throwable error, int index, int count) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    if (cause instanceof DeliveryException d) {
      return new DeliveryException(d.kind(), d.status(), d.retryAfter().orElse(null),
          "chunk " + (index + 1) + " of " + count + ": " + d.getMessage(), d);
    }
    return error;
  }

  private CompletableFuture<Ack> send(Req request) {
    CompletableFuture<Ack> result;
    CompletableFuture<?> call;
    if (nio != null && !request.address().isUnresolved()) {
      CompletableFuture<NioTransport.Response> c = nio.send(request.address(), request.toBytes(), maxResponseBytes);
      call = c;
      result = c.handle((response, error) -> {
        if (error != null) {
          throw wrap(error);
        }
        return toAck(response.status(), response.body(), response.headers().get("retry-after"));
      });
    } else {
      CompletableFuture<HttpResponse<byte[]>> c =
          client().sendAsync(request.toHttpRequest(requestTimeout), CappedBody.handler(maxResponseBytes));
      call = c;
      result = c.handle((response, error) -> {
        if (error != null) {
          throw wrap(error);
        }
        // The JDK client is lenient about framing; refuse what the NIO transport refuses.
        String framing = ResponseParser.framingProblem(response.statusCode(),
            joined(response.headers().allValues("content-length")),
            joined(response.headers().allValues("transfer-encoding")));
        if (framing != null) {
          throw wrap(new java.net.ProtocolException(framing));
        }
        return toAck(response.statusCode(), response.body(),
            response.headers().firstValue("retry-after").orElse(null));
      });
    }
    result.whenComplete((v, e) -> {
      if (result.isCancelled()) {
        call.cancel(true);
      }
    });
    return result;
  }

  private static String joined(List<String> values) {
    return values.isEmpty() ? null : String.join(", ", values);
  }

  private Ack toAck(int status, byte[] body, String retryAfterHeader) {
    if (status >= 200 && status < 300) {
      if (ackWhen != null) {
        JsonNode json;
        try {
          json = MAPPER.readTree(body);
        } catch (IOException e) {
          throw new DeliveryException(ErrorKind.BAD_ACK, status, null, "answer is not JSON", null);
        }
        if (json == null || !ackWhen.test(json)) {
          throw new DeliveryException(ErrorKind.BAD_ACK, status, null,
              "answer did not acknowledge: " + excerpt(body), null);
        }
      }
      String detail = excerpt(body, 240);
      return new Ack(status, detail.isEmpty() ? null : detail);
    }
    Duration retryAfter = RetryAfter.parse(retryAfterHeader, clock).orElse(null);
    String reason = reason(status, body);
    throw DeliveryException.ofStatus(status, retryAfter, reason);
  }

  private static String reason(int status, byte[] body) {
    String text = excerpt(body);
    String base = status == 401 ? "unauthorized" : status == 403 ? "forbidden"
        : status == 404 ? "not found" : status == 429 ? "too many requests"
        : status >= 300 && status < 400 ? "redirect not followed" : "HTTP " + status;
    return text.isEmpty() ? base : base + ": " + text;
  }

  private static String excerpt(byte[] body) {
    return excerpt(body, 120);
  }

  private static String excerpt(byte[] body, int max) {
    if (body == null || body.length == 0) {
      return "";
    }
    String s = new String(body, 0, Math.min(body.length, max), StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    return sb.toString().trim();
  }

  /** One request of an invalidation: the part it carries, its target, body and webhook-id. */
  private record Part(Invalidation invalidation, String target, byte[] body, String webhookId) {}

  /** Signatures of a plan's parts at one second. */
  private record Signatures(long timestamp, String[] values) {}

  /**
   * The requests an invalidation becomes, the same for every target: encoded once per invalidation,
   * signed once per second, not once per replica.
   */
  private static final class Plan {
    final Invalidation invalidation;
    final List<Part> parts;
    final boolean chunked;
    volatile Signatures signatures;

    Plan(Invalidation invalidation, List<Part> parts, boolean chunked) {
      this.invalidation = invalidation;
      this.parts = parts;
      this.chunked = chunked;
    }
  }

  private Plan plan(Invalidation invalidation) {
    for (int i = 0; i < plans.length(); i++) {
      Plan p = plans.get(i);
      if (p != null && p.invalidation == invalidation) {
        return p;
      }
    }
    Plan fresh = newPlan(invalidation);
    plans.set(Math.floorMod(nextPlanSlot.getAndIncrement(), plans.length()), fresh);
    return fresh;
  }

  private Plan newPlan(Invalidation invalidation) {
    List<Part> parts = new ArrayList<>();
    boolean chunked = false;
    if (body == BodyMode.JSON) {
      List<InvalidationJson.Encoded> encoded = InvalidationJson.split(invalidation, relayHop,
          WireContract.MAX_PATHS_PER_REQUEST, WireContract.MAX_TAGS_PER_REQUEST, WireContract.MAX_BODY_BYTES);
      for (InvalidationJson.Encoded e : encoded) {
        parts.add(new Part(e.invalidation(), path, e.body(), e.webhookId()));
      }
      chunked = encoded.size() > 1;
    } else if (perPath) {
      for (String p : invalidation.paths()) {
        parts.add(new Part(invalidation, p, new byte[0], invalidation.id()));
      }
    } else if (needsTags) {
      for (List<String> group : xkeyGroups(invalidation.tags())) {
        Invalidation part = group.size() == invalidation.tags().size() ? invalidation
            : new Invalidation(invalidation.id(), List.of(), group, invalidation.entity(), invalidation.version());
        parts.add(new Part(part, path, new byte[0], invalidation.id()));
      }
    } else {
      parts.add(new Part(invalidation, path, new byte[0], invalidation.id()));
    }
    return new Plan(invalidation, List.copyOf(parts), chunked);
  }

  /** Tags in order, grouped so that each group joined by spaces fits one {@code xkey-purge} header. */
  private static List<List<String>> xkeyGroups(List<String> tags) {
    List<List<String>> groups = new ArrayList<>();
    List<String> current = new ArrayList<>();
    int length = 0;
    for (String tag : tags) {
      int add = tag.getBytes(StandardCharsets.UTF_8).length + (current.isEmpty() ? 0 : 1);
      if (!current.isEmpty() && length + add > MAX_XKEY_HEADER_BYTES) {
        groups.add(current);
        current = new ArrayList<>();
        length = 0;
        add = tag.getBytes(StandardCharsets.UTF_8).length;
      }
      current.add(tag);
      length += add;
    }
    if (!current.isEmpty()) {
      groups.add(current);
    }
    return groups;
  }

  private String[] signatures(Plan plan, long ts) {
    Signatures s = plan.signatures;
    if (s != null && s.timestamp == ts) {
      return s.values;
    }
    String[] values = new String[plan.parts.size()];
    for (int i = 0; i < values.length; i++) {
      Part part = plan.parts.get(i);
      values[i] = signer.sign(part.webhookId, ts, part.body);
    }
    plan.signatures = new Signatures(ts, values);
    return values;
  }

  /** A request in transport-neutral form. */
  record Req(String method, String scheme, String authority, String target,
      List<Map.Entry<String, String>> headers, byte[] body, InetSocketAddress address) {

    HttpRequest toHttpRequest(Duration timeout) {
      HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(scheme + "://" + authority + target))
          .method(method, body.length == 0
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body))
          .timeout(timeout);
      for (Map.Entry<String, String> h : headers) {
        rb.header(h.getKey(), h.getValue());
      }
      return rb.build();
    }

    byte[] toBytes() {
      StringBuilder sb = new StringBuilder(160 + 96 * headers.size()).append(method).append(' ').append(target)
          .append(" HTTP/1.1\r\nhost: ").append(authority).append("\r\n");
      for (Map.Entry<String, String> h : headers) {
        sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      }
      sb.append("content-length: ").append(body.length).append("\r\n\r\n");
      byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
      byte[] all = java.util.Arrays.copyOf(head, head.length + body.length);
      System.arraycopy(body, 0, all, head.length, body.length);
      return all;
    }
  }

  List<Req> requests(Endpoint endpoint, Invalidation invalidation) {
    return requests(endpoint, plan(invalidation));
  }

  private List<Req> requests(Endpoint endpoint, Plan plan) {
    List<Req> out = new ArrayList<>(plan.parts.size());
    if (plan.parts.isEmpty()) {
      return out;
    }
    long ts = clock.instant().getEpochSecond();
    String[] signatures = signer == null ? null : signatures(plan, ts);
    String host = endpoint.isIpv6() ? "[" + endpoint.address() + "]" : endpoint.address();
    int p = port > 0 ? port : endpoint.port();
    InetSocketAddress address = isLiteral(endpoint)
        ? new InetSocketAddress(literal(endpoint.address()), p)
        : InetSocketAddress.createUnresolved(endpoint.address(), p);
    for (int i = 0; i < plan.parts.size(); i++) {
      Part part = plan.parts.get(i);
      List<Map.Entry<String, String>> hs = new ArrayList<>();
      hs.add(Map.entry("user-agent", USER_AGENT));
      if (part.body.length > 0) {
        hs.add(Map.entry("content-type", "application/json"));
      }
      for (Map.Entry<String, Function<Invalidation, String>> h : headers.entrySet()) {
        String value = part.invalidation != null ? h.getValue().apply(part.invalidation)
            : signalHeader(h.getValue());
        if (value != null && !value.isEmpty()) {
          // Header values are ASCII on the wire: a tag such as "caf\u00e9" would reach Varnish
          // mangled, be acknowledged, and purge nothing. Refuse it so the report says so.
          if (!isHeaderSafe(value)) {
            throw new IllegalArgumentException("header " + h.getKey()
                + " would contain a control or non-ASCII character");
          }
          hs.add(Map.entry(h.getKey(), value));
        }
      }
      if (signatures != null) {
        hs.add(Map.entry("webhook-id", part.webhookId));
        hs.add(Map.entry("webhook-timestamp", Long.toString(ts)));
        hs.add(Map.entry("webhook-signature", signatures[i]));
      }
      out.add(new Req(method, scheme, host + ":" + p, Paths.encode(part.target), hs, part.body, address));
    }
    return out;
  }

  /**
   * A header for a catch-up signal, which carries no invalidation: static headers (an ingress's
   * authorization, say) are sent, a header computed from the invalidation is left out.
   */
  private static String signalHeader(Function<Invalidation, String> value) {
    try {
      return value.apply(null);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Printable ASCII and tab only; a plain loop, since it runs for every header of every request. */
  private static boolean isHeaderSafe(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private static java.util.concurrent.CompletionException wrap(Throwable error) {
    return error instanceof java.util.concurrent.CompletionException
        ? (java.util.concurrent.CompletionException) error
        : new java.util.concurrent.CompletionException(error);
  }

  private HttpClient client() {
    HttpClient c = client;
    if (c == null) {
      synchronized (this) {
        c = client;
        if (c == null) {
          if (givenClient != null) {
            c = givenClient;
          } else {
            clientThreads = Executors.newFixedThreadPool(2, new DaemonThreads("fanout-http"));
            c = defaultClient(connectTimeout, clientThreads);
          }
          client = c;
        }
      }
    }
    return c;
  }

  private static final java.util.regex.Pattern IPV4 = java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private static boolean isLiteral(Endpoint e) {
    return e.isIpv6() || IPV4.matcher(e.address()).matches();
  }

  private static java.net.InetAddress literal(String address) {
    try {
      // An IP literal is parsed, never looked up.
      return java.net.InetAddress.getByName(address);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("not an IP literal: " + address);
    }
  }

  /** How many partly acknowledged multi-request deliveries are remembered (tests). */
  int rememberedDeliveries() {
    return progress.size();
  }

  /** How many requests of this invalidation the endpoint acknowledged so far (tests). */
  int acknowledgedParts(Invalidation invalidation, Endpoint endpoint) {
    return progress.acknowledged(invalidation, endpoint.authority());
  }

  /**
   * Stops the threads this notifier started (the NIO selector thread, or the default {@code
   * java.net.http} client's two threads). Optional, since they are daemons; close notifiers you
   * create and discard repeatedly. A client passed to the builder is left alone.
   */
  @Override
  public void close() {
    if (nio != null) {
      nio.close();
    }
    java.util.concurrent.ExecutorService threads = clientThreads;
    if (threads != null) {
      threads.shutdown();
    }
  }

  private static HttpClient defaultClient(Duration connectTimeout, java.util.concurrent.Executor threads) {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(connectTimeout)
        .executor(threads)
        .build();
  }

  /**
   * Returns a description without secrets, e.g. {@code HttpNotifier[POST /api/revalidate, signed]}.
   *
   * @return the description
   */
  @Override
  public String toString() {
    return "HttpNotifier[" + method + " " + (perPath ? "<path>" : path)
        + (port > 0 ? " port " + port : "") + ", " + (signer != null ? "signed" : "unsigned")
        + ", " + (nio != null ? "nio" : "jdk") + "]";
  }

  /**
   * Configures an {@link HttpNotifier}. Not thread-safe.
   *
   * @since 0.1
   */
  public static final class Builder {
    private HttpClient client;
    private String method = "POST";
    private String scheme = "http";
    private String path = "/api/revalidate";
    private int port;
    private boolean perPath;
    private boolean xkey;
    private BodyMode body = BodyMode.JSON;
    private final Map<String, Function<Invalidation, String>> headers = new LinkedHashMap<>();
    private WebhookSigner signer;
    private boolean unsigned;
    private Clock clock = Clock.systemUTC();
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration requestTimeout = Duration.ofSeconds(30);
    private int maxResponseBytes = 16 * 1024;
    private Predicate<JsonNode> ackWhen;
    private Transport transport = Transport.NIO;
    private int relayHop;

    private Builder() {}

    /**
     * Marks every body as relayed this many hops ({@code "hop":n}, inside the signed bytes). An
     * {@code InvalidationReceiver} never relays a request whose hop count is 1 or more, which is
     * what stops relay loops; its relay sets 1. Default 0 (not relayed).
     *
     * @param hop 0 to {@value dev.fanout.internal.InvalidationJson#MAX_HOP}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder relayHop(int hop) {
      if (hop < 0 || hop > InvalidationJson.MAX_HOP) {
        throw new IllegalArgumentException("relayHop must be 0.." + InvalidationJson.MAX_HOP + ": " + hop);
      }
      this.relayHop = hop;
      return this;
    }

    /**
     * Chooses the transport. Default {@link Transport#NIO} for plain HTTP to IP-literal endpoints;
     * HTTPS, host names and a {@link #client(HttpClient)} of your own always use {@link
     * Transport#JDK}.
     *
     * @param transport the transport
     * @return this builder
     */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * Sets the HTTP method. Default {@code POST} ({@code PURGE} for the Varnish presets).
     *
     * @param method an HTTP method token, e.g. {@code POST}, {@code PURGE}, {@code BAN}
     * @return this builder
     * @throws IllegalArgumentException if not a valid token
     */
    public Builder method(String method) {
      Objects.requireNonNull(method, "method");
      if (!method.matches("[A-Z][A-Z-]{0,19}")) {
        throw new IllegalArgumentException("method must be an upper-case HTTP token: '" + method + "'");
      }
      this.method = method;
      return this;
    }

    /**
     * Sets the request path. Default {@code /api/revalidate}. Ignored by {@link #varnishPurge()},
     * which requests each invalidated path.
     *
     * @param path an absolute path, optionally with a query
     * @return this builder
     * @throws IllegalArgumentException if not absolute or it contains control characters
     */
    public Builder path(String path) {
      Objects.requireNonNull(path, "path");
      if (!path.startsWith("/") || path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw new IllegalArgumentException("path must be absolute, without control characters");
      }
      this.path = path;
      return this;
    }

    /**
     * Uses HTTPS instead of HTTP.
     *
     * @param https true for {@code https}
     * @return this builder
     */
    public Builder https(boolean https) {
      this.scheme = https ? "https" : "http";
      return this;
    }

    /**
     * Sends to this port instead of the endpoint's (e.g. a dedicated invalidation listener).
     *
     * @param port 1 to 65535
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder port(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be 1..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Adds a static header.
     *
     * @param name the header name
     * @param value the value
     * @return this builder
     * @throws IllegalArgumentException if the name is invalid or the value has control characters
     */
    public Builder header(String name, String value) {
      Objects.requireNonNull(value, "value");
      checkHeaderValue(value);
      return header(name, inv -> value);
    }

    /**
     * Adds a header computed from the invalidation, e.g. {@code inv -> String.join(" ",
     * inv.tags())}. A null or empty value omits the header.
     *
     * @param name the header name
     * @param value computes the value
     * @return this builder
     * @throws IllegalArgumentException if the name is invalid or reserved for signing
     */
    public Builder header(String name, Function<Invalidation, String> value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      String lower = name.toLowerCase(Locale.ROOT);
      if (!lower.matches("[a-z0-9!#$%&'*+.^_`|~-]+")) {
        throw new IllegalArgumentException("invalid header name: '" + name + "'");
      }
      if (lower.startsWith("webhook-")) {
        throw new IllegalArgumentException("webhook-* headers are set by the signer");
      }
      headers.put(lower, value);
      return this;
    }

    /**
     * Signs every request with this Standard Webhooks secret ({@code whsec_<base64>} or plain
     * base64, 24 to 64 bytes decoded).
     *
     * @param secret the secret
     * @return this builder
     * @throws IllegalArgumentException if the secret is invalid (the message never contains it)
     */
    public Builder signingSecret(String secret) {
      this.signer = WebhookSigner.of(secret);
      this.unsigned = false;
      return this;
    }

    /**
     * Sends requests unsigned. Required, explicitly, for a JSON notifier without a secret, so that
     * an unsigned sender is never the result of a missing environment variable.
     *
     * @return this builder
     */
    public Builder unsigned() {
      this.signer = null;
      this.unsigned = true;
      return this;
    }

    /**
     * Sets the HTTP client. Default: HTTP/1.1, 2 s connect timeout, redirects never followed, two
     * daemon threads. A custom client must not follow redirects.
     *
     * @param client the client
     * @return this builder
     */
    public Builder client(HttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Sets the connect timeout of the default client. Default 2 seconds.
     *
     * @param timeout the timeout, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Sets {@link HttpRequest.Builder#timeout}, a backstop for the time to the response headers.
     * The engine's per-attempt timeout, which also covers the body, is the one that matters.
     * Default 30 seconds.
     *
     * @param timeout the timeout, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /**
     * Sets how much of a response body is read at most. Default 16 KiB.
     *
     * @param bytes the limit, 0 to 1 MiB
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxResponseBytes(int bytes) {
      if (bytes < 0 || bytes > 1 << 20) {
        throw new IllegalArgumentException("maxResponseBytes must be 0..1048576: " + bytes);
      }
      this.maxResponseBytes = bytes;
      return this;
    }

    /**
     * Also requires the 2xx answer's JSON body to satisfy the predicate, e.g. {@code json ->
     * json.path("revalidated").asBoolean()}. A body that is not JSON, or fails the predicate, is a
     * {@link ErrorKind#BAD_ACK}.
     *
     * @param predicate the predicate
     * @return this builder
     */
    public Builder ackWhen(Predicate<JsonNode> predicate) {
      this.ackWhen = Objects.requireNonNull(predicate, "predicate");
      return this;
    }

    /**
     * Sets the clock for signature timestamps and {@code Retry-After} dates. Default {@link
     * Clock#systemUTC()}.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the notifier.
     *
     * @return the notifier
     * @throws IllegalStateException if neither a signing secret nor {@link #unsigned()} was given
     */
    public HttpNotifier build() {
      if (signer == null && !unsigned) {
        throw new IllegalStateException(
            "HttpNotifier needs signingSecret(...) or an explicit unsigned()");
      }
      if (xkey && !headers.containsKey("xkey-purge")) {
        throw new IllegalStateException("the xkey preset needs its xkey-purge header");
      }
      return new HttpNotifier(this);
    }


    private static void checkHeaderValue(String value) {
      if (!isHeaderSafe(value)) {
        throw new IllegalArgumentException("header value contains a control or non-ASCII character");
      }
    }
  }
}
