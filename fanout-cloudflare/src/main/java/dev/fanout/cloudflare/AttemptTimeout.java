package dev.fanout.cloudflare;

import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds one HTTP exchange, body included, by a timer on the purger's scheduler: on Java 17 {@code
 * HttpRequest.timeout} does not cover a stalled body, and a test clock cannot drive the JDK's own
 * timer. On expiry the exchange is cancelled and the result fails with an {@link
 * HttpTimeoutException}, which counts as a retryable timeout.
 */
final class AttemptTimeout {
  private AttemptTimeout() {}

  static <T> CompletableFuture<T> within(CompletableFuture<T> call, Duration timeout,
      ScheduledExecutorService scheduler) {
    CompletableFuture<T> bounded = new CompletableFuture<>();
    ScheduledFuture<?> timer = scheduler.schedule(() -> {
      if (bounded.completeExceptionally(new HttpTimeoutException(
          "no complete response within " + timeout.toMillis() + " ms"))) {
        call.cancel(true);
      }
    }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    call.whenComplete((r, e) -> {
      timer.cancel(false);
      if (e != null) {
        bounded.completeExceptionally(e);
      } else {
        bounded.complete(r);
      }
    });
    return bounded;
  }
}
