// Over 500 lines for one job: one purge of one plan as explicit states (wait for room, send, wait on the limit, poll, done) over one lock; the states are only correct read together.
package dev.fanout.cloudfront;

import dev.fanout.ErrorKind;
import dev.fanout.PurgeException;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Tasks;
import dev.fanout.spi.PurgeResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.cloudfront.model.CreateInvalidationRequest;
import software.amazon.awssdk.services.cloudfront.model.CreateInvalidationResponse;

/**
 * One purge of one plan: takes in-flight room for each batch in order, sends it, waits and resends
 * on CloudFront's limit, optionally polls until completion, and builds the result. Every callback
 * may run on any thread (SDK completion threads, the scheduler); state is guarded by {@code this}
 * and calls out (SDK, budget, futures) happen outside the lock.
 */
final class PurgeRun {

  private static final Logger LOG = LoggerFactory.getLogger(CloudFrontPurger.class);

  private enum Phase {
    /** Waiting for in-flight room. */
    WAITING,
    /** CreateInvalidation in flight. */
    SENDING,
    /** Waiting to resend after TooManyInvalidationsInProgress. */
    BACKOFF,
    /** Accepted by CloudFront. */
    SENT,
    /** Failed; its items are not purged. */
    FAILED,
    /** Not sent because the purge stopped or was cancelled. */
    SKIPPED
  }

  private static final class BatchState {
    final CloudFrontPlan.Batch batch;
    String reference;
    boolean longReference;
    Phase phase = Phase.WAITING;
    CompletableFuture<InFlightBudget.Reservation> waiter;
    InFlightBudget.Reservation reservation;
    Instant waitDeadline;
    int limitRetries;
    ScheduledFuture<?> timer;
    String invalidationId;
    String status;

    BatchState(CloudFrontPlan.Batch batch) {
      this.batch = batch;
      this.reference = batch.callerReference();
    }

    boolean settled() {
      return phase == Phase.SENT || phase == Phase.FAILED || phase == Phase.SKIPPED;
    }
  }

  private final CloudFrontPurger purger;
  private final CloudFrontPlan plan;
  private final String dist;
  private final List<BatchState> states = new ArrayList<>();
  private final CompletableFuture<PurgeResult> result = new CompletableFuture<>();

  // Guarded by this.
  private int requests;
  private boolean stopped;
  private boolean finished;
  private boolean waiting;
  private CloudFrontErrors.Failure failure;
  private CloudFrontErrors.Failure waitFailure;
  private boolean waitTimedOut;
  private Instant completionDeadline;
  private ScheduledFuture<?> pollTimer;

  PurgeRun(CloudFrontPurger purger, CloudFrontPlan plan) {
    this.purger = purger;
    this.plan = plan;
    this.dist = "CloudFront distribution '" + plan.distributionId() + "'";
    for (CloudFrontPlan.Batch b : plan.batches()) {
      states.add(new BatchState(b));
    }
  }

  CompletableFuture<PurgeResult> start() {
    // Cancelled, timed out or completed by anyone but finish(): stop as for a cancellation.
    result.whenComplete(
        (r, e) -> {
          boolean external;
          synchronized (this) {
            external = !finished;
          }
          if (external) {
            onCancelled();
          }
        });
    LOG.debug(
        "{}: purging {} in {} batches, {} billable paths",
        purger.name(),
        plan.invalidationId(),
        plan.calls(),
        plan.billablePaths());
    for (BatchState s : states) {
      enqueue(s);
    }
    return result;
  }

  // ---- waiting for in-flight room

  private void enqueue(BatchState s) {
    boolean skip;
    synchronized (this) {
      skip = stopped || result.isDone();
      if (skip) {
        s.phase = Phase.SKIPPED;
      }
    }
    if (skip) {
      maybeFinish();
      return;
    }
    Instant deadline = purger.clock().instant().plus(purger.deadline());
    CompletableFuture<InFlightBudget.Reservation> w =
        purger.budget().acquire(s.batch.nonWildcards(), s.batch.wildcards());
    synchronized (this) {
      s.waitDeadline = deadline;
      s.waiter = w;
    }
    if (!w.isDone()) {
      LOG.debug(
          "{}: batch {} of {} waits for in-flight room ({} paths, {} wildcards in flight)",
          purger.name(),
          s.batch.index() + 1,
          plan.calls(),
          purger.inFlightPaths(),
          purger.inFlightWildcards());
      ScheduledFuture<?> t = schedule(() -> onWaitExpired(s), purger.deadline());
      synchronized (this) {
        s.timer = t;
      }
      if (w.isDone() && t != null) {
        t.cancel(false);
      }
      purger.refreshWhileWaiting();
    }
    w.thenAccept(r -> onGranted(s, r));
  }

