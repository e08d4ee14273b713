package dev.fanout.http;

import static dev.fanout.internal.Checks.positive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.DeliveryException;
import dev.fanout.Endpoint;
import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
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
 * <p>Presets cover the other common receivers: {@link #varnishPurge()} sends {@code PURGE <path>}
 * once per path, {@link #varnishXkey()} sends one {@code PURGE} with an {@code xkey-purge} header
 * listing the tags.
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
  private static final int PER_TARGET_WINDOW = 4;

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
   * Returns a builder preset for a Varnish xkey purge: one {@code PURGE /} request with an {@code
   * xkey-purge} header holding the invalidation's tags separated by spaces, without a body,
   * unsigned. An invalidation without tags is acknowledged without a request.
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
    List<Req> requests;
    try {
      requests = requests(endpoint, invalidation);
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
    return sendWindowed(requests);
  }

  /**
   * Requests of one attempt that go one per path (Varnish PURGE) are sent at most {@link
   * #PER_TARGET_WINDOW} at a time: the stage's concurrency limit counts targets, and a flush of
   * thousands of paths must not open thousands of sockets to one replica. The first failure fails
   * the attempt and nothing more is sent.
   */
  private CompletableFuture<Ack> sendWindowed(List<Req> requests) {
    CompletableFuture<Ack> result = new CompletableFuture<>();
    java.util.Set<CompletableFuture<Ack>> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= requests.size() || result.isDone()) {
        return;
      }
      CompletableFuture<Ack> f = send(requests.get(i));
      inFlight.add(f);
      f.whenComplete((ack, error) -> {
        inFlight.remove(f);
        if (error != null) {
          result.completeExceptionally(error);
        } else if (done.incrementAndGet() == requests.size()) {
          result.complete(new Ack(ack.status(), requests.size() + " requests"));
        } else {
          pump[0].run();
        }
      });
    };
    for (int k = 0; k < Math.min(PER_TARGET_WINDOW, requests.size()); k++) {
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

  /** The body and signature of one invalidation at one second; shared by all its targets. */
  private static final class Signed {
    final Invalidation invalidation;
    final long timestamp;
    final byte[] payload;
    final String signature;

    Signed(Invalidation invalidation, long timestamp, byte[] payload, String signature) {
      this.invalidation = invalidation;
      this.timestamp = timestamp;
      this.payload = payload;
      this.signature = signature;
    }
  }

  private volatile Signed lastSigned;

  /**
   * A fan-out sends the same body to every replica within the same second or so: encode and sign it
   * once per invalidation and second, not once per replica.
   */
  private Signed signed(Invalidation invalidation) {
    long ts = clock.instant().getEpochSecond();
    Signed last = lastSigned;
    if (last != null && last.invalidation == invalidation && last.timestamp == ts) {
      return last;
    }
    byte[] payload = body == BodyMode.JSON ? InvalidationJson.encode(invalidation, relayHop) : new byte[0];
    String signature = signer == null ? null : signer.sign(invalidation.id(), ts, payload);
    Signed fresh = new Signed(invalidation, ts, payload, signature);
    lastSigned = fresh;
    return fresh;
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
    List<String> targets;
    if (perPath) {
      targets = invalidation.paths();
    } else if (needsTags && invalidation.tags().isEmpty()) {
      targets = List.of();
    } else {
      targets = List.of(path);
    }
    List<Req> out = new ArrayList<>(targets.size());
    Signed signed = signed(invalidation);
    byte[] payload = signed.payload;
    String host = endpoint.isIpv6() ? "[" + endpoint.address() + "]" : endpoint.address();
    int p = port > 0 ? port : endpoint.port();
    InetSocketAddress address = isLiteral(endpoint)
        ? new InetSocketAddress(literal(endpoint.address()), p)
        : InetSocketAddress.createUnresolved(endpoint.address(), p);
    for (String target : targets) {
      List<Map.Entry<String, String>> hs = new ArrayList<>();
      hs.add(Map.entry("user-agent", USER_AGENT));
      if (payload.length > 0) {
        hs.add(Map.entry("content-type", "application/json"));
      }
      for (Map.Entry<String, Function<Invalidation, String>> h : headers.entrySet()) {
        String value = h.getValue().apply(invalidation);
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
      if (signer != null) {
        hs.add(Map.entry("webhook-id", invalidation.id()));
        hs.add(Map.entry("webhook-timestamp", Long.toString(signed.timestamp)));
        hs.add(Map.entry("webhook-signature", signed.signature));
      }
      out.add(new Req(method, scheme, host + ":" + p, Paths.encode(target), hs, payload, address));
    }
    return out;
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
