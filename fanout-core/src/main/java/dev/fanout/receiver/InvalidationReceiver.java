package dev.fanout.receiver;

import static dev.fanout.internal.Checks.positive;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.fanout.Endpoint;
import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.WireContract;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.spi.Discovery;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the invalidations {@link HttpNotifier} sends: verifies them, runs this replica's own
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

  private static final Pattern WEBHOOK_ID = Pattern.compile("[\\x21-\\x2d\\x2f-\\x7e]{1," + MAX_ID_LENGTH + "}");
  private static final Pattern TIMESTAMP = Pattern.compile("[0-9]{1,15}");

  private final List<WebhookSigner> signers;
  private final Function<Invalidation, CompletionStage<?>> handler;
  private final Clock clock;
  private final Duration tolerance;
  private final int maxBodyBytes;
  private final int maxPaths;
  private final int maxTags;
  private final List<String> allowedPrefixes;
  private final Duration handlerTimeout;
  private final ReplayCache<Boolean> replay;
  /** Each relayed id's record; null without a relay. Compound updates hold {@link #relayLock}. */
  private final ReplayCache<RelayRecord> relays;
  private final Object relayLock = new Object();
  private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
  private final Relay relay;
  private final Invalidator relayInvalidator;
  private final HttpNotifier relayNotifier;
  private final Logger log;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CatchUpState catchUp;

  private InvalidationReceiver(Builder b) {
    this.signers = List.copyOf(b.signers);
    this.handler = b.handler;
    this.clock = b.clock;
    this.tolerance = b.tolerance;
    this.maxBodyBytes = b.maxBodyBytes;
    this.maxPaths = b.maxPaths;
    this.maxTags = b.maxTags;
    this.allowedPrefixes = List.copyOf(b.allowedPrefixes);
    this.handlerTimeout = b.handlerTimeout;
    // A signed request is accepted for at most 2 x tolerance after it was first applied (its
    // timestamp may lie up to one tolerance ahead); past that the timestamp check rejects it.
    this.replay = new ReplayCache<>(b.replayCacheSize, tolerance.multipliedBy(2), clock);
    this.relay = b.relay;
    this.log = b.log != null ? b.log : LoggerFactory.getLogger(InvalidationReceiver.class);
    this.relays = relay == null ? null : new ReplayCache<>(b.replayCacheSize, tolerance.multipliedBy(2), clock);
    this.relayNotifier = relay == null ? null : relay.notifier(b.relaySecret, clock);
    this.relayInvalidator = relay == null ? null : relay.invalidator(this::relayOnce);
    this.catchUp = new CatchUpState(b.freshSince, b.holdReadiness, clock);
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
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
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
    if (!"POST".equals(method)) {
      return reject(new Rejection(405, "method not allowed"));
    }
    if (Requests.declaredLength(headers) > maxBodyBytes) {
      return reject(new Rejection(413, "body too large"));
    }
    byte[] bytes;
    try {
      bytes = Requests.readCapped(body, maxBodyBytes);
    } catch (IOException e) {
      return reject(new Rejection(400, "body could not be read"));
    }
    if (bytes == null) {
      return reject(new Rejection(413, "body too large"));
    }
    return handle(method, headers, bytes);
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
    Verified request;
    try {
      request = verify(method, headers, body == null ? new byte[0] : body);
    } catch (Rejection r) {
      return CompletableFuture.completedFuture(reject(r));
    } catch (RuntimeException e) {
      // Verification is written not to throw; this is a last line so nothing leaks to the caller.
      log.warn("receiver failed unexpectedly while verifying a request", e);
      return CompletableFuture.completedFuture(error(500, "internal error"));
    }
    if (request.signal != null) {
      return CompletableFuture.completedFuture(catchUp.answer(request.signal, log));
    }
    CompletableFuture<Response> answer;
    try {
      answer = process(request);
    } catch (RuntimeException e) {
      log.warn("receiver failed unexpectedly for invalidation {}", request.id, e);
      answer = CompletableFuture.completedFuture(error(500, "internal error"));
    }
    return answer.exceptionally(e -> {
      log.warn("receiver failed unexpectedly for invalidation {}", request.id, e);
      return error(500, "internal error");
    });
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
    return maxBodyBytes;
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
    return this::exchange;
  }

  private void exchange(HttpExchange exchange) {
    try {
      String method = exchange.getRequestMethod();
      Map<String, List<String>> headers = exchange.getRequestHeaders();
      Response early = null;
      byte[] body = null;
      if (!"POST".equals(method)) {
        early = reject(new Rejection(405, "method not allowed"));
      } else if (Requests.declaredLength(headers) > maxBodyBytes) {
        early = reject(new Rejection(413, "body too large"));
      } else {
        body = Requests.readCapped(exchange.getRequestBody(), maxBodyBytes);
        if (body == null) {
          early = reject(new Rejection(413, "body too large"));
        }
      }
      if (early != null) {
        send(exchange, early);
        return;
      }
      handleAsync(method, headers, body).whenComplete((r, e) ->
          send(exchange, r != null ? r : error(500, "internal error")));
    } catch (IOException | RuntimeException e) {
      log.debug("request could not be read: {}", e.getClass().getSimpleName());
      send(exchange, error(400, "body could not be read"));
    }
  }

  private void send(HttpExchange exchange, Response r) {
    try {
      byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("content-type", Response.CONTENT_TYPE);
      exchange.getResponseHeaders().set("cache-control", "no-store");
      if (r.status() == 405) {
        exchange.getResponseHeaders().set("allow", "POST");
      }
      if (r.status() == 413 || r.status() == 400) {
        // The rest of the body was not read; do not reuse the connection.
        exchange.getResponseHeaders().set("connection", "close");
      }
      exchange.sendResponseHeaders(r.status(), bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException | RuntimeException e) {
      log.debug("answer could not be sent: {}", e.getClass().getSimpleName());
    } finally {
      exchange.close();
    }
  }

  /** A request that passed every check: its id and decoded body. */
  private static final class Verified {
    final String id;
    final Invalidation invalidation;
    final int hop;
    final dev.fanout.catchup.CatchUpWire.Signal signal;

    Verified(String id, InvalidationJson.Wire wire) {
      this.id = id;
      this.invalidation = wire.invalidation();
      this.hop = wire.hop();
      this.signal = null;
    }

    Verified(String id, dev.fanout.catchup.CatchUpWire.Signal signal) {
      this.id = id;
      this.invalidation = null;
      this.hop = 0;
      this.signal = signal;
    }
  }

  private Verified verify(String method, Map<String, List<String>> headers, byte[] body)
      throws Rejection {
    if (!"POST".equals(method)) {
      throw new Rejection(405, "method not allowed");
    }
    if (body.length > maxBodyBytes) {
      throw new Rejection(413, "body too large");
    }
    String id = Requests.single(headers, "webhook-id", 400);
    if (!WEBHOOK_ID.matcher(id).matches()) {
      throw new Rejection(400, "bad webhook-id header");
    }
    String ts = Requests.single(headers, "webhook-timestamp", 400);
    if (!TIMESTAMP.matcher(ts).matches()) {
      throw new Rejection(400, "bad webhook-timestamp header");
    }
    String signature = Requests.single(headers, "webhook-signature", 401);
    long timestamp = Long.parseLong(ts);
    long now = clock.instant().getEpochSecond();
    if (Math.abs(now - timestamp) > tolerance.getSeconds()) {
      throw new Rejection(401, "timestamp outside tolerance");
    }
    boolean valid = false;
    for (WebhookSigner signer : signers) {
      valid |= signer.verify(id, timestamp, body, signature);
    }
    if (!valid) {
      throw new Rejection(401, "bad signature");
    }
    java.util.Optional<dev.fanout.catchup.CatchUpWire.Signal> signal;
    try {
      signal = dev.fanout.catchup.CatchUpWire.parse(body);
    } catch (IllegalArgumentException e) {
      throw new Rejection(400, "bad body: " + shorten(e.getMessage()));
    }
    if (signal.isPresent()) {
      return new Verified(id, signal.get());
    }
    InvalidationJson.Wire wire;
    try {
      wire = InvalidationJson.decodeWire(body, maxPaths, maxTags);
    } catch (InvalidationJson.BadPath e) {
      throw new Rejection(400, e.getMessage());
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new Rejection(400, "bad body: " + shorten(e.getMessage()));
    }
    for (String path : wire.invalidation().paths()) {
      if (!allowedPrefixes.isEmpty() && allowedPrefixes.stream().noneMatch(path::startsWith)) {
        throw new Rejection(400, "path not allowed");
      }
    }
    return new Verified(id, wire);
  }

  private CompletableFuture<Response> process(Verified request) {
    return applyOnce(request).handle((result, error) -> {
      if (error != null) {
        Throwable cause = unwrap(error);
        if (cause instanceof TimeoutException) {
          log.warn("invalidation {}: handler did not finish within {}", request.id, handlerTimeout);
          return CompletableFuture.completedFuture(answer(request, error(503, "handler timed out")));
        }
        log.warn("invalidation {}: handler failed", request.id, cause);
        return CompletableFuture.completedFuture(answer(request, error(500, "handler failed")));
      }
      if (relayInvalidator != null && request.hop == 0) {
        return relay(request, result);
      }
      if (request.hop > 0) {
        log.debug("invalidation {}: relayed (hop {}), not relayed again", request.id, request.hop);
      }
      return CompletableFuture.completedFuture(answer(request, new Response(200,
          Answers.applied(request.id, result))));
    }).thenCompose(Function.identity());
  }

  /**
   * Runs the handler unless this id was applied already; joins a run of the same id in progress.
   * Completes with "applied" or "duplicate", or exceptionally with the handler's failure.
   */
  private CompletableFuture<String> applyOnce(Verified request) {
    String id = request.id;
    if (replay.contains(id)) {
      return CompletableFuture.completedFuture(Answers.DUPLICATE);
    }
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = inFlight.putIfAbsent(id, mine);
    if (running != null) {
      return bounded(running).thenApply(v -> Answers.DUPLICATE);
    }
    // A run that finished between the first check and putIfAbsent recorded the id first.
    if (replay.contains(id)) {
      inFlight.remove(id, mine);
      mine.complete(null);
      return CompletableFuture.completedFuture(Answers.DUPLICATE);
    }
    CompletionStage<?> call;
    try {
      call = handler.apply(request.invalidation);
      if (call == null) {
        call = CompletableFuture.failedFuture(new IllegalStateException("handler returned null"));
      }
    } catch (RuntimeException | Error e) {
      call = CompletableFuture.failedFuture(e);
    }
    call.whenComplete((v, e) -> {
      if (e == null) {
        replay.put(id, Boolean.TRUE);
      }
      inFlight.remove(id, mine);
      if (e == null) {
        mine.complete(null);
      } else {
        mine.completeExceptionally(e);
      }
    });
    return bounded(mine).thenApply(v -> Answers.APPLIED);
  }

  /** The run itself stays in flight until it really ends; only this request's wait is bounded. */
  private CompletableFuture<Void> bounded(CompletableFuture<Void> run) {
    return run.copy().orTimeout(handlerTimeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Relays a direct request, once per id: a request whose id has a relay in flight shares its
   * answer; one whose last relay succeeded gets that answer again (a replay must not make every
   * peer a target again); one whose last relay failed starts a new relay, which skips the peers
   * that acknowledged before (the sender's retry reaches only the peers that missed it).
   */
  private CompletableFuture<Response> relay(Verified request, String local) {
    RelayRecord record;
    CompletableFuture<Response> mine = new CompletableFuture<>();
    synchronized (relayLock) {
      record = relays.get(request.id);
      if (record != null && record.inFlight != null) {
        return record.inFlight.copy();
      }
      if (record != null && record.last != null && record.last.isSuccess()) {
        return CompletableFuture.completedFuture(answer(request, record.last));
      }
      if (record == null) {
        record = new RelayRecord();
      }
      record.inFlight = mine;
      relays.put(request.id, record);
    }
    RelayRecord rec = record;
    CompletableFuture<InvalidationReport> report;
    try {
      report = relayInvalidator.invalidate(request.invalidation);
    } catch (RuntimeException e) {
      report = CompletableFuture.failedFuture(e);
    }
    report.handle((r, e) -> {
      Response response;
      if (e != null && unwrap(e) instanceof dev.fanout.InvalidatorClosedException) {
        response = error(503, "relay closed");
      } else if (e != null) {
        log.warn("invalidation {}: relay did not finish: {}", request.id, unwrap(e).toString());
        response = new Response(502, Answers.relayFailed(request.id, local));
      } else {
        for (dev.fanout.TargetResult t : r.stages().get(0).targets()) {
          if (t.outcome() == dev.fanout.TargetResult.Outcome.ACKED) {
            rec.acked.add(t.endpoint().authority());
          }
        }
        response = new Response(r.isComplete() ? 200 : 502, Answers.relayed(request.id, local, r));
        if (!r.isComplete()) {
          log.warn("invalidation {}: relay incomplete: {}", request.id, r.stages().get(0).summary());
        }
      }
      synchronized (relayLock) {
        rec.inFlight = null;
        rec.last = response;
        relays.put(request.id, rec);
      }
      mine.complete(response);
      return null;
    });
    return mine.thenApply(response -> answer(request, response));
  }

  /** The relay's notifier: a peer that acknowledged this id in an earlier relay is not sent it again. */
  private CompletionStage<dev.fanout.spi.Ack> relayOnce(Endpoint peer, Invalidation invalidation) {
    RelayRecord record = relays.get(invalidation.id());
    if (record != null && record.acked.contains(peer.authority())) {
      return CompletableFuture.completedFuture(new dev.fanout.spi.Ack(0, "acknowledged an earlier relay"));
    }
    return relayNotifier.deliver(peer, invalidation);
  }

  private Response answer(Verified request, Response response) {
    if (log.isDebugEnabled()) {
      log.debug("invalidation {}: {} {} ({} paths, {} tags, hop {})", request.id, response.status(),
          response.isSuccess() ? "ok" : "failed", request.invalidation.paths().size(),
          request.invalidation.tags().size(), request.hop);
    }
    return response;
  }

  private Response reject(Rejection r) {
    if (log.isDebugEnabled()) {
      log.debug("request rejected: {} {}", r.status(), r.reason());
    }
    return error(r.status(), r.reason());
  }

  private static Response error(int status, String reason) {
    return new Response(status, Answers.error(reason));
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Keeps a reason short and printable; the input was signed, but answers stay small anyway. */
  static String shorten(String message) {
    if (message == null) {
      return "invalid";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < message.length() && sb.length() < 120; i++) {
      char c = message.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    if (message.length() > 120) {
      sb.append("...");
    }
    return sb.toString();
  }

  /**
   * Stops the relay, if any, waiting up to its deadline for relays in flight, and releases its
   * threads. Requests handled afterwards that would relay answer 503. Idempotent.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && relayInvalidator != null) {
      relayInvalidator.close();
      relayNotifier.close();
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
    return "InvalidationReceiver[" + signers.size() + (signers.size() == 1 ? " secret" : " secrets")
        + ", tolerance " + tolerance + ", maxBodyBytes " + maxBodyBytes + ", maxPaths " + maxPaths
        + ", maxTags " + maxTags + ", replayCache " + replay.capacity + ", handlerTimeout "
        + handlerTimeout + (allowedPrefixes.isEmpty() ? "" : ", allowedPrefixes " + allowedPrefixes)
        + (relay == null ? "" : ", " + relay) + "]";
  }

  /** How many ids the replay cache holds now (for tests). */
  int replayCacheSize() {
    return replay.size();
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
   * discovery finds, except its own address, through an {@link Invalidator} with one fan-out
   * stage and an {@link HttpNotifier} signed with the receiver's first secret. The relayed body
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
    private final Discovery peers;
    private final String self;
    private final String path;
    private final int port;
    private final boolean https;
    private final Duration deadline;
    private final Duration attemptTimeout;
    private final RetryPolicy retry;
    private final int minPeers;
    private final FanoutListener listener;

    private Relay(Discovery peers, String self, String path, int port, boolean https,
        Duration deadline, Duration attemptTimeout, RetryPolicy retry, int minPeers,
        FanoutListener listener) {
      this.peers = peers;
      this.self = self;
      this.path = path;
      this.port = port;
      this.https = https;
      this.deadline = deadline;
      this.attemptTimeout = attemptTimeout;
      this.retry = retry;
      this.minPeers = minPeers;
      this.listener = listener;
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
      return new Relay(Objects.requireNonNull(peers, "peers"), null, "/api/revalidate", 0, false,
          Duration.ofSeconds(4), Duration.ofSeconds(1),
          new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1)), 0, FanoutListener.NONE);
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
      String normalised = Endpoint.of(address, 1).address();
      return new Relay(peers, normalised, path, port, https, deadline, attemptTimeout, retry,
          minPeers, listener);
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
      return new Relay(peers, self, newPath, port, https, deadline, attemptTimeout, retry,
          minPeers, listener);
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
      return new Relay(peers, self, path, newPort, https, deadline, attemptTimeout, retry,
          minPeers, listener);
    }

    /**
     * Returns a copy that uses HTTPS (true) or HTTP (false) to reach the peers.
     *
     * @param enabled whether to use HTTPS
     * @return the copy
     */
    public Relay https(boolean enabled) {
      return new Relay(peers, self, path, port, enabled, deadline, attemptTimeout, retry,
          minPeers, listener);
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
      return new Relay(peers, self, path, port, https, positive(newDeadline, "deadline"),
          attemptTimeout, retry, minPeers, listener);
    }

    /**
     * Returns a copy with another per-attempt timeout for each peer.
     *
     * @param timeout the timeout, {@code > 0}
     * @return the copy
     * @throws IllegalArgumentException if not positive
     */
    public Relay attemptTimeout(Duration timeout) {
      return new Relay(peers, self, path, port, https, deadline, positive(timeout, "attemptTimeout"),
          retry, minPeers, listener);
    }

    /**
     * Returns a copy with another retry policy for each peer.
     *
     * @param policy the policy
     * @return the copy
     */
    public Relay retry(RetryPolicy policy) {
      return new Relay(peers, self, path, port, https, deadline, attemptTimeout,
          Objects.requireNonNull(policy, "policy"), minPeers, listener);
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
      return new Relay(peers, self, path, port, https, deadline, attemptTimeout, retry, n,
          listener);
    }

    /**
     * Returns a copy whose relay {@link Invalidator} reports to this listener.
     *
     * @param newListener the listener
     * @return the copy
     */
    public Relay listener(FanoutListener newListener) {
      return new Relay(peers, self, path, port, https, deadline, attemptTimeout, retry, minPeers,
          Objects.requireNonNull(newListener, "listener"));
    }


    HttpNotifier notifier(String secret, Clock clock) {
      HttpNotifier.Builder nb = HttpNotifier.builder().path(path).https(https).clock(clock)
          .signingSecret(secret).relayHop(1);
      if (port > 0) {
        nb.port(port);
      }
      return nb.build();
    }

    Invalidator invalidator(dev.fanout.spi.Notifier notifier) {
      Discovery others = new SelfExcludingDiscovery(peers, self);
      return Invalidator.builder()
          .stage(Stage.fanout("peers", others, notifier)
              .minTargets(minPeers)
              .attemptTimeout(attemptTimeout)
              .retry(retry))
          .deadline(deadline)
          .listener(listener)
          .build();
    }

    /**
     * Returns a description, e.g. {@code Relay[peers Discovery.of[..], self 10.0.3.7, POST
     * /api/revalidate, deadline PT4S]}.
     *
     * @return the description
     */
    @Override
    public String toString() {
      return "Relay[peers " + peers + ", self " + self + ", POST " + path
          + (port > 0 ? " port " + port : "") + (https ? " https" : "") + ", deadline " + deadline
          + "]";
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
      if (relay != null && relay.self == null) {
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
