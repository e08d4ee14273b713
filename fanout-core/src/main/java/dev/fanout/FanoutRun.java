package dev.fanout;

import dev.fanout.internal.Futures;
import dev.fanout.internal.Limiter;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Tasks;
import dev.fanout.internal.Timeouts;
import dev.fanout.spi.Ack;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One fan-out stage of one invalidation: discover, deliver to every target under the concurrency
 * limit with per-target retries, re-check membership, then judge the gate.
 */
final class FanoutRun {
  private final Execution ex;
  private final Engine engine;
  private final Stage.Fanout stage;
  private final Limiter limiter;
  private final Retry retry;
  private final CompletableFuture<StageReport> done = new CompletableFuture<>();
  private final Instant start;

  /** Guarded by {@code this}. Insertion order is discovery order. */
  private final Map<String, Target> targets = new LinkedHashMap<>();

  private int pending;
  private boolean rechecked;
  private String note;

  FanoutRun(Execution ex, Stage.Fanout stage) {
    this.ex = ex;
    this.engine = ex.engine;
    this.stage = stage;
    this.limiter = new Limiter(Engine.concurrencyWithin(stage.concurrency()), engine::execute);
    this.retry = new Retry(stage.retry(), engine.random);
    this.start = engine.clock.instant();
  }

  /** Mutable state of one target, guarded by the run's lock. */
  private static final class Target {
    final Endpoint endpoint;
    final boolean late;
    int attempts;
    /** The attempt in flight, for {@link #cancelCalls()}. */
    CompletableFuture<Ack> call;
    Instant firstAttempt;
    Failure lastFailure;
    TargetResult result;

    Target(Endpoint endpoint, boolean late) {
      this.endpoint = endpoint;
      this.late = late;
    }
  }

  CompletableFuture<StageReport> run() {
    CompletableFuture<List<Endpoint>> found = discover(false);
    // A discovery that answered at once (a static list, a cached answer) leaves this thread, the
    // stage's own engine task, to start the attempts; one that answers later hands them to a task.
    boolean here = found.isDone();
    found.whenComplete((endpoints, error) -> {
      if (error != null) {
        Failure f = Failure.of(error);
        finish("discovery failed: " + f.message());
        return;
      }
      List<Target> fresh = admit(endpoints, false);
      int accepted;
      synchronized (this) {
        accepted = (int) targets.values().stream().filter(t -> t.result == null).count();
      }
      if (accepted == 0) {
        finish(null);
        return;
      }
      if (here) {
        startAll(fresh);
      } else {
        deliverAll(fresh);
      }
    });
    return done;
  }

  private CompletableFuture<List<Endpoint>> discover(boolean recheck) {
    Duration remaining = ex.remaining();
    if (remaining.isNegative() || remaining.isZero()) {
      return CompletableFuture.failedFuture(new DiscoveryException("the invalidation's deadline had passed"));
    }
    if (!engine.enter()) {
      return CompletableFuture.failedFuture(new CancellationException("the invalidator is closed"));
    }
    CompletableFuture<List<Endpoint>> call;
    try {
      // The re-check must see who is there now: a cached answer from milliseconds ago would
      // neither serve a replica that just joined nor excuse one that just left.
      call = ex.track((recheck ? stage.discovery().discoverFresh() : stage.discovery().discover())
          .toCompletableFuture());
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    } finally {
      engine.exit();
    }
    return Timeouts.within(call, remaining, engine.scheduler,
            () -> Engine.timedOut("discovery for stage " + stage.name(), remaining))
        .thenApply(list -> {
          List<Endpoint> endpoints = list == null ? List.of() : List.copyOf(list);
          engine.notify(l -> l.onDiscovery(ex.invalidation, stage.name(), endpoints, recheck));
          return endpoints;
        });
  }