  private void onGranted(BatchState s, InFlightBudget.Reservation r) {
    boolean go;
    synchronized (this) {
      cancelTimer(s);
      go = s.phase == Phase.WAITING && !stopped && !result.isDone();
      if (go) {
        s.reservation = r;
        s.phase = Phase.SENDING;
      } else if (s.phase == Phase.WAITING) {
        s.phase = Phase.SKIPPED;
      }
    }
    if (!go) {
      purger.budget().release(r);
      maybeFinish();
      return;
    }
    send(s);
  }

  private void onWaitExpired(BatchState s) {
    synchronized (this) {
      if (s.phase != Phase.WAITING || s.waiter == null) {
        return;
      }
    }
    if (!s.waiter.cancel(false)) {
      return; // granted meanwhile
    }
    fail(
        s,
        new CloudFrontErrors.Failure(
            CloudFrontErrors.Action.FAIL,
            ErrorKind.THROTTLED,
            "",
            dist
                + ": batch "
                + (s.batch.index() + 1)
                + " waited "
                + purger.deadline()
                + " for room within the in-flight limits and was not sent",
            null));
  }

  // ---- sending

  private void send(BatchState s) {
    String reference;
    synchronized (this) {
      requests++;
      s.phase = Phase.SENDING;
      reference = s.reference;
    }
    LOG.debug(
        "{}: CreateInvalidation batch {} of {}: {} items ({} wildcards), CallerReference {}",
        purger.name(),
        s.batch.index() + 1,
        plan.calls(),
        s.batch.items().size(),
        s.batch.wildcards(),
        reference);
    CreateInvalidationRequest request =
        CreateInvalidationRequest.builder()
            .overrideConfiguration(purger.requestOverride())
            .distributionId(plan.distributionId())
            .invalidationBatch(
                b ->
                    b.callerReference(reference)
                        .paths(p -> p.quantity(s.batch.items().size()).items(s.batch.items())))
            .build();
    CompletableFuture<CreateInvalidationResponse> call;
    try {
      call = purger.client().createInvalidation(request);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    // The call is never cancelled with the purge: once sent, its answer is needed to count the
    // invalidation it may have created against the in-flight limits.
    call.whenComplete(
        (response, error) -> {
          if (error == null) {
            onCreated(s, response);
          } else {
            onSendFailed(s, error);
          }
        });
  }

  private void onCreated(BatchState s, CreateInvalidationResponse response) {
    String id = response.invalidation() == null ? null : response.invalidation().id();
    if (id == null) {
      fail(
          s,
          new CloudFrontErrors.Failure(
              CloudFrontErrors.Action.FAIL,
              ErrorKind.BAD_ACK,
              "",
              dist + ": CreateInvalidation answered without an invalidation id",
              null));
      return;
    }
    String status = response.invalidation().status();
    InFlightBudget.Reservation r;
    synchronized (this) {
      s.invalidationId = id;
      s.status = status;
      s.phase = Phase.SENT;
      r = s.reservation;
    }
    purger.budget().bind(r, id);
    if (CloudFrontPurger.isCompleted(status)) {
      purger.budget().completed(id);
      purger.budget().release(r);
    }
    LOG.debug(
        "{}: batch {} of {} accepted as invalidation {} ({})",
        purger.name(),
        s.batch.index() + 1,
        plan.calls(),
        id,
        status);
    maybeFinish();
  }

  private void onSendFailed(BatchState s, Throwable error) {
    CloudFrontErrors.Failure f =
        CloudFrontErrors.classify(error, plan.distributionId(), "CreateInvalidation");
    if (skipIfStopped(s)) {
      return;
    }
    switch (f.action()) {
      case WAIT_FOR_LIMIT -> backoff(s, f);
      case REFERENCE_TAKEN -> {
        boolean retry;
        synchronized (this) {
          retry = !s.longReference;
          if (retry) {
            s.longReference = true;
            s.reference =
                Planner.callerReference(
                    plan.invalidationId(), s.batch.index(), s.batch.items(), true);
          }
        }
        if (retry) {
          LOG.debug(
              "{}: CallerReference of batch {} is taken by another batch; resending under {}",
              purger.name(),
              s.batch.index() + 1,
              s.reference);
          send(s);
        } else {
          fail(s, f);
        }
      }
      default -> fail(s, f);
    }
  }

  private void backoff(BatchState s, CloudFrontErrors.Failure f) {
    Instant now = purger.clock().instant();
    Retry.Decision next;
    synchronized (this) {
      next = purger.limitRetry().next(++s.limitRetries, null, Duration.between(now, s.waitDeadline));
      if (next.again()) {
        s.phase = Phase.BACKOFF;
      }
    }
    Duration delay = next.delay();
    if (!next.again()) {
      fail(
          s,
          new CloudFrontErrors.Failure(
              f.action(),
              f.kind(),
              f.code(),
              f.message() + "; still at the limit after waiting " + purger.deadline(),
              f.cause()));
      return;
    }
    LOG.debug(
        "{}: batch {} hit TooManyInvalidationsInProgress; resending in {}",
        purger.name(),
        s.batch.index() + 1,
        delay);
    ScheduledFuture<?> t = schedule(() -> resend(s), delay);
    synchronized (this) {
      s.timer = t;
    }
  }

  private void resend(BatchState s) {
    synchronized (this) {
      if (s.phase != Phase.BACKOFF) {
        return;
      }
    }
    if (skipIfStopped(s)) {
      return;
    }
    send(s);
  }

  /** Gives back the batch's room and marks it skipped when the purge has stopped or ended. */
  private boolean skipIfStopped(BatchState s) {
    InFlightBudget.Reservation r;
    synchronized (this) {
      if (!stopped && !result.isDone()) {
        return false;
      }
      s.phase = Phase.SKIPPED;
      r = s.reservation;
    }
    if (r != null) {
      purger.budget().release(r);
    }
    maybeFinish();
    return true;
  }

  /** Fails one batch and stops the purge: batches not yet sent are skipped. */
  private void fail(BatchState s, CloudFrontErrors.Failure f) {
    List<InFlightBudget.Reservation> release = new ArrayList<>();
    List<CompletableFuture<InFlightBudget.Reservation>> leave = new ArrayList<>();
    synchronized (this) {
      s.phase = Phase.FAILED;
      cancelTimer(s);
      if (s.reservation != null) {
        release.add(s.reservation);
      }
      if (failure == null) {
        failure = f;
      }
      stopped = true;
      for (BatchState other : states) {
        if (other.phase == Phase.WAITING) {
          other.phase = Phase.SKIPPED;
          cancelTimer(other);
          if (other.waiter != null) {
            leave.add(other.waiter);
          }
        } else if (other.phase == Phase.BACKOFF) {
          other.phase = Phase.SKIPPED;
          cancelTimer(other);
          release.add(other.reservation);
        }
      }
    }
    LOG.debug("{}: batch {} failed: {}", purger.name(), s.batch.index() + 1, f.message());
    // A waiter granted meanwhile is released by onGranted, which sees the skipped phase.
    leave.forEach(w -> w.cancel(false));
    release.forEach(purger.budget()::release);
    maybeFinish();
  }

  // ---- completion

  private void maybeFinish() {
    boolean startWait = false;
    synchronized (this) {
      if (finished || waiting) {
        return;
      }
      for (BatchState s : states) {
        if (!s.settled()) {
          return;
        }
      }
      if (!stopped && !purger.waitForCompletion().isZero() && !pending().isEmpty()) {
        waiting = true;
        completionDeadline = purger.clock().instant().plus(purger.waitForCompletion());
        startWait = true;
      }
    }
    if (startWait) {
      schedulePoll(min(purger.pollInterval(), purger.waitForCompletion()));
    } else {
      finish();
    }
  }

  /** Batches accepted but not known to be Completed; caller holds the lock. */
  private List<BatchState> pending() {
    List<BatchState> out = new ArrayList<>();
    for (BatchState s : states) {
      if (s.phase == Phase.SENT && !CloudFrontPurger.isCompleted(s.status)) {
        out.add(s);
      }
    }
    return out;
  }

  private void schedulePoll(Duration delay) {
    ScheduledFuture<?> t = schedule(this::poll, delay);
    synchronized (this) {
      pollTimer = t;
    }
  }

  private void poll() {
    List<BatchState> batches;
    synchronized (this) {
      if (finished || result.isDone()) {
        return;
      }
      batches = pending();
      requests += batches.size();
    }
    if (batches.isEmpty()) {
      finish();
      return;
    }
    AtomicInteger outstanding = new AtomicInteger(batches.size());
    for (BatchState s : batches) {
      CompletableFuture<String> status;
      try {
        status = purger.getStatus(s.invalidationId);
      } catch (RuntimeException e) {
        status = CompletableFuture.failedFuture(e);
      }
      status.whenComplete(
          (st, error) -> {
            if (error != null) {
              CloudFrontErrors.Failure f =
                  CloudFrontErrors.classify(error, plan.distributionId(), "GetInvalidation");
              LOG.debug(
                  "{}: status of {} unknown: {}", purger.name(), s.invalidationId, f.message());
              if (!f.kind().isRetryable()) {
                synchronized (this) {
                  if (waitFailure == null) {
                    waitFailure = f;
                  }
                }
              }
            } else {
              synchronized (this) {
                s.status = st;
              }
              if (CloudFrontPurger.isCompleted(st)) {
                purger.budget().completed(s.invalidationId);
              }
            }
            if (outstanding.decrementAndGet() == 0) {
              afterPoll();
            }
          });
    }
  }

  private void afterPoll() {
    Duration next;
    synchronized (this) {
      if (finished || result.isDone()) {
        return;
      }
      Duration remaining = Duration.between(purger.clock().instant(), completionDeadline);
      if (pending().isEmpty() || waitFailure != null) {
        next = null;
      } else if (remaining.isNegative() || remaining.isZero()) {
        waitTimedOut = true;
        next = null;
      } else {
        next = min(purger.pollInterval(), remaining);
      }
    }
    if (next == null) {
      finish();
    } else {
      schedulePoll(next);
    }
  }

  private void finish() {
    PurgeResult done;
    PurgeException error = null;
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
      List<String> ids = new ArrayList<>(new LinkedHashSet<>(sentIds()));
      List<String> notPurged = new ArrayList<>();
      for (BatchState s : states) {
        if (s.phase == Phase.FAILED || s.phase == Phase.SKIPPED) {
          notPurged.addAll(s.batch.items());
        }
      }
      boolean unconfirmed = waiting && (waitTimedOut || waitFailure != null);
      if (unconfirmed) {
        for (BatchState s : pending()) {
          notPurged.addAll(s.batch.items());
        }
      }
      if (notPurged.isEmpty()) {
        done =
            new PurgeResult(
                purger.name(),
                PurgeResult.Status.SUCCEEDED,
                requests,
                ids,
                List.of(),
                null,
                summary(ids),
                Duration.ZERO);
      } else if (ids.isEmpty()) {
        done = null;
        CloudFrontErrors.Failure f = failure;
        error =
            f != null
                ? new PurgeException(purger.name(), f.kind(), f.message(), f.cause())
                : new PurgeException(
                    purger.name(), ErrorKind.INTERNAL, dist + ": nothing was sent", null);
      } else {
        ErrorKind kind;
        String why;
        if (failure != null) {
          kind = failure.kind();
          why = failure.message();
        } else if (waitFailure != null) {
          kind = waitFailure.kind();
          why = "could not confirm completion: " + waitFailure.message();
        } else {
          kind = ErrorKind.TIMEOUT;
          why = "not Completed within " + purger.waitForCompletion();
        }
        done =
            new PurgeResult(
                purger.name(),
                PurgeResult.Status.FAILED,
                requests,
                ids,
                notPurged,
                kind,
                summary(ids)
                    + "; "
                    + notPurged.size()
                    + " items not purged or not confirmed: "
                    + why,
                Duration.ZERO);
      }
    }
    if (error != null) {
      result.completeExceptionally(error);
    } else {
      LOG.debug("{}: {} done: {}", purger.name(), plan.invalidationId(), done.detail());
      result.complete(done);
    }
  }

