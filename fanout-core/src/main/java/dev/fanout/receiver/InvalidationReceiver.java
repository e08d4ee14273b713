// Over 500 lines for one job: the receiver's public face (entry points, Relay and Builder with their documentation); the work is in RequestReader, RequestVerifier, OnceApplier, PeerRelay and JdkHttpAdapter.
package dev.fanout.receiver;

import static dev.fanout.internal.Checks.positive;

import com.sun.net.httpserver.HttpHandler;
import dev.fanout.Endpoint;
import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.RetryPolicy;
import dev.fanout.WireContract;
import dev.fanout.http.WebhookSigner;
import dev.fanout.internal.Futures;
import dev.fanout.spi.Discovery;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the invalidations {@link dev.fanout.http.HttpNotifier} sends: verifies them, runs this replica's own
 * cache invalidation, and acknowledges only once it is done.
 *
 * <pre>{@code
 * InvalidationReceiver receiver = InvalidationReceiver.builder()
 *     .secret(System.getenv("FANOUT_SECRET"))          // whsec_<base64>, shared with the sender
 *     .handler(inv -> {
 *       inv.paths().forEach(pageCache::remove);
 *       inv.tags().forEach(tagIndex::evict);
 *     })
 *     .build();
 *
 * ReceiverServer server = receiver.serve(new InetSocketAddress(podIp, 8081), "/api/revalidate");
 * }</pre>
 *
 * <h2>What a request goes through</h2>
 *
 * <ol>
 *   <li>Only {@code POST} is accepted (405 otherwise).
 *   <li>The body is read up to {@link Builder#maxBodyBytes(int)} and no further (413).
 *   <li>The Standard Webhooks headers must each be present exactly once: {@code webhook-id} (1 to
 *       256 printable ASCII characters, no {@code .}) and {@code webhook-timestamp} (Unix seconds)
 *       or 400; {@code webhook-signature} or 401.
 *   <li>The timestamp must be within {@link Builder#tolerance(Duration)} of the clock, in both
 *       directions (401).
 *   <li>The <em>raw bytes</em> must carry a matching {@code v1} signature for one of the configured
 *       secrets (401). Only then is the body parsed.
 *   <li>The body must be the invalidation JSON with the right types, at most {@link
 *       Builder#maxPaths(int)} paths and {@link Builder#maxTags(int)} tags, every path and tag as
 *       {@link WireContract}'s grammar says (a plain absolute path: no scheme or host, no {@code ..}
 *       or {@code .} segment (also percent-encoded), no backslash, fragment, whitespace or control
 *       character), and an optional {@code "chunk":{"index":i,"count":n}} (400). A chunk's
 *       invalidation reaches the handler, and a relay, under the chunk's own id.
 *   <li>A {@code webhook-id} whose handler already succeeded answers 2xx without running the
 *       handler again. An id whose handler is running right now waits for that run and shares its
 *       outcome; the handler never runs twice at once for one id. An id is recorded only after its
 *       handler succeeded, so a retry after a failure runs the handler again.
 *   <li>The handler runs; the answer is 200 once it finished, 500 if it failed, 503 if it did not
 *       finish within {@link Builder#handlerTimeout(Duration)}.
 * </ol>
 *
 * <p>Answers are small JSON objects, {@code {"id":"inv_..","result":"applied"}} or {@code
 * {"error":"bad signature"}}, never a stack trace. The receiver never opens a connection to
 * anything named in a request; a {@linkplain Relay relay} contacts only the peers its discovery
 * finds.
 *
 * <p>Serving: {@link #serve(InetSocketAddress, String)} runs a {@link ReceiverServer}, which slow
 * clients cannot stall. Adapters: {@link #httpHandler()} for a JDK {@code com.sun.net.httpserver}
 * you already run, and {@link #handle(String, Map, byte[])} / {@link #handleAsync(String, Map,
 * byte[])} for any framework (servlet, Spring controller) that hands over the method, headers and
 * raw body.
 *
 * <p>Instances are thread-safe. Secrets never appear in {@link #toString()}, logs or exception
 * messages; requests are logged at DEBUG without their signature.
 *
 * @since 0.1
 */
public final class InvalidationReceiver implements AutoCloseable {
  /** Default {@link Builder#maxBodyBytes(int)}: 64 KiB, {@link WireContract#MAX_BODY_BYTES}. */
  public static final int DEFAULT_MAX_BODY_BYTES = WireContract.MAX_BODY_BYTES;

  /** Default {@link Builder#tolerance(Duration)}: 5 minutes. */
  public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

  /** Default {@link Builder#replayCacheSize(int)}: 10,000 ids. */
  public static final int DEFAULT_REPLAY_CACHE_SIZE = 10_000;

  /**
   * Default {@link Builder#maxPaths(int)} and {@link Builder#maxTags(int)}: 1,000 each, {@link
   * WireContract#MAX_PATHS_PER_REQUEST} and {@link WireContract#MAX_TAGS_PER_REQUEST}.
   */
  public static final int DEFAULT_MAX_ENTRIES = WireContract.MAX_PATHS_PER_REQUEST;

  /** Default {@link Builder#handlerTimeout(Duration)}: 30 seconds. */
  public static final Duration DEFAULT_HANDLER_TIMEOUT = Duration.ofSeconds(30);

  /** Longest accepted {@code webhook-id}, {@link WireContract#MAX_WEBHOOK_ID_LENGTH}. */
  public static final int MAX_ID_LENGTH = WireContract.MAX_WEBHOOK_ID_LENGTH;

  private final RequestReader reader;
  private final RequestVerifier verifier;
  private final OnceApplier applier;
  /** Null without a relay. */
  private final PeerRelay relay;
  private final Logger log;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CatchUpState catchUp;

  private InvalidationReceiver(Builder b) {
    this.log = b.log != null ? b.log : LoggerFactory.getLogger(InvalidationReceiver.class);
    this.reader = new RequestReader(b.maxBodyBytes);
    this.verifier = new RequestVerifier(new RequestVerifier.Settings(b.signers, b.clock,
        b.tolerance, b.maxPaths, b.maxTags, b.allowedPrefixes), reader);
    // A signed request is accepted for at most 2 x tolerance after it was first applied (its
    // timestamp may lie up to one tolerance ahead); past that the timestamp check rejects it.
    Duration retention = b.tolerance.multipliedBy(2);
    this.applier = new OnceApplier(b.handler, b.handlerTimeout, b.replayCacheSize, retention, b.clock);
    this.relay = b.relay == null ? null
        : new PeerRelay(b.relay.settings, b.relaySecret, b.replayCacheSize, retention, b.clock, log);
    this.catchUp = new CatchUpState(b.freshSince, b.holdReadiness, b.clock);
  }

  /**
   * Returns a new builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The answer to a request: an HTTP status and a JSON body of type {@value #CONTENT_TYPE}.
   *
   * @param status the HTTP status
   * @param body the JSON body, never a stack trace
   * @since 0.1
   */
  public record Response(int status, String body) {
    /** The content type of every {@link #body()}. */
    public static final String CONTENT_TYPE = "application/json";

    /**
     * Checks the components.
     *
     * @param status the HTTP status, 100 to 599
     * @param body the body
     * @throws IllegalArgumentException if the status is out of range
     */
    public Response {
      Objects.requireNonNull(body, "body");
      if (status < 100 || status > 599) {
        throw new IllegalArgumentException("status must be 100..599: " + status);
      }
    }

    /**
     * Returns whether the status is 2xx: the invalidation was applied (and, for a relay, every peer
     * acknowledged).
     *
     * @return true for 2xx
     */
    public boolean isSuccess() {
      return status >= 200 && status < 300;
    }
  }

  /**
   * Handles one request and waits for the answer: blocks until the handler (and, for a relay, the
   * peers) finished. For servlets and Spring controllers that hand over the raw body.
   *
   * <pre>{@code
   * @PostMapping("/api/revalidate")
   * ResponseEntity<String> revalidate(@RequestHeader HttpHeaders headers, @RequestBody byte[] body) {
   *   InvalidationReceiver.Response r = receiver.handle("POST", headers, body);
   *   return ResponseEntity.status(r.status()).contentType(MediaType.APPLICATION_JSON).body(r.body());
   * }
   * }</pre>
   *
   * @param method the HTTP method
   * @param headers the request headers; names are matched case-insensitively
   * @param body the raw body exactly as received, or null for none
   * @return the answer
   */
  public Response handle(String method, Map<String, List<String>> headers, byte[] body) {
    try {
      return handleAsync(method, headers, body).join();
    } catch (CompletionException | CancellationException e) {
      log.warn("receiver failed unexpectedly", e);
      return error(500, "internal error");
    }
  }

  /**
   * Handles one request, reading the body from a stream and stopping once it exceeds {@link
   * Builder#maxBodyBytes(int)} (the rest is left unread). Blocks like {@link #handle(String, Map,
   * byte[])}.
   *
   * @param method the HTTP method
   * @param headers the request headers; names are matched case-insensitively
   * @param body the request body stream (not closed)
   * @return the answer
   */
  public Response handle(String method, Map<String, List<String>> headers, InputStream body) {
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
    try {
      return handle(method, headers, reader.read(method, headers, body));
    } catch (Rejection r) {
      return reject(r);
    }
  }

  /**
   * Handles one request without blocking on the handler or the peers: the future completes with
   * the answer once they finished. It never completes exceptionally.
   *
   * @param method the HTTP method
   * @param headers the request headers; names are matched case-insensitively
   * @param body the raw body exactly as received, or null for none
   * @return the answer, when ready
   */
  public CompletableFuture<Response> handleAsync(
      String method, Map<String, List<String>> headers, byte[] body) {
    Objects.requireNonNull(headers, "headers");
    VerifiedRequest request;
    try {
      request = verifier.verify(method, headers, body == null ? new byte[0] : body);
    } catch (Rejection r) {
      return CompletableFuture.completedFuture(reject(r));
    } catch (RuntimeException e) {
      // Verification is written not to throw; this is a last line so nothing leaks to the caller.
      log.warn("receiver failed unexpectedly while verifying a request", e);
      return CompletableFuture.completedFuture(error(500, "internal error"));
    }
    if (request.signal() != null) {
      return CompletableFuture.completedFuture(catchUp.answer(request.id(), request.signal(), log));
    }
    CompletableFuture<Response> answer;
    try {
      answer = process(request);
    } catch (RuntimeException e) {
      log.warn("receiver failed unexpectedly for invalidation {}", request.id(), e);
      answer = CompletableFuture.completedFuture(error(500, "internal error"));
    }
    return answer.exceptionally(e -> {
      log.warn("receiver failed unexpectedly for invalidation {}", request.id(), e);
      return error(500, "internal error");
    });
  }

  /** Applies once, then relays a direct request; turns a handler failure into its answer. */
  private CompletableFuture<Response> process(VerifiedRequest request) {
    return applier.apply(request).handle((result, error) -> {
      if (error != null) {
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof TimeoutException) {
          log.warn("invalidation {}: handler did not finish within {}", request.id(),
              applier.handlerTimeout());
          return CompletableFuture.completedFuture(error(503, "handler timed out"));
        }
        log.warn("invalidation {}: handler failed", request.id(), cause);
        return CompletableFuture.completedFuture(error(500, "handler failed"));
      }
      if (relay != null && request.hop() == 0) {
        return relay.relay(request, result);
      }
      if (request.hop() > 0) {
        log.debug("invalidation {}: relayed (hop {}), not relayed again", request.id(), request.hop());
      }
      return CompletableFuture.completedFuture(new Response(200, Answers.applied(request.id(), result)));
    }).thenCompose(Function.identity()).thenApply(response -> answer(request, response));
  }

  /**
   * Serves this receiver over HTTP at {@code path} on {@code address}: a {@link ReceiverServer}
   * with its defaults (4 handler threads, 10 s to send a request, 1,024 connections). Slow or
   * stalled clients hold no thread and are disconnected after the read timeout, so they cannot keep
   * invalidations from being applied. Use {@link ReceiverServer#builder(InvalidationReceiver)} for
   * other settings.
   *
   * @param address where to listen, e.g. {@code new InetSocketAddress(System.getenv("POD_IP"), 8081)}
   * @param path the path to serve, e.g. {@code /api/revalidate}
   * @return the running server; close it to stop
   * @throws IOException if the address cannot be bound
   * @throws IllegalArgumentException if the path is not a plain absolute path
   */
  public ReceiverServer serve(InetSocketAddress address, String path) throws IOException {
    return ReceiverServer.builder(this).address(address).path(path).start();
  }

  /**
   * Returns since when this replica's cache is fresh, as answered to a sender's catch-up ({@link
   * Builder#freshSince(java.time.Instant)}).
   *
   * @return the moment
   * @since 0.2
   */
  public java.time.Instant freshSince() {
    return catchUp.freshSince();
  }

  /**
   * Returns whether a sender's catch-up has reached this replica since it started.
   *
   * @return true once a catch-up's {@code done} signal arrived
   * @since 0.2
   */
  public boolean isCaughtUp() {
    return catchUp.isCaughtUp();
  }

  /**
   * Answers a readiness probe: 200 {@code {"ready":true,...}}, or 503 while readiness is held until
   * the first catch-up ({@link Builder#holdReadinessUntilCaughtUp(Duration)}) and neither that
   * arrived nor the hold timed out. {@link ReceiverServer.Builder#readinessPath(String)} serves it.
   *
   * @return the answer
   * @since 0.2
   */
  public Response readiness() {
    return catchUp.readiness();
  }

  /** The body limit, for a server that refuses larger bodies before reading them. */
  int maxBodyBytes() {
    return reader.maxBodyBytes();
  }

  /**
   * Returns a handler for a JDK {@code com.sun.net.httpserver.HttpServer} you already run. It
   * refuses a declared {@code Content-Length} above the limit without reading the body, stops
   * reading a chunked body at the limit, and answers from the thread that finishes the work, so a
   * slow handler or relay does not hold a server thread.
   *
   * <p>The JDK server reads each request's head and body on its executor's threads with blocking
   * reads: one client that sends slowly holds one thread for as long as it likes (with the
   * default executor, the whole server), and the only deadline is the JVM-wide {@code
   * sun.net.httpserver.maxReqTime}. Prefer {@link #serve(InetSocketAddress, String)}.
   *
   * @return the handler
   */
  public HttpHandler httpHandler() {
    return new JdkHttpAdapter(this, reader, log);
  }

  private Response answer(VerifiedRequest request, Response response) {
    if (log.isDebugEnabled()) {
      log.debug("invalidation {}: {} {} ({} paths, {} tags, hop {})", request.id(), response.status(),
          response.isSuccess() ? "ok" : "failed", request.invalidation().paths().size(),
          request.invalidation().tags().size(), request.hop());
    }
    return response;
  }

  /** The answer to a rejected request, logged at DEBUG (a rejection is the sender's problem). */
  Response reject(Rejection r) {
    if (log.isDebugEnabled()) {
      log.debug("request rejected: {} {}", r.status(), r.reason());
    }
    return error(r.status(), r.reason());
  }

  static Response error(int status, String reason) {
    return new Response(status, Answers.error(reason));
  }

  /**
   * Stops the relay, if any, waiting up to its deadline for relays in flight, and releases its
   * threads. Requests handled afterwards that would relay answer 503. Idempotent.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && relay != null) {
      relay.close();
    }
  }

  /**
   * Returns a description without secrets, e.g. {@code InvalidationReceiver[2 secrets, tolerance
   * PT5M, maxBodyBytes 65536, ...]}.
   *
   * @return the description
   */
  @Override
  public String toString() {
    RequestVerifier.Settings v = verifier.settings();
    int secrets = v.signers().size();
    return "InvalidationReceiver[" + secrets + (secrets == 1 ? " secret" : " secrets")
        + ", tolerance " + v.tolerance() + ", maxBodyBytes " + reader.maxBodyBytes() + ", maxPaths "
        + v.maxPaths() + ", maxTags " + v.maxTags() + ", replayCache " + applier.capacity()
        + ", handlerTimeout " + applier.handlerTimeout()
        + (v.allowedPrefixes().isEmpty() ? "" : ", allowedPrefixes " + v.allowedPrefixes())
        + (relay == null ? "" : ", " + relay) + "]";
  }

  /** How many ids the replay cache holds now (for tests). */
  int replayCacheSize() {
    return applier.remembered();
  }

  /**
   * Relays each direct invalidation to this replica's peers, for the topology where the sender
   * reaches only one replica through a load balancer. Immutable; the option methods return
   * modified copies.
   *
   * <pre>{@code
   * InvalidationReceiver.Relay.to(DnsDiscovery.of("web-headless.shop.svc.cluster.local", 8081))
   *     .self(System.getenv("POD_IP"))          // from the Downward API: status.podIP
   *     .path("/fanout/invalidate")
   * }</pre>
   *
   * <p>After the local handler succeeded, the receiver sends the invalidation to every peer its
   * discovery finds, except its own address, through an {@link dev.fanout.Invalidator} with one fan-out
   * stage and an {@link dev.fanout.http.HttpNotifier} signed with the receiver's first secret. The relayed body
   * carries a signed hop marker ({@code "hop":1}); a receiver never relays a request that has one,
   * so relays cannot loop. The receiver answers once every peer acknowledged (200) or the relay
   * failed or ran out of time (502), with a JSON body listing each peer's outcome, so the sender
   * knows whether every replica is fresh before it purges the CDN.
   *
   * <p>Each id is relayed once: a request whose id has a relay in flight waits for it and gets its
   * answer, and a replay of an id whose relay succeeded gets that relay's answer again, without a
   * request to any peer. Only when the last relay of an id failed does a new request with that id
   * (the sender's retry after a 502) relay again, and then only to the peers that did not
   * acknowledge it before.
   *
   * <p>The relay's {@link #deadline(Duration)} (default 4 s) must be shorter than the sender's
   * per-attempt timeout ({@code Stage.attemptTimeout}, default 5 s).
   *
   * @since 0.1
   */
  public static final class Relay {
    final RelaySettings settings;

    private Relay(RelaySettings settings) {
      this.settings = settings;
    }

    /**
     * Returns a relay to the peers found by {@code peers}, with defaults: path {@code
     * /api/revalidate}, each peer's discovered port, plain HTTP, deadline 4 s, attempt timeout 1 s,
     * 3 attempts with backoff from 100 ms, no minimum number of peers. {@link #self(String)} is
     * required.
     *
     * @param peers discovers the replicas of this tier, this one included or not
     * @return the relay
     */
    public static Relay to(Discovery peers) {
      return new Relay(RelaySettings.defaults(Objects.requireNonNull(peers, "peers")));
    }

    /**
     * Returns a copy that excludes this address from the peers: the replica's own IP, usually
     * {@code System.getenv("POD_IP")} set from the Downward API ({@code fieldRef: status.podIP}).
     *
     * @param address this replica's IP address or host name as discovery reports it
     * @return the copy
     * @throws IllegalArgumentException if the address is not an IP literal or host name
     */
    public Relay self(String address) {
      Objects.requireNonNull(address, "address (is POD_IP set?)");
      return new Relay(settings.with(d -> d.self = Endpoint.of(address, 1).address()));
    }

    /**
     * Returns a copy that sends to this path on each peer.
     *
     * @param newPath an absolute path
     * @return the copy
     * @throws IllegalArgumentException if not absolute or it contains control characters
     */
    public Relay path(String newPath) {
      Objects.requireNonNull(newPath, "path");
      if (!newPath.startsWith("/") || newPath.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw new IllegalArgumentException("path must be absolute, without control characters");
      }
      return new Relay(settings.with(d -> d.path = newPath));
    }

    /**
     * Returns a copy that sends to this port instead of each peer's discovered port.
     *
     * @param newPort 1 to 65535
     * @return the copy
     * @throws IllegalArgumentException if out of range
     */
    public Relay port(int newPort) {
      if (newPort < 1 || newPort > 65535) {
        throw new IllegalArgumentException("port must be 1..65535: " + newPort);
      }
      return new Relay(settings.with(d -> d.port = newPort));
    }

    /**
     * Returns a copy that uses HTTPS (true) or HTTP (false) to reach the peers.
     *
     * @param enabled whether to use HTTPS
     * @return the copy
     */
    public Relay https(boolean enabled) {
      return new Relay(settings.with(d -> d.https = enabled));
    }

    /**
     * Returns a copy with another overall deadline for relaying one invalidation (discovery, every
     * attempt and retry). Keep it below the sender's per-attempt timeout.
     *
     * @param newDeadline the deadline, {@code > 0}
     * @return the copy
     * @throws IllegalArgumentException if not positive
     */
    public Relay deadline(Duration newDeadline) {
      return new Relay(settings.with(d -> d.deadline = positive(newDeadline, "deadline")));
    }

    /**
     * Returns a copy with another per-attempt timeout for each peer.
     *
     * @param timeout the timeout, {@code > 0}
     * @return the copy
     * @throws IllegalArgumentException if not positive
     */
    public Relay attemptTimeout(Duration timeout) {
      return new Relay(settings.with(d -> d.attemptTimeout = positive(timeout, "attemptTimeout")));
    }

    /**
     * Returns a copy with another retry policy for each peer.
     *
     * @param policy the policy
     * @return the copy
     */
    public Relay retry(RetryPolicy policy) {
      return new Relay(settings.with(d -> d.retry = Objects.requireNonNull(policy, "policy")));
    }

    /**
     * Returns a copy that fails the relay when discovery finds fewer than {@code n} peers (self
     * excluded). Default 0: a tier of one replica has no peers.
     *
     * @param n the minimum, {@code >= 0}
     * @return the copy
     * @throws IllegalArgumentException if negative
     */
    public Relay minPeers(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("minPeers must be >= 0: " + n);
      }
      return new Relay(settings.with(d -> d.minPeers = n));
    }

    /**
     * Returns a copy whose relay {@link dev.fanout.Invalidator} reports to this listener.
     *
     * @param newListener the listener
     * @return the copy
     */
    public Relay listener(FanoutListener newListener) {
      return new Relay(settings.with(d -> d.listener = Objects.requireNonNull(newListener, "listener")));
    }

    /**
     * Returns a description, e.g. {@code Relay[peers Discovery.of[..], self 10.0.3.7, POST
     * /api/revalidate, deadline PT4S]}.
     *
     * @return the description
     */
    @Override
    public String toString() {
      return settings.describe();
    }
  }

  /**
   * Configures an {@link InvalidationReceiver}. Not thread-safe. {@link #build()} validates and
   * copies the configuration.
   *
   * @since 0.1
   */
  public static final class Builder {
    /** Most secrets accepted at once (current plus previous ones during a rotation). */
    private static final int MAX_SECRETS = 8;

    private final List<WebhookSigner> signers = new ArrayList<>();
    private String relaySecret;
    private Function<Invalidation, CompletionStage<?>> handler;
    private Clock clock = Clock.systemUTC();
    private Duration tolerance = DEFAULT_TOLERANCE;
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int maxPaths = WireContract.MAX_PATHS_PER_REQUEST;
    private int maxTags = WireContract.MAX_TAGS_PER_REQUEST;
    private int replayCacheSize = DEFAULT_REPLAY_CACHE_SIZE;
    private Duration handlerTimeout = DEFAULT_HANDLER_TIMEOUT;
    private final List<String> allowedPrefixes = new ArrayList<>();
    private Relay relay;
    private Logger log;

    private java.time.Instant freshSince;
    private Duration holdReadiness;

    private Builder() {}

    /**
     * Sets since when this replica's cache is fresh, which a sender's catch-up uses to send only
     * what was invalidated after it. Default: the process start, right for a cache held in memory.
     * A cache that survives restarts (on disk, or prebuilt content) says the oldest moment its
     * content may come from, e.g. the build time; {@code Instant.EPOCH} asks for the whole window.
     *
     * @param moment the moment
     * @return this builder
     * @since 0.2
     */
    public Builder freshSince(java.time.Instant moment) {
      this.freshSince = Objects.requireNonNull(moment, "moment");
      return this;
    }

    /**
     * Holds {@link InvalidationReceiver#readiness()} at 503 until the first catch-up arrived, or
     * until {@code timeout} passed since the receiver was built, so that no user is routed to a
     * replica that would serve content older than the last invalidation. The sender's stage needs
     * {@code catchUp(...)}, and its discovery must list replicas that are not ready yet (the
     * EndpointSlice watch does; a headless Service's DNS needs {@code publishNotReadyAddresses}).
     *
     * @param timeout the longest hold, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @since 0.2
     */
    public Builder holdReadinessUntilCaughtUp(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("readiness hold timeout must be > 0: " + timeout);
      }
      this.holdReadiness = timeout;
      return this;
    }

    /**
     * Adds a signing secret ({@code whsec_<base64>} or plain base64, 24 to 64 bytes decoded), the
     * same string the sender's {@code HttpNotifier.Builder.signingSecret} got. Call it again to
     * accept several secrets during a rotation: a request passes if any {@code v1} signature
     * matches any secret. The first secret also signs what a {@link Relay} sends.
     *
     * @param secret the secret
     * @return this builder
     * @throws IllegalArgumentException if the secret is empty, not base64, or too short or long
     *     (the message never contains the secret)
     * @throws IllegalStateException if more than 8 secrets are added
     */
    public Builder secret(String secret) {
      Objects.requireNonNull(secret, "secret");
      WebhookSigner signer = WebhookSigner.of(secret);
      if (signers.size() == MAX_SECRETS) {
        throw new IllegalStateException("at most " + MAX_SECRETS + " secrets");
      }
      signers.add(signer);
      if (relaySecret == null) {
        relaySecret = secret;
      }
      return this;
    }

    /**
     * Adds several signing secrets, in order (see {@link #secret(String)}).
     *
     * @param secrets the secrets
     * @return this builder
     * @throws IllegalArgumentException if a secret is invalid
     */
    public Builder secrets(List<String> secrets) {
      for (String s : secrets) {
        secret(s);
      }
      return this;
    }

    /**
     * Sets the handler that invalidates this replica's own cache, run on the request's thread.
     * The answer is 200 once it returned, 500 if it threw. Replaces any handler set before.
     *
     * @param handler the handler
     * @return this builder
     */
    public Builder handler(Consumer<Invalidation> handler) {
      Objects.requireNonNull(handler, "handler");
      this.handler = inv -> {
        handler.accept(inv);
        return CompletableFuture.completedFuture(null);
      };
      return this;
    }

    /**
     * Sets a handler that invalidates this replica's own cache asynchronously. The answer is 200
     * once the returned stage completed normally, 500 if it completed exceptionally (or the
     * handler threw or returned null). Replaces any handler set before.
     *
     * @param handler the handler
     * @return this builder
     */
    public Builder asyncHandler(Function<Invalidation, ? extends CompletionStage<?>> handler) {
      Objects.requireNonNull(handler, "handler");
      this.handler = handler::apply;
      return this;
    }

    /**
     * Sets the clock for the timestamp check and the replay cache. Default {@link
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
     * Sets how far {@code webhook-timestamp} may be from the clock, in either direction. Default 5
     * minutes; the boundary itself is accepted.
     *
     * @param tolerance the tolerance, 1 second to 1 hour
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder tolerance(Duration tolerance) {
      Objects.requireNonNull(tolerance, "tolerance");
      if (tolerance.getSeconds() < 1 || tolerance.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("tolerance must be 1 s to 1 h: " + tolerance);
      }
      this.tolerance = tolerance;
      return this;
    }

    /**
     * Sets the largest body accepted; reading stops past it and the answer is 413. Default 64 KiB
     * ({@link WireContract#MAX_BODY_BYTES}); a receiver of {@code HttpNotifier}'s requests must not
     * go below it, since the sender splits invalidations into requests of up to that size.
     *
     * @param bytes 256 bytes to 16 MiB
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxBodyBytes(int bytes) {
      if (bytes < 256 || bytes > 16 << 20) {
        throw new IllegalArgumentException("maxBodyBytes must be 256..16777216: " + bytes);
      }
      this.maxBodyBytes = bytes;
      return this;
    }

    /**
     * Sets the most paths one request may carry. Default 1,000 ({@link
     * WireContract#MAX_PATHS_PER_REQUEST}); not below it for {@code HttpNotifier}'s requests.
     *
     * @param n 1 to 100,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxPaths(int n) {
      this.maxPaths = range(n, 1, 100_000, "maxPaths");
      return this;
    }

    /**
     * Sets the most tags one request may carry. Default 1,000 ({@link
     * WireContract#MAX_TAGS_PER_REQUEST}); not below it for {@code HttpNotifier}'s requests.
     *
     * @param n 1 to 100,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxTags(int n) {
      this.maxTags = range(n, 1, 100_000, "maxTags");
      return this;
    }

    /**
     * Sets how many applied {@code webhook-id}s are remembered to recognise replays. Default
     * 10,000; ids are also forgotten after twice the tolerance, when the timestamp check rejects
     * a replay anyway.
     *
     * @param n 1 to 1,000,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder replayCacheSize(int n) {
      this.replayCacheSize = range(n, 1, 1_000_000, "replayCacheSize");
      return this;
    }

    /**
     * Sets how long a request waits for an asynchronous handler before answering 503. The handler
     * keeps running; its id counts as in progress until it ends. Default 30 seconds.
     *
     * @param timeout the timeout, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder handlerTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("handlerTimeout must be > 0: " + timeout);
      }
      this.handlerTimeout = timeout;
      return this;
    }

    /**
     * Accepts only paths that start with one of the given prefixes (call again to add more).
     * Without any, every plain absolute path is accepted. Prefixes are compared literally; end
     * them with {@code /} to mean a directory.
     *
     * @param prefix an absolute path prefix, e.g. {@code /blog/}
     * @return this builder
     * @throws IllegalArgumentException if the prefix is not a plain absolute path
     */
    public Builder allowedPathPrefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix");
      String problem = WireContract.pathProblem(prefix);
      if (problem != null) {
        throw new IllegalArgumentException("prefix: " + problem);
      }
      allowedPrefixes.add(prefix);
      return this;
    }

    /**
     * Relays each direct invalidation to this replica's peers after applying it locally. See
     * {@link Relay}.
     *
     * @param relay the relay configuration
     * @return this builder
     */
    public Builder relay(Relay relay) {
      this.relay = Objects.requireNonNull(relay, "relay");
      return this;
    }

    /** Replaces the logger (tests capture what is logged). */
    Builder logger(Logger logger) {
      this.log = Objects.requireNonNull(logger, "logger");
      return this;
    }

    /**
     * Validates the configuration and builds the receiver.
     *
     * @return the receiver; close it to release a relay's threads
     * @throws IllegalStateException if no secret or no handler was given, or a relay has no
     *     {@link Relay#self(String)}
     */
    public InvalidationReceiver build() {
      if (signers.isEmpty()) {
        throw new IllegalStateException("InvalidationReceiver needs at least one secret(...)");
      }
      if (handler == null) {
        throw new IllegalStateException("InvalidationReceiver needs a handler(...) or asyncHandler(...)");
      }
      if (relay != null && relay.settings.self() == null) {
        throw new IllegalStateException(
            "a relay needs self(address) so that it does not send to itself (POD_IP)");
      }
      return new InvalidationReceiver(this);
    }

    private static int range(int n, int min, int max, String what) {
      if (n < min || n > max) {
        throw new IllegalArgumentException(what + " must be " + min + ".." + max + ": " + n);
      }
      return n;
    }
  }
}
