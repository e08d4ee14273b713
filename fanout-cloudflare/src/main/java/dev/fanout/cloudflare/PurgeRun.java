package dev.fanout.cloudflare;

import dev.fanout.ErrorKind;
import dev.fanout.PurgeException;
import dev.fanout.internal.CappedBody;
import dev.fanout.internal.Futures;
import dev.fanout.internal.Limiter;
import dev.fanout.internal.Retry;
import dev.fanout.internal.RetryAfter;
import dev.fanout.internal.Tasks;
import dev.fanout.internal.Timeouts;
import dev.fanout.spi.PurgeResult;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link CloudflarePurger#purge} call: takes each request through the account's rate limit,
 * sends it under the concurrency limit, retries it, and folds the outcomes into one {@link
 * PurgeResult}. Callbacks run on the HTTP client's threads, the scheduler's or the caller's, so
 * all shared state is atomic.
 */
final class PurgeRun {
  private static final Logger log = LoggerFactory.getLogger(CloudflarePurger.class);
  private static final String NOT_SENT = "not sent: ";
  /** Cloudflare's "Could not route to ..., perhaps your object identifier is invalid?". */
  static final int UNKNOWN_ZONE = 7003;
  /** Cloudflare's "No route for that URI". */
  static final int NO_ROUTE = 7000;

  /** Why one request ended without purging. */
  private record Failure(int op, ErrorKind kind, String detail, Throwable cause) {}

  private final CloudflarePurger purger;
  private final String invalidationId;
  private final List<PurgeOp> ops;
  private final Instant deadline;
  private final CompletableFuture<PurgeResult> result = new CompletableFuture<>();
  /** Bounds the requests in progress, retries included: a request keeps its permit until it ends. */
  private final Limiter concurrency;
  private final AtomicInteger remaining;
  private final AtomicInteger requests = new AtomicInteger();
  /** Cloudflare's id per request that succeeded ("" when it gave none); null if it did not. */
  private final AtomicReferenceArray<String> ids;
  private final AtomicReferenceArray<Failure> failures;
  /** 1 once request {@code i} has its outcome. */
  private final AtomicIntegerArray done;
  /** Set when no further request may be sent: credentials or zone refused, or cancelled. */
  private final AtomicReference<Failure> stop = new AtomicReference<>();
  /** Requests in flight and waits scheduled, to cancel when the caller cancels. */
  private final Set<Future<?>> live = ConcurrentHashMap.newKeySet();

  PurgeRun(CloudflarePurger purger, String invalidationId, List<PurgeOp> ops) {
    this.purger = purger;
    this.invalidationId = invalidationId;
    this.ops = ops;
    this.deadline = purger.clock.instant().plus(purger.deadline);
    this.concurrency = new Limiter(purger.concurrency, Runnable::run);
    this.remaining = new AtomicInteger(ops.size());
    this.ids = new AtomicReferenceArray<>(ops.size());
    this.failures = new AtomicReferenceArray<>(ops.size());
    this.done = new AtomicIntegerArray(ops.size());
  }

  CompletableFuture<PurgeResult> start() {
    if (ops.isEmpty()) {
      log.debug("Cloudflare zone {}: invalidation {} has nothing for Cloudflare to purge",
          purger.zoneId, invalidationId);
      result.complete(PurgeResult.succeeded(purger.name(), 0, List.of()));
      return result;
    }
    log.debug("Cloudflare zone {}: purging invalidation {} with {} request(s)", purger.zoneId,
        invalidationId, ops.size());
    result.whenComplete((r, e) -> {
      if (result.isCancelled()) {
        stop.compareAndSet(null, new Failure(-1, ErrorKind.CANCELLED, "cancelled", null));
        for (Future<?> f : live) {
          f.cancel(true);
        }
      }
    });
    for (int i = 0; i < ops.size(); i++) {
      int op = i;
      // A request that ends hands its permit to the next; the limiter runs that one on the ending
      // request's thread, after it, never nested (thousands fail at once when the run stops).
      concurrency.acquireHere(() -> attempt(op, 1));
    }
    return result;
  }

  /** Takes attempt {@code n} of request {@code i} through the rate limit, then sends it. */
  private void attempt(int i, int n) {
    Failure stopped = stop.get();
    if (stopped != null) {
      Failure f = notSent(i, stopped);
      fail(i, f.kind(), f.detail(), null);
      return;
    }
    PurgeOp op = ops.get(i);
    Duration wait = purger.limiter.reserve(op.urlCount(), deadline);
    if (wait == null) {
      fail(i, ErrorKind.THROTTLED, (n == 1 ? NOT_SENT : "not retried: ") + "the account's purge"
          + " rate limit (" + purger.limiter.limits() + ") has no room for it before the deadline,"
          + " " + Duration.between(purger.clock.instant(), deadline).toMillis() + " ms away", null);
      return;
    }
    if (wait.isZero()) {
      send(i, n);
      return;
    }
    log.debug("Cloudflare zone {}: {} attempt {} waits {} ms for the account's rate limit",
        purger.zoneId, op.label(), n, wait.toMillis());
    later(wait, () -> send(i, n), i);
  }

