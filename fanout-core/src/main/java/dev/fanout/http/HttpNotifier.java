// Over 500 lines for one job: the notifier's public face (deliver, presets, Builder with their documentation); the work is in RequestFactory, the RequestShapes, MultiPartDelivery, AckReader and the HttpTransports.
package dev.fanout.http;

import static dev.fanout.internal.Checks.positive;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fanout.DeliveryException;
import dev.fanout.Endpoint;
import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.WireContract;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.spi.Ack;
import dev.fanout.spi.Notifier;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
  /**
   * Largest {@code xkey-purge} header value: half of Varnish's default {@code http_req_hdr_len}
   * (8 KiB per header line), leaving room for proxies in between.
   */
  public static final int MAX_XKEY_HEADER_BYTES = 4096;

  private final RequestFactory requests;
  private final HttpTransport transport;
  private final AckReader acks;
  private final MultiPartDelivery parts;

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

  /** Which {@link RequestShape} the builder makes. */
  private enum ShapeKind {
    JSON,
    PER_PATH,
    XKEY
  }

  private HttpNotifier(Builder b) {
    RequestShape shape = switch (b.shape) {
      case JSON -> new JsonShape(b.path, b.relayHop);
      case PER_PATH -> new PerPathShape();
      case XKEY -> new XkeyShape(b.path);
    };
    this.requests = new RequestFactory(new RequestFactory.Settings(shape, b.method, b.scheme,
        b.port, b.headers, b.signer, b.clock));
    JdkHttp jdk = new JdkHttp(b.client, b.connectTimeout, b.requestTimeout, b.maxResponseBytes);
    boolean jdkOnly = b.client != null || "https".equals(b.scheme) || b.transport == Transport.JDK;
    this.transport = jdkOnly ? jdk : new NioHttp(b.connectTimeout, jdk, b.maxResponseBytes);
    this.acks = new AckReader(b.ackWhen, b.clock);
    this.parts = new MultiPartDelivery(b.clock, this::send);
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
    b.shape = ShapeKind.PER_PATH;
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
    b.unsigned = true;
    b.shape = ShapeKind.XKEY;
    b.headers.put("xkey-purge", inv -> String.join(" ", inv.tags()));
    return b;
  }

  @Override
  public CompletionStage<Ack> deliver(Endpoint endpoint, Invalidation invalidation) {
    RequestFactory.Plan plan;
    List<WireRequest> wire;
    try {
      plan = requests.plan(invalidation);
      wire = requests.requests(endpoint, plan);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(
          new DeliveryException(ErrorKind.INTERNAL, 0, null, "cannot build request: " + e.getMessage(), null));
    }
    if (wire.isEmpty()) {
      return CompletableFuture.completedFuture(new Ack(0, "nothing to send"));
    }
    if (wire.size() == 1) {
      return send(wire.get(0));
    }
    return parts.deliver(endpoint, plan, wire);
  }

  /**
   * Sends a catch-up signal as a signed JSON POST to the same path as invalidations ({@link
   * dev.fanout.catchup.CatchUpWire}) and reads the receiver's {@code freshSince}, {@code nonce} and
   * {@code caughtUp} from the whole answer (up to {@link Builder#maxResponseBytes(int)}).
   * Static headers are sent with it, headers computed from an invalidation are not. The Varnish
   * presets send nothing (a Varnish tier cannot say since when it is fresh).
   */
  @Override
  public CompletionStage<dev.fanout.spi.CatchUpAnswer> catchUp(
      Endpoint endpoint, String id, dev.fanout.spi.CatchUpSignal signal, String nonce) {
    WireRequest request;
    try {
      request = requests.signal(endpoint, id, signal, nonce);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(
          new DeliveryException(ErrorKind.INTERNAL, 0, null, "cannot build request: " + e.getMessage(), null));
    }
    if (request == null) {
      return CompletableFuture.completedFuture(dev.fanout.spi.CatchUpAnswer.NONE);
    }
    // The answer is read from the whole body (within maxResponseBytes), not from the ack's detail,
    // which is an excerpt for reports: a receiver may put other fields before the nonce.
    return HttpTransport.map(transport.send(request), response -> {
      acks.read(response);
      return dev.fanout.catchup.CatchUpWire.readAnswer(response.body());
    });
  }

  /** Sends one request and reads its answer; cancelling the result abandons the request. */
  private CompletableFuture<Ack> send(WireRequest request) {
    return HttpTransport.map(transport.send(request), acks::read);
  }

  /** How many partly acknowledged multi-request deliveries are remembered (tests). */
  int rememberedDeliveries() {
    return parts.progress().size();
  }

  /** How many requests of this invalidation the endpoint acknowledged so far (tests). */
  int acknowledgedParts(Invalidation invalidation, Endpoint endpoint) {
    return parts.progress().acknowledged(invalidation, endpoint.authority());
  }

  /**
   * Stops the threads this notifier started (the NIO selector thread, or the default {@code
   * java.net.http} client's two threads). Optional, since they are daemons; close notifiers you
   * create and discard repeatedly. A client passed to the builder is left alone.
   */
  @Override
  public void close() {
    transport.close();
  }

  /**
   * Returns a description without secrets, e.g. {@code HttpNotifier[POST /api/revalidate, signed]}.
   *
   * @return the description
   */
  @Override
  public String toString() {
    RequestFactory.Settings s = requests.settings();
    return "HttpNotifier[" + s.method() + " " + s.shape().describeTarget()
        + (s.port() > 0 ? " port " + s.port() : "") + ", " + (s.signer() != null ? "signed" : "unsigned")
        + ", " + transport.name() + "]";
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
    private ShapeKind shape = ShapeKind.JSON;
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
      if (shape == ShapeKind.XKEY && !headers.containsKey("xkey-purge")) {
        throw new IllegalStateException("the xkey preset needs its xkey-purge header");
      }
      return new HttpNotifier(this);
    }


    private static void checkHeaderValue(String value) {
      if (!RequestFactory.isHeaderSafe(value)) {
        throw new IllegalArgumentException("header value contains a control or non-ASCII character");
      }
    }
  }
}

