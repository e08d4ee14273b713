package dev.fanout.cloudflare;

import dev.fanout.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * Every retry decision of the module: what is retried, after how long, and when to stop. Retried:
 * connection failures, broken connections, timeouts, 429 and every 5xx. A server's {@code
 * Retry-After} replaces the full-jitter backoff of the {@link RetryPolicy}; no attempt starts after
 * the purge's deadline, so a wait that would end later gives up at once instead of waiting in
 * vain.
 */
final class Retries {
  private final RetryPolicy retry;
  private final RandomGenerator random;

  Retries(RetryPolicy retry, RandomGenerator random) {
    this.retry = retry;
    this.random = random;
  }

  /**
   * What to do after a failed attempt.
   *
   * @param delay the wait before the next attempt, or null when giving up
   * @param reason why not, when giving up
   */
  record Decision(Duration delay, String reason) {
    boolean retry() {
      return delay != null;
    }
  }

  /**
   * Whether an answer with this HTTP status is worth another attempt: 429 and every 5xx (a 500
   * from Cloudflare's API is as transient as a 502). Connection failures, broken connections and
   * timeouts always are.
   */
  static boolean retryable(int status) {
    return status == 429 || status >= 500;
  }

  /**
   * Decides whether attempt {@code failedAttempt + 1} happens, and when.
   *
   * @param failedAttempt the attempt that just failed, from 1
   * @param hint the server's {@code Retry-After}, or null
   * @param now the current instant
   * @param deadline no attempt starts after this instant
   */
  Decision next(int failedAttempt, Duration hint, Instant now, Instant deadline) {
    String attempts = failedAttempt + (failedAttempt == 1 ? " attempt" : " attempts");
    if (failedAttempt >= retry.maxAttempts()) {
      return new Decision(null, "after " + attempts);
    }
    Duration delay = hint != null ? hint : backoff(failedAttempt);
    if (now.plus(delay).isAfter(deadline)) {
      return new Decision(null, "next attempt in " + delay.toMillis()
          + " ms would start after the deadline, " + Duration.between(now, deadline).toMillis()
          + " ms away; " + attempts);
    }
    return new Decision(delay, null);
  }

  /** A caller's generator need not be thread-safe; attempts fail on many threads. */
  private synchronized Duration backoff(int failedAttempt) {
    return retry.backoff(failedAttempt, random);
  }

  @Override
  public String toString() {
    return retry.toString();
  }
}
