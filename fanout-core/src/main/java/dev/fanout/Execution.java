package dev.fanout;

import dev.fanout.internal.Tasks;
import dev.fanout.internal.Timeouts;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** One run of one invalidation through every stage, in order. */
final class Execution {
  final Engine engine;
  final Invalidation invalidation;
  private final int submissions;
  final Instant startedAt;
  final Instant deadlineAt;
  private final CompletableFuture<InvalidationReport> result = new CompletableFuture<>();
  private final List<StageReport> reports = new ArrayList<>();
  private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
  private volatile boolean cancelled;
  private String heldBy;

  Execution(Engine engine, Invalidation invalidation, int submissions) {
    this.engine = engine;
    this.invalidation = invalidation;
    this.submissions = submissions;
    this.startedAt = engine.clock.instant();
    this.deadlineAt = startedAt.plus(engine.deadline);
  }

  /** How long after the deadline the watchdog reports whatever is still unsettled. */
  private static final Duration WATCHDOG_GRACE = Duration.ofSeconds(1);

  private volatile FanoutRun currentRun;
  private volatile Stage currentStage;
  private volatile java.util.concurrent.ScheduledFuture<?> watchdog;
  /** Set by whichever of the normal end and the watchdog reports first. */
  private final java.util.concurrent.atomic.AtomicBoolean finalised =
      new java.util.concurrent.atomic.AtomicBoolean();

  CompletableFuture<InvalidationReport> result() {
    return result;
  }

  CompletableFuture<InvalidationReport> start() {
    if (engine.isStopped()) {
      // A coalesced flush that close() would otherwise let start after it gave up.
      result.completeExceptionally(new InvalidatorClosedException(
          "invalidator closed; invalidation " + invalidation.id() + " was not started"));
      return result;
    }
    // Every attempt, discovery and purge is bounded by the deadline already; the watchdog is the
    // backstop that guarantees a report even if a callback was lost (an executor or a plug-in that
    // dropped a task).
    watchdog = Tasks.schedule(engine.scheduler, engine.deadline.plus(WATCHDOG_GRACE), this::expire);
    if (watchdog == null) {
      Engine.LOG.warn("scheduler refused the watchdog of invalidation {}; no backstop", invalidation.id());
    }
    result.whenComplete(
        (r, e) -> {
          // Cancelled by the caller, or failed by close(): stop the calls in flight.
          if (e != null) {
            cancel();
          }
          java.util.concurrent.ScheduledFuture<?> w = watchdog;
          if (w != null) {
            w.cancel(false);
          }
        });
    engine.notify(l -> l.onInvalidationStart(invalidation));
    Engine.LOG.debug("invalidation {} starts: {}", invalidation.id(), invalidation);
    engine.execute(() -> runStage(0));
    return result;
  }

  /** The watchdog: reports what is known, marks the rest as past the deadline, stops the calls. */
  private void expire() {
    if (result.isDone() || finalised.get()) {
      return;
    }
    String why = "no outcome by the invalidation's deadline";
    List<StageReport> all;
    synchronized (this) {
      all = new ArrayList<>(reports);
    }
    boolean reachedCurrent = false;
    for (Stage stage : engine.stages) {
      if (all.stream().anyMatch(r -> r.name().equals(stage.name()))) {
        continue;
      }
      if (!reachedCurrent && stage == currentStage) {
        reachedCurrent = true;
        FanoutRun run = currentRun;
        if (run != null) {
          all.add(run.snapshot(why));
        } else {
          List<PurgeResult> purges = new ArrayList<>();
          if (stage instanceof Stage.Purge) {
            for (Purger p : ((Stage.Purge) stage).purgers()) {
              purges.add(PurgeResult.failed(safeName(p), ErrorKind.DEADLINE, why, everything()));
            }
          }
          all.add(new StageReport(stage.name(), kindOf(stage), StageReport.Status.FAILED, false,
              List.of(), purges, why, elapsedSince(startedAt)));
        }
      } else {
        all.add(skipped(stage, "the invalidation's deadline passed"));
      }
    }
    InvalidationReport report =
        new InvalidationReport(invalidation, startedAt, elapsedSince(startedAt), all, submissions);
    if (finalised.compareAndSet(false, true)) {
      Engine.LOG.warn("{}", report.summary());
      engine.notify(l -> l.onInvalidationEnd(report));
      result.complete(report);
    }
  }

