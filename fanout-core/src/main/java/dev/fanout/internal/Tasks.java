package dev.fanout.internal;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Hands work to an executor or a scheduler, turning a refusal (one that was shut down, or a bounded
 * one that is full) into a value. Every caller must decide what a refused task means for its outcome
 * (run it here, fail the attempt, give up the backstop); a {@link RejectedExecutionException} thrown
 * through a callback would instead leave a future that never completes. Part of the kernel; not part
 * of the public API.
 */
public final class Tasks {
  private Tasks() {}

  /**
   * Runs {@code task} on {@code executor}.
   *
   * @param executor the executor
   * @param task the task
   * @return false if the executor refused the task; it then did not and will not run
   */
  public static boolean execute(Executor executor, Runnable task) {
    try {
      executor.execute(task);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /**
   * Runs {@code task} on {@code scheduler} after {@code delay} (at once for zero or less).
   *
   * @param scheduler the scheduler
   * @param delay the delay
   * @param task the task
   * @return the scheduled task, or null if the scheduler refused it; it then will not run
   */
  public static ScheduledFuture<?> schedule(ScheduledExecutorService scheduler, Duration delay,
      Runnable task) {
    try {
      return scheduler.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return null;
    }
  }
}