  /**
   * Adds endpoints not seen before; returns those to deliver to. Endpoints in a state the stage does
   * not accept are recorded as skipped. At the re-check, an endpoint skipped for its state that is
   * now in an accepted one (a starting replica that became ready) is admitted like a newcomer: it
   * may hold the old content, so it must get the invalidation before the next stage runs.
   */
  private synchronized List<Target> admit(List<Endpoint> endpoints, boolean late) {
    List<Target> fresh = new ArrayList<>();
    for (Endpoint e : endpoints) {
      if (e == null) {
        continue;
      }
      String authority = e.authority();
      Target known = targets.get(authority);
      if (known != null && !(late && known.attempts == 0 && known.result != null
          && known.result.outcome() == TargetResult.Outcome.SKIPPED
          && stage.states().contains(e.state()))) {
        continue;
      }
      Target t = new Target(e, late);
      targets.put(authority, t);
      if (!stage.states().contains(e.state())) {
        t.result = new TargetResult(e, TargetResult.Outcome.SKIPPED, 0, Duration.ZERO, null, 0,
            "state " + e.state() + " not accepted", late, null);
        TargetResult r = t.result;
        engine.notify(l -> l.onTargetEnd(ex.invalidation, stage.name(), r));
      } else {
        fresh.add(t);
      }
    }
    pending += fresh.size();
    return fresh;
  }

  /**
   * Starts every target's first attempt. The attempts started in this pass share one timer (the
   * kernel's {@link Timeouts.Batch}); those that wait for a permit, retries, and attempts bounded by
   * the invalidation's deadline rather than the attempt timeout get timers of their own.
   */
  private void deliverAll(List<Target> fresh) {
    engine.execute(() -> startAll(fresh));
  }

  /** Starts every target's first attempt on this thread; see {@link #deliverAll}. */
  private void startAll(List<Target> fresh) {
    Timeouts.Batch batch = Timeouts.batch(stage.attemptTimeout(), engine.scheduler);
    try {
      for (Target t : fresh) {
        limiter.acquireHere(() -> attempt(t, batch));
      }
    } finally {
      batch.close();
    }
  }

  /** Runs with a limiter permit held; every path releases it exactly once. */
  private void attempt(Target t, Timeouts.Batch batch) {
    if (ex.isCancelled()) {
      limiter.release();
      settle(t, TargetResult.Outcome.FAILED, new Failure(ErrorKind.CANCELLED, 0, null, "cancelled"));
      return;
    }
    Duration remaining = ex.remaining();
    if (remaining.isNegative() || remaining.isZero()) {
      limiter.release();
      settle(t, TargetResult.Outcome.FAILED,
          new Failure(ErrorKind.DEADLINE, 0, null, "the invalidation's deadline passed"));
      return;
    }
    boolean deadlineBound = remaining.compareTo(stage.attemptTimeout()) < 0;
    Duration timeout = deadlineBound ? remaining : stage.attemptTimeout();
    int attempt;
    Instant attemptStart = engine.clock.instant();
    synchronized (this) {
      attempt = ++t.attempts;
      if (t.firstAttempt == null) {
        t.firstAttempt = attemptStart;
      }
    }
    engine.notify(l -> l.onAttemptStart(ex.invalidation, stage.name(), t.endpoint, attempt));
    // The last moment to refuse: a listener may have held this thread until after close().
    if (!engine.enter()) {
      limiter.release();
      engine.notify(l -> l.onAttemptEnd(ex.invalidation, stage.name(), t.endpoint, attempt,
          new CancellationException("not sent: the invalidator is closed"), Duration.ZERO));
      settle(t, TargetResult.Outcome.FAILED,
          new Failure(ErrorKind.CANCELLED, 0, null, "not sent: the invalidator is closed"));
      return;
    }
    CompletableFuture<Ack> call;
    try {
      call = stage.notifier().deliver(t.endpoint, ex.invalidation).toCompletableFuture();
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    } finally {
      engine.exit();
    }
    // Tracked by the target rather than the invalidation's set of calls: cancelCalls() finds it.
    synchronized (this) {
      t.call = call;
    }
    if (ex.isCancelled()) {
      call.cancel(true);
    }
    Supplier<Throwable> onTimeout = () -> Engine.timedOut("delivery to " + t.endpoint, timeout);
    (batch != null && !deadlineBound ? batch.add(call, onTimeout)
        : Timeouts.within(call, timeout, engine.scheduler, onTimeout))
        .whenComplete((ack, error) -> {
          limiter.release();
          Duration latency = ex.elapsedSince(attemptStart);
          engine.notify(l -> l.onAttemptEnd(ex.invalidation, stage.name(), t.endpoint, attempt,
              error == null ? null : Futures.unwrap(error), latency));
          if (error == null) {
            settle(t, TargetResult.Outcome.ACKED, null, ack);
            return;
          }
          Failure f = Failure.of(error);
          if (f.kind() == ErrorKind.TIMEOUT && deadlineBound) {
            f = new Failure(ErrorKind.DEADLINE, 0, null,
                "no answer before the invalidation's deadline (attempt " + attempt + ")");
          }
          if (ex.isCancelled()) {
            f = new Failure(ErrorKind.CANCELLED, 0, null, "cancelled");
          }
          afterFailure(t, attempt, f);
        });
  }