  private void send(int i, int n) {
    Failure stopped = stop.get();
    if (stopped != null) {
      Failure f = notSent(i, stopped);
      fail(i, f.kind(), f.detail(), null);
      return;
    }
    PurgeOp op = ops.get(i);
    CompletableFuture<HttpResponse<byte[]>> sent;
    purger.inFlight.incrementAndGet();
    try {
      HttpRequest request = HttpRequest.newBuilder(purger.purgeUri)
          .POST(HttpRequest.BodyPublishers.ofByteArray(op.body()))
          .header("Authorization", purger.token.authorization())
          .header("Content-Type", "application/json")
          .header("Accept", "application/json")
          .header("User-Agent", "fanout-cloudflare")
          // Covers connect-to-headers only (Java 17); Timeouts bounds the whole exchange.
          .timeout(purger.attemptTimeout)
          .build();
      log.debug("Cloudflare zone {}: {} attempt {}: POST {}", purger.zoneId, op.label(), n,
          purger.purgeUri.getRawPath());
      CompletableFuture<HttpResponse<byte[]>> http =
          purger.client.sendAsync(request, CappedBody.handler(CloudflarePurger.MAX_RESPONSE_BYTES));
      live.add(http);
      http.whenComplete((r, e) -> live.remove(http));
      if (result.isCancelled()) {
        // Cancelled while this request was being sent: the cancel handler may have missed it.
        http.cancel(true);
      }
      sent = Timeouts.within(http, purger.attemptTimeout, purger.scheduler,
          () -> new HttpTimeoutException(
              "no complete response within " + purger.attemptTimeout.toMillis() + " ms"));
      requests.incrementAndGet();
    } catch (RuntimeException e) {
      purger.inFlight.decrementAndGet();
      // sendAsync rejects some requests synchronously; that is a bug here, never worth a retry.
      fail(i, ErrorKind.INTERNAL, "request could not be sent: " + describe(e), e);
      return;
    }
    sent.whenComplete((response, error) -> {
      try {
        if (error != null) {
          onError(i, n, Futures.unwrap(error));
        } else {
          onResponse(i, n, response);
        }
      } catch (RuntimeException e) {
        fail(i, ErrorKind.INTERNAL, "unexpected failure: " + describe(e), e);
      } finally {
        purger.inFlight.decrementAndGet();
      }
    });
  }

