package dev.fanout.fastly;

import dev.fanout.internal.CappedBody;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.ErrorKind;
import dev.fanout.PurgeException;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
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
 * One {@link FastlyPurger#purge} call: runs its requests under the concurrency limit, retries them,
 * and folds the outcomes into one {@link PurgeResult}. Every callback may run on any thread (the
 * HTTP client's, the scheduler's, or the caller's), so all shared state is atomic.
 */
final class PurgeRun {
  private static final Logger log = LoggerFactory.getLogger(FastlyPurger.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_DETAIL_CHARS = 200;
  private static final String NOT_SENT = "not sent: ";

  /** Why one request ended without purging. */
  private record Failure(int op, ErrorKind kind, String detail, Throwable cause) {}

  private final FastlyPurger purger;
  private final String invalidationId;
  private final List<PurgeOp> ops;
  private final Instant retryDeadline;
  private final CompletableFuture<PurgeResult> result = new CompletableFuture<>();
  /** Bounds the requests in progress, retries included: a request keeps its permit until it ends. */
  private final Limiter limiter;
  private final AtomicInteger remaining;
  private final AtomicInteger requests = new AtomicInteger();
  /** Purge ids per request that succeeded; null for one that did not (yet). */
  private final AtomicReferenceArray<List<String>> ids;
  private final AtomicReferenceArray<Failure> failures;
  /** 1 once request {@code i} has its outcome. */
  private final AtomicIntegerArray done;
  /** Set when no further request may be sent: credentials refused, or the caller cancelled. */
  private final AtomicReference<Failure> stop = new AtomicReference<>();
  /** Requests in flight and retries waiting, to cancel when the caller cancels. */
  private final Set<Future<?>> live = ConcurrentHashMap.newKeySet();

  PurgeRun(FastlyPurger purger, String invalidationId, List<PurgeOp> ops) {
    this.purger = purger;
    this.invalidationId = invalidationId;
    this.ops = ops;
    this.retryDeadline = purger.clock.instant().plus(purger.deadline);
    this.limiter = new Limiter(purger.concurrency, Runnable::run);
    this.remaining = new AtomicInteger(ops.size());
    this.ids = new AtomicReferenceArray<>(ops.size());
    this.failures = new AtomicReferenceArray<>(ops.size());
    this.done = new AtomicIntegerArray(ops.size());
  }

  CompletableFuture<PurgeResult> start() {
    if (ops.isEmpty()) {
      log.debug("Fastly service {}: invalidation {} has nothing for Fastly to purge",
          purger.serviceId, invalidationId);
      result.complete(PurgeResult.succeeded(purger.name(), 0, List.of()));
      return result;
    }
    log.debug("Fastly service {}: purging invalidation {} with {} request(s)", purger.serviceId,
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
      limiter.acquireHere(() -> attempt(op, 1));
    }
    return result;
  }

  private void attempt(int i, int n) {
    Failure stopped = stop.get();
    if (stopped != null) {
      Failure f = notSent(i, stopped);
      fail(i, f.kind(), f.detail(), null);
      return;
    }
    PurgeOp op = ops.get(i);
    CompletableFuture<HttpResponse<byte[]>> sent;
    try {
      HttpRequest request = request(op);
      log.debug("Fastly service {}: {} attempt {}: POST {}", purger.serviceId, op.label(), n,
          op.uri().getRawPath());
      sent = send(request);
      requests.incrementAndGet();
    } catch (RuntimeException e) {
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
      }
    });
  }

  private HttpRequest request(PurgeOp op) {
    HttpRequest.Builder b = HttpRequest.newBuilder(op.uri())
        .POST(HttpRequest.BodyPublishers.noBody())
        .header(FastlyPurger.FASTLY_KEY, purger.token.reveal())
        .header("Accept", "application/json")
        .header("User-Agent", "fanout-fastly")
        // Covers connect-to-headers only (Java 17); send() bounds the whole exchange.
        .timeout(purger.attemptTimeout);
    if (op.surrogateKeys() != null) {
      b.header(SurrogateKeys.HEADER, op.surrogateKeys());
    }
    if (op.soft()) {
      b.header(FastlyPurger.SOFT_PURGE, "1");
    }
    return b.build();
  }

  /** Sends with a bound on the whole exchange, body included, enforced on the scheduler. */
  private CompletableFuture<HttpResponse<byte[]>> send(HttpRequest request) {
    CompletableFuture<HttpResponse<byte[]>> http =
        purger.client.sendAsync(request, CappedBody.handler(FastlyPurger.MAX_RESPONSE_BYTES));
    live.add(http);
    http.whenComplete((r, e) -> live.remove(http));
    if (result.isCancelled()) {
      // Cancelled while this request was being sent: the cancel handler may have missed it.
      http.cancel(true);
    }
    return Timeouts.within(http, purger.attemptTimeout, purger.scheduler,
        () -> new HttpTimeoutException(
            "no complete response within " + purger.attemptTimeout.toMillis() + " ms"));
  }

  private void onResponse(int i, int n, HttpResponse<byte[]> response) {
    PurgeOp op = ops.get(i);
    int status = response.statusCode();
    log.debug("Fastly service {}: {} attempt {}: HTTP {}", purger.serviceId, op.label(), n, status);
    if (status >= 200 && status < 300) {
      succeed(i, purgeIds(op, response.body()));
      return;
    }
    String detail = "HTTP " + status + errorMessage(response.body());
    if (status == 401 || status == 403) {
      String message = "Fastly refused the API token for service '" + purger.serviceId + "' ("
          + detail + "); check that the token is valid and has the purge_select scope"
          + (op.kind() == PurgeOp.Kind.ALL ? " (purge_all for purge-all)" : "");
      Failure f = new Failure(i, ErrorKind.UNAUTHORIZED, message, null);
      if (stop.compareAndSet(null, f)) {
        log.warn("{}; stopping the purge of invalidation {}", message, invalidationId);
      }
      fail(i, ErrorKind.UNAUTHORIZED, message, null);
      return;
    }
    if (status == 429 || status >= 500) {
      Duration hint = waitHint(response, status == 429);
      retryOrFail(i, n, ErrorKind.ofStatus(status), detail, hint, null);
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
    log.debug("Fastly service {}: {} attempt {}: {}", purger.serviceId, ops.get(i).label(), n,
        describe(error));
    retryOrFail(i, n, kind, describe(error), null, error);
  }

  private void retryOrFail(int i, int n, ErrorKind kind, String detail, Duration hint,
      Throwable cause) {
    if (result.isDone()) {
      fail(i, ErrorKind.CANCELLED, "cancelled", cause);
      return;
    }
    Retry.Decision next = purger.retry.next(n, hint,
        Duration.between(purger.clock.instant(), retryDeadline));
    if (!next.again()) {
      fail(i, kind, detail + " (" + next.reason() + ")", cause);
      return;
    }
    log.debug("Fastly service {}: {} retrying in {} ms", purger.serviceId, ops.get(i).label(),
        next.delay().toMillis());
    AtomicReference<ScheduledFuture<?>> self = new AtomicReference<>();
    ScheduledFuture<?> retry = Tasks.schedule(purger.scheduler, next.delay(), () -> {
      ScheduledFuture<?> me = self.get();
      if (me != null) {
        live.remove(me);
      }
      attempt(i, n + 1);
    });
    if (retry == null) {
      fail(i, kind, detail + " (retry not scheduled: the scheduler refused it)", cause);
      return;
    }
    self.set(retry);
    live.add(retry);
    if (retry.isDone()) {
      live.remove(retry);
    }
    if (result.isCancelled() && retry.cancel(false)) {
      // Cancelled between the check above and scheduling: nobody else will finish this request.
      live.remove(retry);
      fail(i, ErrorKind.CANCELLED, "cancelled", cause);
    }
  }

  /**
   * The wait a 429 or 5xx asks for: the later of {@code Retry-After} and, for 429, Fastly's
   * rate-limit reset time (epoch seconds); null when neither is given or readable.
   */
  private Duration waitHint(HttpResponse<?> response, boolean throttled) {
    Optional<Duration> retryAfter =
        RetryAfter.parse(response.headers().firstValue("Retry-After").orElse(null), purger.clock);
    Optional<Duration> reset = throttled
        ? resetIn(response.headers().firstValue(FastlyPurger.RATE_LIMIT_RESET).orElse(null))
        : Optional.empty();
    if (retryAfter.isPresent() && reset.isPresent()) {
      return retryAfter.get().compareTo(reset.get()) >= 0 ? retryAfter.get() : reset.get();
    }
    return retryAfter.or(() -> reset).orElse(null);
  }

  private Optional<Duration> resetIn(String value) {
    if (value == null) {
      return Optional.empty();
    }
    String v = value.trim();
    if (v.isEmpty() || v.length() > 12 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return Optional.empty();
    }
    Duration d = Duration.between(purger.clock.instant(), Instant.ofEpochSecond(Long.parseLong(v)));
    return Optional.of(d.isNegative() ? Duration.ZERO : d);
  }

  private void succeed(int i, List<String> purgeIds) {
    if (record(i, purgeIds, null)) {
      finished();
    }
  }

  private void fail(int i, ErrorKind kind, String detail, Throwable cause) {
    if (record(i, null, new Failure(i, kind, purger.token.scrub(detail), cause))) {
      finished();
    }
  }

  /** Records the outcome of request {@code i}; false if it already had one (never count twice). */
  private boolean record(int i, List<String> purgeIds, Failure failure) {
    if (!done.compareAndSet(i, 0, 1)) {
      return false;
    }
    if (purgeIds != null) {
      ids.set(i, purgeIds);
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
    limiter.release();
  }

  private void complete() {
    Set<String> purgeIds = new LinkedHashSet<>();
    Set<String> notPurged = new LinkedHashSet<>();
    List<Failure> failed = new ArrayList<>();
    int succeeded = 0;
    for (int i = 0; i < ops.size(); i++) {
      List<String> opIds = ids.get(i);
      if (opIds != null) {
        succeeded++;
        purgeIds.addAll(opIds);
      } else {
        failed.add(failures.get(i));
        notPurged.addAll(ops.get(i).covers());
      }
    }
    // URL purges of one path on several hosts: the path is stale if any of them failed, even if
    // another host's request for it succeeded, so notPurged is exactly the covers of failures.
    int sent = requests.get();
    if (failed.isEmpty()) {
      log.debug("Fastly service {}: invalidation {} purged with {} request(s)", purger.serviceId,
          invalidationId, sent);
      result.complete(PurgeResult.succeeded(purger.name(), sent, List.copyOf(purgeIds)));
      return;
    }
    Failure main = mainFailure(failed);
    String where = main.op() >= 0 ? ops.get(main.op()).label() + ": " : "";
    if (succeeded == 0) {
      String message = main.kind() == ErrorKind.UNAUTHORIZED
          ? main.detail()
          : "Fastly purge of invalidation " + invalidationId + " for service '" + purger.serviceId
              + "' failed: " + where + main.detail();
      result.completeExceptionally(
          new PurgeException(purger.name(), main.kind(), message, main.cause()));
      return;
    }
    String detail = failed.size() + " of " + ops.size() + " requests failed; " + where
        + main.detail();
    result.complete(new PurgeResult(purger.name(), PurgeResult.Status.FAILED, sent,
        List.copyOf(purgeIds),
        List.copyOf(notPurged), main.kind(), detail, Duration.ZERO));
  }

  /** Refused credentials explain everything else; otherwise the last request's failure. */
  private static Failure mainFailure(List<Failure> failed) {
    Failure last = failed.get(failed.size() - 1);
    for (Failure f : failed) {
      if (f.kind() == ErrorKind.UNAUTHORIZED && !f.detail().startsWith(NOT_SENT)) {
        return f;
      }
    }
    return last;
  }

  /**
   * Reads Fastly's purge ids: a batch key purge answers with a map of key to purge id, a URL purge
   * with {@code {"status":"ok","id":"..."}}, purge-all with no id. An answer that cannot be read
   * does not make a 2xx a failure: Fastly accepted the purge.
   */
  private List<String> purgeIds(PurgeOp op, byte[] body) {
    if (op.kind() == PurgeOp.Kind.ALL || body == null || body.length == 0) {
      return List.of();
    }
    try {
      JsonNode node = JSON.readTree(body);
      Set<String> out = new LinkedHashSet<>();
      if (op.kind() == PurgeOp.Kind.URL) {
        JsonNode id = node.path("id");
        if (id.isTextual()) {
          out.add(id.asText());
        }
      } else if (node.isObject()) {
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
          JsonNode id = it.next();
          if (id.isTextual()) {
            out.add(id.asText());
          }
        }
      }
      return List.copyOf(out);
    } catch (IOException e) {
      log.debug("Fastly service {}: {}: unreadable purge answer ({})", purger.serviceId,
          op.label(), e.getClass().getSimpleName());
      return List.of();
    }
  }

  /** Fastly errors are {@code {"msg": "...", "detail": "..."}}; keep a short, printable excerpt. */
  private String errorMessage(byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    String text;
    try {
      JsonNode node = JSON.readTree(body);
      String msg = node.path("msg").asText("");
      String detail = node.path("detail").asText("");
      text = detail.isEmpty() ? msg : msg.isEmpty() ? detail : msg + ": " + detail;
    } catch (IOException e) {
      text = new String(body, 0, Math.min(body.length, MAX_DETAIL_CHARS), StandardCharsets.UTF_8);
    }
    text = purger.token.scrub(text.strip());
    if (text.isEmpty()) {
      return "";
    }
    return " " + SurrogateKeys.printable(
        text.length() > MAX_DETAIL_CHARS ? text.substring(0, MAX_DETAIL_CHARS) : text);
  }

  private String describe(Throwable t) {
    String m = t.getMessage();
    String name = t.getClass().getSimpleName();
    return m == null || m.isBlank() ? name : name + ": " + purger.token.scrub(m);
  }
}