  private void afterFailure(Target t, int attempt, Failure f) {
    synchronized (this) {
      t.lastFailure = f;
    }
    Engine.LOG.debug("{} attempt {} to {} failed: {} {}", ex.invalidation.id(), attempt,
        t.endpoint.authority(), f.kind(), f.message());
    if (!f.kind().isRetryable()) {
      settle(t, TargetResult.Outcome.FAILED, f);
      return;
    }
    Retry.Decision next = retry.next(attempt, f.retryAfter(), ex.remaining());
    if (next.stop() == Retry.Stop.ATTEMPTS) {
      settle(t, TargetResult.Outcome.FAILED, f);
      return;
    }
    if (!next.again()) {
      settle(t, TargetResult.Outcome.FAILED, f.withMessage(f.message() + " (" + next.reason() + ")"));
      return;
    }
    Duration delay = next.delay();
    engine.notify(l -> l.onRetryScheduled(ex.invalidation, stage.name(), t.endpoint, attempt + 1, delay));
    if (Tasks.schedule(engine.scheduler, delay, () -> limiter.acquire(() -> attempt(t, null))) == null) {
      settle(t, TargetResult.Outcome.FAILED,
          f.withMessage(f.message() + " (retry not scheduled: the scheduler refused it)"));
    }
  }

  /** Cancels the attempts in flight (the invalidation was cancelled). */
  void cancelCalls() {
    List<CompletableFuture<Ack>> calls = new ArrayList<>();
    synchronized (this) {
      for (Target t : targets.values()) {
        if (t.call != null && !t.call.isDone()) {
          calls.add(t.call);
        }
      }
    }
    for (CompletableFuture<Ack> c : calls) {
      c.cancel(true);
    }
  }

  private void settle(Target t, TargetResult.Outcome outcome, Failure f) {
    settle(t, outcome, f, null);
  }

  private void settle(Target t, TargetResult.Outcome outcome, Failure f, Ack ack) {
    TargetResult r;
    boolean roundDone;
    synchronized (this) {
      if (t.result != null) {
        return;
      }
      Duration latency = t.firstAttempt == null ? Duration.ZERO : ex.elapsedSince(t.firstAttempt);
      r = new TargetResult(t.endpoint, outcome, t.attempts, latency,
          f == null ? null : f.kind(), f == null ? ack == null ? 0 : ack.status() : f.status(),
          f == null ? null : f.message(), t.late, ack == null ? null : ack.detail());
      t.result = r;
      roundDone = --pending == 0;
    }
    engine.notify(l -> l.onTargetEnd(ex.invalidation, stage.name(), r));
    if (roundDone) {
      roundDone();
    }
  }

  private void roundDone() {
    boolean recheck;
    synchronized (this) {
      recheck = stage.recheck() && !rechecked && !ex.isCancelled();
      rechecked = true;
    }
    if (!recheck) {
      finish(null);
      return;
    }
    discover(true).whenComplete((endpoints, error) -> {
      if (error != null) {
        note = "membership re-check failed: " + Failure.of(error).message();
        finish(null);
        return;
      }
      excuseDeparted(endpoints);
      List<Target> fresh = admit(endpoints, true);
      if (fresh.isEmpty()) {
        finish(null);
      } else {
        Engine.LOG.debug("{} stage {}: {} targets joined during the fan-out", ex.invalidation.id(),
            stage.name(), fresh.size());
        deliverAll(fresh);
      }
    });
  }