  private void onResponse(int i, int n, HttpResponse<byte[]> response) {
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
      succeed(i, purger.token.scrub(Envelope.printable(id)));
      return;
    }
    if (status == 401 || status == 403) {
      stopAll(i, ErrorKind.UNAUTHORIZED, "Cloudflare refused the API token for zone '"
          + purger.zoneId + "' (" + detail + "); check that the token is valid and has the"
          + " Zone > Cache Purge > Purge permission on this zone");
      return;
    }
    if (envelope != null && (envelope.has(UNKNOWN_ZONE) || envelope.has(NO_ROUTE))) {
      stopAll(i, ErrorKind.REJECTED, "Cloudflare has no zone '" + purger.zoneId + "' for this"
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

  private void onError(int i, int n, Throwable error) {
    ErrorKind kind;
    if (error instanceof CancellationException) {
      fail(i, ErrorKind.CANCELLED, "cancelled", error);
      return;
    } else if (error instanceof HttpConnectTimeoutException || error instanceof ConnectException) {
      kind = ErrorKind.CONNECT;
    } else if (error instanceof HttpTimeoutException) {
      kind = ErrorKind.TIMEOUT;
    } else if (error instanceof IOException) {
      kind = ErrorKind.IO;
    } else {
      fail(i, ErrorKind.INTERNAL, "unexpected failure: " + describe(error), error);
      return;
    }
    log.debug("Cloudflare zone {}: {} attempt {}: {}", purger.zoneId, ops.get(i).label(), n,
        describe(error));
    retryOrFail(i, n, kind, describe(error), null, error);
  }

  /** Refused credentials or an unknown zone: every other request would fail the same way. */
  private void stopAll(int i, ErrorKind kind, String message) {
    if (stop.compareAndSet(null, new Failure(i, kind, message, null))) {
      log.warn("{}; stopping the purge of invalidation {}", message, invalidationId);
    }
    fail(i, kind, message, null);
  }

  private void retryOrFail(int i, int n, ErrorKind kind, String detail, Duration hint,
      Throwable cause) {
    if (result.isDone()) {
      fail(i, ErrorKind.CANCELLED, "cancelled", cause);
      return;
    }
    Retry.Decision d =
        purger.retry.next(n, hint, Duration.between(purger.clock.instant(), deadline));
    if (!d.again()) {
      fail(i, kind, detail + " (" + d.reason() + ")", cause);
      return;
    }
    log.debug("Cloudflare zone {}: {} retrying in {} ms", purger.zoneId, ops.get(i).label(),
        d.delay().toMillis());
    later(d.delay(), () -> attempt(i, n + 1), i);
  }

  /** Runs {@code task} on the scheduler after {@code delay}, unless the purge is cancelled. */
  private void later(Duration delay, Runnable task, int i) {
    AtomicReference<ScheduledFuture<?>> self = new AtomicReference<>();
    ScheduledFuture<?> f = Tasks.schedule(purger.scheduler, delay, () -> {
      ScheduledFuture<?> me = self.get();
      if (me != null) {
        live.remove(me);
      }
      task.run();
    });
    if (f == null) {
      fail(i, ErrorKind.CANCELLED, "not sent: the scheduler refused the wait", null);
      return;
    }
    self.set(f);
    live.add(f);
    if (f.isDone()) {
      live.remove(f);
    }
    if (result.isCancelled() && f.cancel(false)) {
      // Cancelled between the check and scheduling: nobody else will finish this request.
      live.remove(f);
      fail(i, ErrorKind.CANCELLED, "cancelled", null);
    }
  }

  private void succeed(int i, String id) {
    if (record(i, id, null)) {
      finished();
    }
  }

  private void fail(int i, ErrorKind kind, String detail, Throwable cause) {
    if (record(i, null, new Failure(i, kind, purger.token.scrub(detail), cause))) {
      finished();
    }
  }

  /** Records the outcome of request {@code i}; false if it already had one (never count twice). */
  private boolean record(int i, String id, Failure failure) {
    if (!done.compareAndSet(i, 0, 1)) {
      return false;
    }
    if (id != null) {
      ids.set(i, id);
    } else {
      failures.set(i, failure);
    }
    return true;
  }

  private static Failure notSent(int i, Failure stopped) {
    String d = stopped.detail();
    if (!d.startsWith(NOT_SENT)) {
      d = NOT_SENT + d;
    }
    return new Failure(i, stopped.kind(), d, null);
  }

  private void finished() {
    if (remaining.decrementAndGet() == 0) {
      complete();
    }
    concurrency.release();
  }

  private void complete() {
    Set<String> purgeIds = new LinkedHashSet<>();
    Set<String> notPurged = new LinkedHashSet<>();
    List<Failure> failed = new ArrayList<>();
    int succeeded = 0;
    for (int i = 0; i < ops.size(); i++) {
      String id = ids.get(i);
      if (id != null) {
        succeeded++;
        if (!id.isEmpty()) {
          purgeIds.add(id);
        }
      } else {
        failed.add(failures.get(i));
        notPurged.addAll(ops.get(i).covers());
      }
    }
    // A path purged on several hosts is stale if any of its requests failed, even when another
    // succeeded, so notPurged is exactly what the failed requests cover.
    int sent = requests.get();
    if (failed.isEmpty()) {
      log.debug("Cloudflare zone {}: invalidation {} purged with {} request(s)", purger.zoneId,
          invalidationId, sent);
      result.complete(PurgeResult.succeeded(purger.name(), sent, List.copyOf(purgeIds)));
      return;
    }
    Failure main = mainFailure(failed);
    String where = main.op() >= 0 ? ops.get(main.op()).label() + ": " : "";
    if (succeeded == 0) {
      String message = main.detail().startsWith("Cloudflare ")
          ? main.detail()
          : "Cloudflare purge of invalidation " + invalidationId + " for zone '" + purger.zoneId
              + "' failed: " + where + main.detail();
      result.completeExceptionally(
          new PurgeException(purger.name(), main.kind(), message, main.cause()));
      return;
    }
    String detail = failed.size() + " of " + ops.size() + " requests failed; " + where
        + main.detail();
    result.complete(new PurgeResult(purger.name(), PurgeResult.Status.FAILED, sent,
        List.copyOf(purgeIds), List.copyOf(notPurged), main.kind(), detail, Duration.ZERO));
  }

  /** What stopped the purge explains everything else; otherwise the last request's failure. */
  private Failure mainFailure(List<Failure> failed) {
    Failure stopped = stop.get();
    if (stopped != null && stopped.op() >= 0 && failures.get(stopped.op()) != null) {
      return failures.get(stopped.op());
    }
    return failed.get(failed.size() - 1);
  }

  private String describe(Throwable t) {
    String m = t.getMessage();
    String name = t.getClass().getSimpleName();
    return m == null || m.isBlank() ? name : name + ": " + purger.token.scrub(m);
  }
}
