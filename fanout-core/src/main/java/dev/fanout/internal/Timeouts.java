package dev.fanout.internal;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Supplier;

/**
 * Bounds a future by a timer on an injected scheduler. Part of the kernel; not part of the public
 * API.
 *
 * <p>Not {@code CompletableFuture.orTimeout}: that uses the JDK's own timer thread, which a test
 * clock cannot drive. And on expiry the call is cancelled, so that an HTTP exchange with a stalled
 * body is abandoned rather than left to hang (on Java 17 {@code HttpRequest.timeout} covers the
 * headers only).
 */
public final class Timeouts {
  private Timeouts() {}

  /**
   * Returns a future that completes like {@code call}, or fails with {@code onTimeout}'s exception
   * once {@code timeout} has passed on {@code scheduler}, cancelling {@code call}. If the scheduler
   * refuses the timer, an unbounded call must not linger: {@code call} is cancelled and the result
   * fails with a {@link CancellationException}, an outcome rather than an exception for whoever
   * started the call.
   *
   * @param <T> the result type
   * @param call the call to bound
   * @param timeout how long it may take
   * @param scheduler the scheduler that runs the timer
   * @param onTimeout makes the failure on expiry; called only if the timer fires (most calls do not
   *     time out, so a message is not built for each)
   * @return the bounded future
   */
  public static <T> CompletableFuture<T> within(CompletableFuture<T> call, Duration timeout,
      ScheduledExecutorService scheduler, Supplier<? extends Throwable> onTimeout) {
    CompletableFuture<T> result = new CompletableFuture<>();
    ScheduledFuture<?> timer = Tasks.schedule(scheduler, timeout, () -> {
      if (result.completeExceptionally(onTimeout.get())) {
        call.cancel(true);
      }
    });
    if (timer == null) {
      call.cancel(true);
      result.completeExceptionally(
          new CancellationException("not bounded: the scheduler refused the call's timer"));
      return result;
    }
    call.whenComplete((value, error) -> {
      timer.cancel(false);
      if (error == null) {
        result.complete(value);
      } else {
        result.completeExceptionally(error);
      }
    });
    return result;
  }
}