  boolean isCancelled() {
    return cancelled;
  }

  Duration remaining() {
    return Duration.between(engine.clock.instant(), deadlineAt);
  }

  Duration elapsedSince(Instant start) {
    Duration d = Duration.between(start, engine.clock.instant());
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** Registers a call so that cancelling the invalidation cancels it; returns the call. */
  <T> CompletableFuture<T> track(CompletableFuture<T> call) {
    inFlight.add(call);
    call.whenComplete((v, e) -> inFlight.remove(call));
    if (cancelled) {
      call.cancel(true);
    }
    return call;
  }

  private void cancel() {
    cancelled = true;
    for (CompletableFuture<?> f : inFlight) {
      f.cancel(true);
    }
    FanoutRun run = currentRun;
    if (run != null) {
      run.cancelCalls();
    }
    Engine.LOG.debug("invalidation {} cancelled", invalidation.id());
  }

  private void runStage(int index) {
    if (cancelled || result.isDone()) {
      return;
    }
    if (index == engine.stages.size()) {
      finish();
      return;
    }
    Stage stage = engine.stages.get(index);
    if (heldBy != null) {
      StageReport skipped = skipped(stage, "gate '" + heldBy + "' not met");
      synchronized (this) {
        reports.add(skipped);
      }
      engine.notify(l -> l.onStageEnd(invalidation, skipped));
      runStage(index + 1);
      return;
    }
    engine.notify(l -> l.onStageStart(invalidation, stage.name()));
    Instant stageStart = engine.clock.instant();
    CompletableFuture<StageReport> done;
    currentStage = stage;
    currentRun = null;
    try {
      if (stage instanceof Stage.Fanout) {
        FanoutRun run = new FanoutRun(this, (Stage.Fanout) stage);
        currentRun = run;
        done = run.run();
      } else {
        done = runPurges((Stage.Purge) stage);
      }
    } catch (RuntimeException e) {
      done = CompletableFuture.failedFuture(e);
    }
    done.whenComplete(
        (report, error) -> {
          StageReport r = report;
          if (error != null) {
            // Only a bug in the engine itself gets here; the report must still be produced.
            Engine.LOG.warn("stage {} failed unexpectedly", stage.name(), error);
            r = new StageReport(stage.name(), kindOf(stage), StageReport.Status.FAILED, false,
                List.of(), List.of(), "internal error: " + Failure.of(error).message(),
                elapsedSince(stageStart));
          }
          StageReport finalReport = r;
          synchronized (this) {
            reports.add(finalReport);
          }
          if (!finalReport.gateMet() && !stage.gate().isProceed()) {
            heldBy = stage.name();
          }
          engine.notify(l -> l.onStageEnd(invalidation, finalReport));
          if (cancelled || result.isDone()) {
            return;
          }
          engine.execute(() -> runStage(index + 1));
        });
  }

  private static StageReport.Kind kindOf(Stage stage) {
    return stage instanceof Stage.Fanout ? StageReport.Kind.FANOUT : StageReport.Kind.PURGE;
  }

  private StageReport skipped(Stage stage, String why) {
    List<PurgeResult> purges = new ArrayList<>();
    if (stage instanceof Stage.Purge) {
      for (Purger p : ((Stage.Purge) stage).purgers()) {
        purges.add(new PurgeResult(safeName(p), PurgeResult.Status.SKIPPED, 0, List.of(),
            everything(), null, why, Duration.ZERO));
      }
    }
    return new StageReport(stage.name(), kindOf(stage), StageReport.Status.SKIPPED, false,
        List.of(), purges, why, Duration.ZERO);
  }

  List<String> everything() {
    List<String> all = new ArrayList<>(invalidation.paths());
    all.addAll(invalidation.tags());
    return all;
  }

  static String safeName(Purger p) {
    try {
      String n = p.name();
      return n == null || n.isBlank() ? p.getClass().getSimpleName() : n;
    } catch (RuntimeException e) {
      return p.getClass().getSimpleName();
    }
  }

  private CompletableFuture<StageReport> runPurges(Stage.Purge stage) {
    Instant stageStart = engine.clock.instant();
    List<CompletableFuture<PurgeResult>> calls = new ArrayList<>();
    for (Purger purger : stage.purgers()) {
      calls.add(purge(stage.name(), purger));
    }
    return CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            ignored -> {
              List<PurgeResult> results = new ArrayList<>();
              int ok = 0;
              for (CompletableFuture<PurgeResult> c : calls) {
                PurgeResult r = c.join();
                results.add(r);
                if (r.isSuccess()) {
                  ok++;
                }
              }
              boolean all = ok == results.size();
              boolean gateMet = stage.gate().isMet(ok, results.size());
              StageReport.Status status = all ? StageReport.Status.SUCCEEDED
                  : gateMet ? StageReport.Status.PARTIAL : StageReport.Status.FAILED;
              String detail = all ? null : (results.size() - ok) + " of " + results.size()
                  + " purgers failed" + (gateMet ? "" : "; gate " + stage.gate() + " not met");
              return new StageReport(stage.name(), StageReport.Kind.PURGE, status, gateMet,
                  List.of(), results, detail, elapsedSince(stageStart));
            });
  }

