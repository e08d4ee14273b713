package dev.fanout;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bounds a future by a timer on the injected scheduler. {@code orTimeout} would use the JDK's own
 * timer thread, which a test clock cannot drive; and on timeout the underlying call is cancelled so
 * that an HTTP exchange with a stalled body is abandoned rather than left to hang.
 */
final class Timeouts {
  private Timeouts() {}

  /**
   * Bounds {@code call}. The description is {@code what} followed by {@code subject}, built only if
   * the timer fires: a fan-out starts thousands of these and almost none time out.
   */
  static <T> CompletableFuture<T> within(CompletableFuture<T> call, Duration timeout,
      ScheduledExecutorService scheduler, String what, Object subject) {
    CompletableFuture<T> result = new CompletableFuture<>();
    ScheduledFuture<?> timer;
    try {
      timer = scheduler.schedule(
            () -> {
              if (result.completeExceptionally(
                  new TimeoutException(what + (subject == null ? "" : subject)
                      + " did not complete within " + timeout.toMillis() + " ms"))) {
                call.cancel(true);
              }
            },
            Math.max(0, timeout.toNanos()),
            TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // A closed invalidator's (or the caller's shut-down) scheduler: an unbounded call must not
      // linger, and the refusal is an outcome, not an exception for whoever started the call.
      call.cancel(true);
      result.completeExceptionally(new CancellationException(
          "the scheduler refused the timer of " + what + (subject == null ? "" : subject)));
      return result;
    }
    call.whenComplete(
        (value, error) -> {
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
