package dev.fanout;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How the engine retries one target after a retryable failure: capped exponential backoff with full
 * jitter, honouring the receiver's {@code Retry-After}, always inside the invalidation's overall
 * deadline.
 *
 * <p>The delay before attempt {@code n + 1} is a uniformly random duration in {@code [0,
 * min(maxDelay, baseDelay * 2^(n-1))]} ("full jitter"). When the receiver sent {@code Retry-After},
 * that delay is used instead, as long as the next attempt still fits in what remains of the
 * deadline; otherwise the target fails at once rather than parking the invalidation (a hostile
 * {@code Retry-After: 86400} cannot hold a fan-out). Only
 * failures whose {@link ErrorKind#isRetryable()} is true are retried: connection failures, resets,
 * timeouts, 429, 502, 503 and 504.
 *
 * @param maxAttempts total attempts per target, including the first, {@code >= 1}
 * @param baseDelay the backoff before the second attempt's upper bound, {@code > 0}
 * @param maxDelay the cap on the backoff, {@code >= baseDelay}
 * @since 0.1
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay) {

  private static final RetryPolicy DEFAULTS =
      new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(5));

  private static final RetryPolicy NONE = new RetryPolicy(1, Duration.ofMillis(1), Duration.ofMillis(1));

  /**
   * Validates the components.
   *
   * @param maxAttempts see the record description
   * @param baseDelay see the record description
   * @param maxDelay see the record description
   * @throws IllegalArgumentException if a value is out of range
   */
  public RetryPolicy {
    Objects.requireNonNull(baseDelay, "baseDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1: " + maxAttempts);
    }
    if (baseDelay.isNegative() || baseDelay.isZero()) {
      throw new IllegalArgumentException("baseDelay must be > 0: " + baseDelay);
    }
    if (maxDelay.compareTo(baseDelay) < 0) {
      throw new IllegalArgumentException(
          "maxDelay (" + maxDelay + ") must be >= baseDelay (" + baseDelay + ")");
    }
  }

  /**
   * The default policy: 5 attempts, backoff from 100 ms capped at 5 s.
   *
   * @return the default policy
   */
  public static RetryPolicy defaults() {
    return DEFAULTS;
  }

  /**
   * A policy that never retries.
   *
   * @return the policy with one attempt
   */
  public static RetryPolicy none() {
    return NONE;
  }

  /**
   * Returns a copy with another number of attempts.
   *
   * @param attempts total attempts, {@code >= 1}
   * @return the copy
   */
  public RetryPolicy withMaxAttempts(int attempts) {
    return new RetryPolicy(attempts, baseDelay, maxDelay);
  }

  /**
   * Returns a copy with other delays.
   *
   * @param base the first backoff bound, {@code > 0}
   * @param max the cap, {@code >= base}
   * @return the copy
   */
  public RetryPolicy withDelays(Duration base, Duration max) {
    return new RetryPolicy(maxAttempts, base, max);
  }

  /**
   * Returns the full-jitter backoff before the attempt after {@code failedAttempt}.
   *
   * @param failedAttempt the attempt that just failed, starting at 1
   * @param random the random source
   * @return a delay in {@code [0, min(maxDelay, baseDelay * 2^(failedAttempt-1))]}
   */
  public Duration backoff(int failedAttempt, RandomGenerator random) {
    long base = baseDelay.toNanos();
    long cap = maxDelay.toNanos();
    int shift = Math.min(Math.max(failedAttempt - 1, 0), 62);
    long bound = base > (cap >> shift) ? cap : Math.min(cap, base << shift);
    return Duration.ofNanos(random.nextLong(bound + 1));
  }
}
