package dev.fanout.cloudflare;

import dev.fanout.ErrorKind;
import dev.fanout.internal.HttpPurgeRequests;
import dev.fanout.internal.PurgeRequests;
import dev.fanout.internal.RetryAfter;
import dev.fanout.spi.PurgeResult;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link CloudflarePurger#purge} call: takes each request through the account's rate limit,
 * then sends it and reads Cloudflare's answer. Concurrency, retries, stopping, cancellation and the
 * folding of the outcomes into one {@link PurgeResult} are {@link PurgeRequests}'; the bounded
 * exchange is {@link HttpPurgeRequests}'.
 */
final class PurgeRun extends HttpPurgeRequests {
  private static final Logger log = LoggerFactory.getLogger(CloudflarePurger.class);
  /** Cloudflare's "Could not route to ..., perhaps your object identifier is invalid?". */
  static final int UNKNOWN_ZONE = 7003;
  /** Cloudflare's "No route for that URI". */
  static final int NO_ROUTE = 7000;

  private final CloudflarePurger purger;
  private final String invalidationId;
  private final List<PurgeOp> ops;

  PurgeRun(CloudflarePurger purger, String invalidationId, List<PurgeOp> ops) {
    super(purger.name(), ops, purger.concurrency, purger.scheduler, purger.retry, purger.clock,
        purger.deadline, new Exchange(purger.client, purger.attemptTimeout,
            CloudflarePurger.MAX_RESPONSE_BYTES));
    this.purger = purger;
    this.invalidationId = invalidationId;
    this.ops = ops;
  }

  @Override
  public CompletableFuture<PurgeResult> start() {
    log.debug("Cloudflare zone {}: purging invalidation {} with {} request(s)", purger.zoneId,
        invalidationId, ops.size());
    return super.start();
  }

  /** Takes attempt {@code n} of request {@code i} through the rate limit, then sends it. */
  @Override
  protected void attempt(int i, int n) {
    PurgeOp op = ops.get(i);
    Duration wait = purger.limiter.reserve(op.urlCount(), deadline());
    if (wait == null) {
      fail(i, ErrorKind.THROTTLED, (n == 1 ? NOT_SENT : "not retried: ") + "the account's purge"
          + " rate limit (" + purger.limiter.limits() + ") has no room for it before the deadline,"
          + " " + Duration.between(purger.clock.instant(), deadline()).toMillis() + " ms away", null);
      return;
    }
    if (wait.isZero()) {
      send(i, n);
      return;
    }
    log.debug("Cloudflare zone {}: {} attempt {} waits {} ms for the account's rate limit",
        purger.zoneId, op.label(), n, wait.toMillis());
    later(wait, () -> {
      if (!stopped(i)) {
        send(i, n);
      }
    }, i);
  }

  @Override
  protected HttpRequest request(int i, int n) {
    PurgeOp op = ops.get(i);
    // Counted until settled(), so that tests can wait for no request to be in flight.
    purger.inFlight.incrementAndGet();
    HttpRequest request = HttpRequest.newBuilder(purger.purgeUri)
        .POST(HttpRequest.BodyPublishers.ofByteArray(op.body()))
        .header("Authorization", "Bearer " + purger.token.reveal())
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .header("User-Agent", "fanout-cloudflare")
        // Covers connect-to-headers only (Java 17); the exchange bounds the whole of it.
        .timeout(purger.attemptTimeout)
        .build();
    log.debug("Cloudflare zone {}: {} attempt {}: POST {}", purger.zoneId, op.label(), n,
        purger.purgeUri.getRawPath());
    return request;
  }

  @Override
  protected void debug(int i, int n, String what) {
    log.debug("Cloudflare zone {}: {} attempt {}: {}", purger.zoneId, ops.get(i).label(), n, what);
  }

  @Override
  protected void settled() {
    purger.inFlight.decrementAndGet();
  }

  @Override
  protected void onResponse(int i, int n, HttpResponse<byte[]> response) {
    PurgeOp op = ops.get(i);
    int status = response.statusCode();
    Envelope envelope = Envelope.parse(response.body());
    log.debug("Cloudflare zone {}: {} attempt {}: HTTP {}", purger.zoneId, op.label(), n, status);
    String errors = envelope == null ? "" : purger.token.scrub(envelope.describeErrors());
    String detail = "HTTP " + status + (errors.isEmpty() ? "" : ", " + errors);
    if (status >= 200 && status < 300) {
      if (envelope != null && Boolean.FALSE.equals(envelope.success())) {
        fail(i, ErrorKind.REJECTED, "Cloudflare answered success:false, " + detail, null);
        return;
      }
      String id = envelope == null || envelope.resultId() == null ? "" : envelope.resultId();
      String printable = purger.token.scrub(Envelope.printable(id));
      succeed(i, printable.isEmpty() ? List.of() : List.of(printable));
      return;
    }
    if (status == 401 || status == 403) {
      stopPurge(i, ErrorKind.UNAUTHORIZED, "Cloudflare refused the API token for zone '"
          + purger.zoneId + "' (" + detail + "); check that the token is valid and has the"
          + " Zone > Cache Purge > Purge permission on this zone");
      return;
    }
    if (envelope != null && (envelope.has(UNKNOWN_ZONE) || envelope.has(NO_ROUTE))) {
      stopPurge(i, ErrorKind.REJECTED, "Cloudflare has no zone '" + purger.zoneId + "' for this"
          + " token (" + detail + "); check zoneId: the zone's id from its Overview page, not its"
          + " domain name");
      return;
    }
    if (status == 429) {
      // Someone else spends the account's tokens too: slow every purger of the account down.
      purger.limiter.throttled();
    }
    // 429 and every 5xx: a 500 from Cloudflare's API is as transient as a 502.
    if (status == 429 || status >= 500) {
      Duration hint = RetryAfter.parse(response.headers().firstValue("Retry-After").orElse(null),
          purger.clock).orElse(null);
      ErrorKind kind = status == 429 ? ErrorKind.THROTTLED
          : status == 502 || status == 503 || status == 504 ? ErrorKind.UNAVAILABLE
          : ErrorKind.SERVER_ERROR;
      retryOrFail(i, n, kind, detail, hint, null);
      return;
    }
    fail(i, ErrorKind.ofStatus(status), detail, null);
  }

  /** Refused credentials or an unknown zone: every other request would fail the same way. */
  private void stopPurge(int i, ErrorKind kind, String message) {
    if (stopAll(i, kind, message)) {
      log.warn("{}; stopping the purge of invalidation {}", purger.token.scrub(message),
          invalidationId);
    }
  }

  @Override
  protected String scrub(String text) {
    return purger.token.scrub(text);
  }

  @Override
  protected String failureMessage(Failure main, String where) {
    return main.detail().startsWith("Cloudflare ")
        ? main.detail()
        : "Cloudflare purge of invalidation " + invalidationId + " for zone '" + purger.zoneId
            + "' failed: " + where + main.detail();
  }
}