  /**
   * A failed target that left the tier took its cache with it. Left means: the re-check no longer
   * lists it (or lists it as terminating) and its own last failure says nothing listens at its
   * address any more (connection refused, host or port unreachable). A replica that answered
   * anything, even a reset, a malformed response, a 401 or a timeout, is alive, whatever discovery
   * says (DNS hides a pod that merely failed its readiness probe). And a re-check that found fewer
   * than {@code minTargets} replicas is not believed at all: an empty or short answer (an
   * intermittent NXDOMAIN, an API hiccup) must not turn every failure into an excuse.
   */
  private void excuseDeparted(List<Endpoint> now) {
    Set<String> present = new HashSet<>();
    for (Endpoint e : now) {
      if (e != null && e.state() != Endpoint.State.TERMINATING) {
        present.add(e.authority());
      }
    }
    if (present.size() < Math.max(1, stage.minTargets())) {
      note = "membership re-check found " + present.size() + " replica" + (present.size() == 1 ? "" : "s")
          + "; failures not excused";
      return;
    }
    synchronized (this) {
      for (Target t : targets.values()) {
        TargetResult r = t.result;
        if (r != null && r.outcome() == TargetResult.Outcome.FAILED
            && t.lastFailure != null && t.lastFailure.unreachable()
            && !present.contains(t.endpoint.authority())) {
          t.result = new TargetResult(r.endpoint(), TargetResult.Outcome.EXCUSED, r.attempts(),
              r.latency(), r.errorKind(), r.status(), r.error(), r.lateJoiner(), null);
        }
      }
    }
  }

  private void finish(String failure) {
    List<TargetResult> results = new ArrayList<>();
    synchronized (this) {
      for (Target t : targets.values()) {
        results.add(t.result);
      }
    }
    done.complete(report(results, failure, note));
  }

  /**
   * The stage as it stands when the invalidation's watchdog gives up on it: targets without an
   * outcome fail with {@link ErrorKind#DEADLINE}.
   */
  StageReport snapshot(String why) {
    List<TargetResult> results = new ArrayList<>();
    synchronized (this) {
      for (Target t : targets.values()) {
        results.add(t.result != null ? t.result
            : new TargetResult(t.endpoint, TargetResult.Outcome.FAILED, t.attempts,
                t.firstAttempt == null ? Duration.ZERO : ex.elapsedSince(t.firstAttempt),
                ErrorKind.DEADLINE, 0, why, t.late, null));
      }
    }
    return report(results, results.isEmpty() ? why : null, note);
  }

  private StageReport report(List<TargetResult> results, String failure, String extraNote) {
    int acked = 0;
    int failed = 0;
    int admitted = 0;
    for (TargetResult r : results) {
      switch (r.outcome()) {
        case ACKED:
          acked++;
          admitted++;
          break;
        case FAILED:
          failed++;
          admitted++;
          break;
        case EXCUSED:
          admitted++;
          break;
        default:
          break;
      }
    }
    int expected = acked + failed;
    String detail = failure;
    // Excused replicas left the tier: they do not count towards minTargets.
    boolean enough = failure == null && expected >= stage.minTargets();
    if (failure == null && !enough) {
      detail = OutcomeSummary.tooFew(expected, admitted - expected, stage.minTargets());
    }
    boolean all = enough && failed == 0;
    boolean gateMet = stage.gate().isProceed() || (enough && stage.gate().isMet(acked, expected));
    if (detail == null && !all) {
      detail = gateMet ? null : "gate " + stage.gate() + " not met";
    }
    if (extraNote != null) {
      detail = detail == null ? extraNote : detail + "; " + extraNote;
    }
    StageReport.Status status = all ? StageReport.Status.SUCCEEDED
        : gateMet ? StageReport.Status.PARTIAL : StageReport.Status.FAILED;
    return new StageReport(stage.name(), StageReport.Kind.FANOUT, status, gateMet, results,
        List.of(), detail, ex.elapsedSince(start));
  }
}