  /** E.g. {@code 3 invalidations, 7500 paths, 3 Completed: I1, I2, I3}; caller holds the lock. */
  private String summary(List<String> ids) {
    Map<String, Integer> byStatus = new TreeMap<>();
    int items = 0;
    for (BatchState s : states) {
      if (s.phase == Phase.SENT) {
        byStatus.merge(s.status == null ? "unknown" : s.status, 1, Integer::sum);
        items += s.batch.items().size();
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(ids.size()).append(ids.size() == 1 ? " invalidation, " : " invalidations, ");
    sb.append(items).append(items == 1 ? " path" : " paths");
    if (!byStatus.isEmpty()) {
      sb.append(", ");
      List<String> parts = new ArrayList<>();
      byStatus.forEach((status, n) -> parts.add(n + " " + status));
      sb.append(String.join(", ", parts));
    }
    if (!ids.isEmpty()) {
      sb.append(": ").append(String.join(", ", ids.subList(0, Math.min(5, ids.size()))));
      if (ids.size() > 5) {
        sb.append(", +").append(ids.size() - 5).append(" more");
      }
    }
    if (!plan.collapsed().isEmpty()) {
      int stood = plan.collapsed().values().stream().mapToInt(Integer::intValue).sum();
      sb.append("; ")
          .append(stood)
          .append(" requested paths sent as ")
          .append(plan.collapsed().size())
          .append(" wildcards");
    }
    if (!plan.ignoredTags().isEmpty()) {
      sb.append("; ")
          .append(plan.ignoredTags().size())
          .append(" tags ignored (tag invalidation is off)");
    }
    return sb.toString();
  }

  private List<String> sentIds() {
    List<String> ids = new ArrayList<>();
    for (BatchState s : states) {
      if (s.phase == Phase.SENT) {
        ids.add(s.invalidationId);
      }
    }
    return ids;
  }

  private void onCancelled() {
    List<InFlightBudget.Reservation> release = new ArrayList<>();
    List<CompletableFuture<InFlightBudget.Reservation>> leave = new ArrayList<>();
    synchronized (this) {
      stopped = true;
      finished = true;
      if (pollTimer != null) {
        pollTimer.cancel(false);
      }
      for (BatchState s : states) {
        if (s.phase == Phase.WAITING) {
          s.phase = Phase.SKIPPED;
          cancelTimer(s);
          if (s.waiter != null) {
            leave.add(s.waiter);
          }
        } else if (s.phase == Phase.BACKOFF) {
          s.phase = Phase.SKIPPED;
          cancelTimer(s);
          release.add(s.reservation);
        }
      }
    }
    LOG.debug("{}: purge of {} cancelled", purger.name(), plan.invalidationId());
    leave.forEach(w -> w.cancel(false));
    release.forEach(purger.budget()::release);
  }

  // ---- helpers

  private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    Runnable guarded =
        () -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            // A timer task must not die silently and leave the purge hanging.
            LOG.debug("{}: timer task failed", purger.name(), e);
            failAll(e);
          }
        };
    ScheduledFuture<?> timer = Tasks.schedule(purger.scheduler(), delay, guarded);
    if (timer == null) {
      failAll(new RejectedExecutionException("the scheduler refused a timer"));
    }
    return timer;
  }

  private void failAll(RuntimeException e) {
    CloudFrontErrors.Failure f =
        new CloudFrontErrors.Failure(
            CloudFrontErrors.Action.FAIL,
            ErrorKind.INTERNAL,
            "",
            dist + ": the purger's scheduler failed: " + e,
            e);
    BatchState first = null;
    boolean endWait = false;
    synchronized (this) {
      for (BatchState s : states) {
        if (!s.settled() && s.phase != Phase.SENDING) {
          first = s;
          break;
        }
      }
      if (first == null && waiting) {
        if (waitFailure == null) {
          waitFailure = f;
        }
        endWait = true;
      }
    }
    if (first != null) {
      fail(first, f);
    } else if (endWait) {
      finish();
    }
  }

  private static void cancelTimer(BatchState s) {
    if (s.timer != null) {
      s.timer.cancel(false);
      s.timer = null;
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
