package dev.fanout.catchup;

import dev.fanout.FanoutListener;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.random.RandomGenerator;

/** What the catch-up of every stage of one invalidator shares: time, threads, listener, history. */
record Context(
    Clock clock,
    ScheduledExecutorService scheduler,
    Executor executor,
    RandomGenerator random,
    FanoutListener listener,
    HistorySource history) {

  ScheduledFuture<?> schedule(Duration delay, Runnable task) {
    return scheduler.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
  }

  /**
   * Bounds a call by a timeout on the injected scheduler (so that tests drive it with their clock)
   * and abandons the call when the timeout fires.
   */
  <T> CompletableFuture<T> within(CompletionStage<T> call, Duration timeout, String what) {
    CompletableFuture<T> f = call.toCompletableFuture();
    CompletableFuture<T> result = new CompletableFuture<>();
    ScheduledFuture<?> timer = schedule(timeout, () -> {
      if (result.completeExceptionally(new TimeoutException(what + " timed out after " + timeout.toMillis() + " ms"))) {
        f.cancel(true);
      }
    });
    f.whenComplete((v, e) -> {
      timer.cancel(false);
      if (e != null) {
        result.completeExceptionally(e);
      } else {
        result.complete(v);
      }
    });
    return result;
  }

  /** RandomGenerator implementations are not all thread-safe. */
  long nextLong() {
    synchronized (random) {
      return random.nextLong();
    }
  }

  Duration backoff(dev.fanout.RetryPolicy policy, int failedAttempt) {
    synchronized (random) {
      return policy.backoff(failedAttempt, random);
    }
  }

  void report(CatchUpReport report) {
    try {
      listener.onCatchUp(report);
    } catch (RuntimeException e) {
      CatchUpService.LOG.debug("listener threw; ignored", e);
    }
  }
}