  private CompletableFuture<PurgeResult> purge(String stageName, Purger purger) {
    String name = safeName(purger);
    engine.notify(l -> l.onPurgeStart(invalidation, stageName, name));
    Instant start = engine.clock.instant();
    Duration remaining = remaining();
    CompletableFuture<PurgeResult> outcome;
    if (remaining.isNegative() || remaining.isZero()) {
      outcome = CompletableFuture.completedFuture(PurgeResult.failed(name, ErrorKind.DEADLINE,
          "not started: the invalidation's deadline had passed", everything()));
    } else if (!engine.enter()) {
      outcome = CompletableFuture.completedFuture(PurgeResult.failed(name, ErrorKind.CANCELLED,
          "not started: the invalidator is closed", everything()));
    } else {
      CompletableFuture<PurgeResult> call;
      try {
        call = track(purger.purge(invalidation).toCompletableFuture());
      } catch (RuntimeException e) {
        call = CompletableFuture.failedFuture(e);
      } finally {
        engine.exit();
      }
      outcome = Timeouts.within(call, remaining, engine.scheduler,
              () -> Engine.timedOut("purge by " + name, remaining))
          .handle((r, error) -> {
            if (error == null && r != null) {
              return r;
            }
            Failure f = error == null
                ? new Failure(ErrorKind.INTERNAL, 0, null, "purger returned null")
                : Failure.of(error);
            ErrorKind kind = f.kind() == ErrorKind.TIMEOUT ? ErrorKind.DEADLINE : f.kind();
            if (cancelled) {
              kind = ErrorKind.CANCELLED;
            }
            return PurgeResult.failed(name, kind, f.message(), everything());
          });
    }
    return outcome.thenApply(r -> {
      PurgeResult timed = r.withLatency(elapsedSince(start));
      engine.notify(l -> l.onPurgeEnd(invalidation, stageName, timed));
      return timed;
    });
  }

  private void finish() {
    List<StageReport> all;
    synchronized (this) {
      all = new ArrayList<>(reports);
    }
    InvalidationReport report =
        new InvalidationReport(invalidation, startedAt, elapsedSince(startedAt), all, submissions);
    if (!finalised.compareAndSet(false, true)) {
      return;
    }
    engine.notify(l -> l.onInvalidationEnd(report));
    // The report's toString() is its summary: built only when the level is enabled.
    if (report.isComplete()) {
      Engine.LOG.info("{}", report);
    } else {
      Engine.LOG.warn("{}", report);
    }
    result.complete(report);
  }
}
