package dev.fanout.internal;

import dev.fanout.ErrorKind;
import dev.fanout.PurgeException;
import dev.fanout.spi.PurgeResult;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One purge made of independent API requests (a CDN purger's {@code purge} call): runs them under a
 * concurrency limit, retries each with {@link Retry} inside the purge's deadline, stops sending when
 * one answer says every other would fail the same way, cancels what is in flight when the caller
 * cancels, and folds the outcomes into one {@link PurgeResult}. A purger says how one attempt is
 * sent and read ({@link #attempt(int, int)}); this class owns everything around it. Part of the
 * kernel; not part of the public API.
 *
 * <p>Every callback may run on any thread (the HTTP client's, the scheduler's, the caller's), so all
 * shared state is atomic. Each request gets its outcome exactly once ({@link #succeed} or {@link
 * #fail}), and only then gives its concurrency permit to the next.
 */
public abstract class PurgeRequests {
  /** How the detail of a request that was never sent starts. */
  protected static final String NOT_SENT = "not sent: ";

  /**
   * Why one request ended without purging.
   *
   * @param op the request's index, or -1 for the purge as a whole
   * @param kind the error kind
   * @param detail what happened, scrubbed of secrets
   * @param cause the exception, if any
   */
  protected record Failure(int op, ErrorKind kind, String detail, Throwable cause) {}

  /** One API request of a purge, as its purger planned it. */
  public interface Request {
    /**
     * Returns a short, secret-free description for logs and reports, e.g. {@code key batch 2/3
     * (256 keys)}.
     *
     * @return the label
     */
    String label();

    /**
     * Returns the tags and paths this request purges: what stays stale if it fails.
     *
     * @return the tags and paths
     */
    List<String> covers();
  }

  /** What the caller gets. */
  protected final CompletableFuture<PurgeResult> result = new CompletableFuture<>();

  private final List<? extends Request> requests;
  private final String name;
  private final int count;
  private final ScheduledExecutorService scheduler;
  private final Retry retry;
  private final Clock clock;
  private final Instant deadline;
  private final Limiter limiter;
  private final AtomicInteger remaining;
  private final AtomicInteger sent = new AtomicInteger();
  /** Purge ids of each request that succeeded; null for one that did not (yet). */
  private final AtomicReferenceArray<List<String>> ids;
  private final AtomicReferenceArray<Failure> failures;
  /** 1 once request {@code i} has its outcome. */
  private final AtomicIntegerArray done;
  /** Set when no further request may be sent: credentials refused, or the caller cancelled. */
  private final AtomicReference<Failure> stop = new AtomicReference<>();
  /** Requests in flight and waits scheduled, to cancel when the caller cancels. */
  private final Set<Future<?>> live = ConcurrentHashMap.newKeySet();

  /**
   * Prepares a purge.
   *
   * @param name the purger's name, for results and exceptions
   * @param requests the requests, in order
   * @param concurrency how many may be in progress at once, retries included, {@code >= 1}
   * @param scheduler runs retries and waits
   * @param retry when a failed request is tried again
   * @param clock the clock of the deadline
   * @param deadline no retry starts later than this after now
   */
  protected PurgeRequests(String name, List<? extends Request> requests, int concurrency,
      ScheduledExecutorService scheduler, Retry retry, Clock clock, Duration deadline) {
    this.name = name;
    this.requests = List.copyOf(requests);
    this.count = requests.size();
    this.scheduler = scheduler;
    this.retry = retry;
    this.clock = clock;
    this.deadline = clock.instant().plus(deadline);
    // A request that ends hands its permit to the next; the limiter runs that one on the ending
    // request's thread, after it, never nested (thousands fail at once when the purge stops).
    this.limiter = new Limiter(concurrency, Runnable::run);
    this.remaining = new AtomicInteger(count);
    this.ids = new AtomicReferenceArray<>(count);
    this.failures = new AtomicReferenceArray<>(count);
    this.done = new AtomicIntegerArray(count);
  }

  /**
   * Sends attempt {@code n} of request {@code i}; it must end in exactly one of {@link #succeed},
   * {@link #fail}, {@link #retryOrFail} or {@link #stopAll}, on any thread.
   *
   * @param i the request
   * @param n the attempt, from 1
   */
  protected abstract void attempt(int i, int n);

  /**
   * Removes secrets (an API token a server echoed) from a text.
   *
   * @param text the text
   * @return the text without secrets
   */
  protected abstract String scrub(String text);

  /**
   * Returns the message of the {@link PurgeException} when no request succeeded.
   *
   * @param main the failure that explains the purge's
   * @param where the failed request's label and {@code ": "}, or empty
   * @return the message
   */
  protected abstract String failureMessage(Failure main, String where);

  /**
   * Returns the instant after which no attempt of this purge starts.
   *
   * @return the deadline
   */
  protected final Instant deadline() {
    return deadline;
  }

  /**
   * Starts every request under the concurrency limit and returns the purge's outcome.
   *
   * @return completes with the result when at least one request succeeded (or there were none),
   *     or exceptionally with a {@link PurgeException} when none did
   */
  public CompletableFuture<PurgeResult> start() {
    if (count == 0) {
      result.complete(PurgeResult.succeeded(name, 0, List.of()));
      return result;
    }
    result.whenComplete((r, e) -> {
      if (result.isCancelled()) {
        stop.compareAndSet(null, new Failure(-1, ErrorKind.CANCELLED, "cancelled", null));
        for (Future<?> f : live) {
          f.cancel(true);
        }
      }
    });
    for (int i = 0; i < count; i++) {
      int op = i;
      limiter.acquireHere(() -> {
        if (!stopped(op)) {
          attempt(op, 1);
        }
      });
    }
    return result;
  }

  /**
   * Fails request {@code i} as not sent if the purge has stopped.
   *
   * @param i the request
   * @return true if it was failed here, and must not be sent
   */
  protected final boolean stopped(int i) {
    Failure stopped = stop.get();
    if (stopped == null) {
      return false;
    }
    String d = stopped.detail();
    fail(i, stopped.kind(), d.startsWith(NOT_SENT) ? d : NOT_SENT + d, null);
    return true;
  }

  /**
   * Tracks a request just sent, so that cancelling the purge cancels it; counts it as sent.
   *
   * @param <T> the response type
   * @param call the request's future
   * @return {@code call}
   */
  protected final <T> CompletableFuture<T> track(CompletableFuture<T> call) {
    sent.incrementAndGet();
    live.add(call);
    call.whenComplete((r, e) -> live.remove(call));
    if (result.isCancelled()) {
      // Cancelled while this request was being sent: the cancel handler may have missed it.
      call.cancel(true);
    }
    return call;
  }

  /**
   * Takes a failed attempt that did reach a verdict on the wire: a connection failure, a timeout
   * and an I/O error are retried; a cancellation or anything unexpected fails the request.
   *
   * @param i the request
   * @param n the attempt that failed
   * @param error the failure, unwrapped
   */
  protected final void onError(int i, int n, Throwable error) {
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
    retryOrFail(i, n, kind, describe(error), null, error);
  }

  /**
   * Schedules attempt {@code n + 1} of request {@code i} as {@link Retry} decides, or fails it with
   * the reason.
   *
   * @param i the request
   * @param n the attempt that failed
   * @param kind what kind of failure
   * @param detail what happened
   * @param hint the server's wait ({@code Retry-After}, a rate-limit reset), or null
   * @param cause the exception, if any
   */
  protected final void retryOrFail(int i, int n, ErrorKind kind, String detail, Duration hint,
      Throwable cause) {
    if (result.isDone()) {
      fail(i, ErrorKind.CANCELLED, "cancelled", cause);
      return;
    }
    Retry.Decision d = retry.next(n, hint, Duration.between(clock.instant(), deadline));
    if (!d.again()) {
      fail(i, kind, detail + " (" + d.reason() + ")", cause);
      return;
    }
    later(d.delay(), () -> {
      if (!stopped(i)) {
        attempt(i, n + 1);
      }
    }, i);
  }

  /**
   * Runs {@code task} on the scheduler after {@code delay}, unless the purge is cancelled; a
   * refused wait fails the request.
   *
   * @param delay the wait
   * @param task what follows it
   * @param i the request waiting
   */
  protected final void later(Duration delay, Runnable task, int i) {
    AtomicReference<ScheduledFuture<?>> self = new AtomicReference<>();
    ScheduledFuture<?> f = Tasks.schedule(scheduler, delay, () -> {
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

  /**
   * Stops the purge: an answer says every other request would fail the same way (refused
   * credentials, an unknown zone). Request {@code i} fails with {@code message}; the rest are not
   * sent.
   *
   * @param i the request that got the answer
   * @param kind what kind of failure
   * @param message the explanation, naming what to fix
   * @return true if this call stopped the purge (false: it had stopped already)
   */
  protected final boolean stopAll(int i, ErrorKind kind, String message) {
    boolean first = stop.compareAndSet(null, new Failure(i, kind, scrub(message), null));
    fail(i, kind, message, null);
    return first;
  }

  /**
   * Request {@code i} purged.
   *
   * @param i the request
   * @param purgeIds the ids the CDN gave the purge, possibly none
   */
  protected final void succeed(int i, List<String> purgeIds) {
    if (record(i, List.copyOf(purgeIds), null)) {
      finished();
    }
  }

  /**
   * Request {@code i} failed for good.
   *
   * @param i the request
   * @param kind what kind of failure
   * @param detail what happened; secrets are scrubbed here
   * @param cause the exception, if any
   */
  protected final void fail(int i, ErrorKind kind, String detail, Throwable cause) {
    if (record(i, null, new Failure(i, kind, scrub(detail), cause))) {
      finished();
    }
  }

  /**
   * Describes an exception for a report: its simple class name and its scrubbed message.
   *
   * @param t the exception
   * @return the description
   */
  protected final String describe(Throwable t) {
    String m = t.getMessage();
    String name = t.getClass().getSimpleName();
    return m == null || m.isBlank() ? name : name + ": " + scrub(m);
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
    for (int i = 0; i < count; i++) {
      List<String> opIds = ids.get(i);
      if (opIds != null) {
        succeeded++;
        purgeIds.addAll(opIds);
      } else {
        failed.add(failures.get(i));
        notPurged.addAll(requests.get(i).covers());
      }
    }
    // A path purged on several hosts is stale if any of its requests failed, even when another
    // succeeded, so notPurged is exactly what the failed requests cover.
    int sentCount = sent.get();
    if (failed.isEmpty()) {
      result.complete(PurgeResult.succeeded(name, sentCount, List.copyOf(purgeIds)));
      return;
    }
    Failure main = mainFailure(failed);
    String where = main.op() >= 0 ? requests.get(main.op()).label() + ": " : "";
    if (succeeded == 0) {
      result.completeExceptionally(new PurgeException(name, main.kind(),
          failureMessage(main, where), main.cause()));
      return;
    }
    String detail = failed.size() + " of " + count + " requests failed; " + where + main.detail();
    result.complete(new PurgeResult(name, PurgeResult.Status.FAILED, sentCount,
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
}
