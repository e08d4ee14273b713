package dev.fanout.catchup;

import dev.fanout.FanoutListener;
import dev.fanout.internal.Tasks;
import dev.fanout.internal.Timeouts;
import dev.fanout.spi.Journal;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeoutException;
import java.util.random.RandomGenerator;

/**
 * What the catch-up of every stage of one invalidator shares: time, threads, listener, history, and
 * the journal that keeps the outcomes (null without one).
 */
record Context(
    Clock clock,
    ScheduledExecutorService scheduler,
    Executor executor,
    RandomGenerator random,
    FanoutListener listener,
    HistorySource history,
    Journal journal) {

  /**
   * Runs {@code task} after {@code delay} on the injected scheduler (so that tests drive it with
   * their clock); null when the scheduler refused it (the invalidator is closing), and the task then
   * never runs.
   */
  ScheduledFuture<?> schedule(Duration delay, Runnable task) {
    return Tasks.schedule(scheduler, delay, task);
  }

  /** Bounds a call by a timeout on the injected scheduler and abandons the call when it fires. */
  <T> CompletableFuture<T> within(CompletionStage<T> call, Duration timeout, String what) {
    return Timeouts.within(call.toCompletableFuture(), timeout, scheduler,
        () -> new TimeoutException(what + " timed out after " + timeout.toMillis() + " ms"));
  }

  /** RandomGenerator implementations are not all thread-safe. */
  long nextLong() {
    synchronized (random) {
      return random.nextLong();
    }
  }

  /** Tells the listener, and records the outcome in the journal on a worker (a journal blocks). */
  void report(CatchUpReport report) {
    try {
      listener.onCatchUp(report);
    } catch (RuntimeException e) {
      CatchUpService.LOG.debug("listener threw; ignored", e);
    }
    if (journal != null) {
      CatchUpRecord record = CatchUpRecord.of(report, clock.instant());
      if (!Tasks.execute(executor, () -> record(record))) {
        CatchUpService.LOG.debug("catch-up {} {}: not recorded in the journal, the invalidator is closing",
            record.stage(), record.target());
      }
    }
  }

  private void record(CatchUpRecord record) {
    try {
      journal.recordCatchUp(record);
    } catch (RuntimeException e) {
      // The outcome is already in the log and with the listener; the catch-up itself is unchanged.
      CatchUpService.LOG.warn("catch-up {} {}: outcome not recorded in the journal: {}",
          record.stage(), record.target(), e.toString());
    }
  }
}
