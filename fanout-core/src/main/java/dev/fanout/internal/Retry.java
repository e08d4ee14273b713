package dev.fanout.internal;

import dev.fanout.RetryPolicy;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Every retry decision in fanout: whether the attempt after a failed one runs, and after how long.
 * Part of the kernel; not part of the public API (users configure it with the public {@link
 * RetryPolicy}).
 *
 * <p>The wait is the server's {@code Retry-After} when it sent one, otherwise the policy's capped
 * exponential backoff with full jitter. No attempt is scheduled to start after the deadline:
 * a wait that would end there gives up at once instead of waiting in vain (and a hostile {@code
 * Retry-After: 86400} cannot park a call). What is retryable is the caller's to say; this class only
 * counts and waits. Thread-safe, whatever the random source: attempts fail on many threads.
 */
public final class Retry {
  private static final RandomGenerator THREAD_SAFE_RANDOM =
      () -> ThreadLocalRandom.current().nextLong();

  private final RetryPolicy policy;
  private final RandomGenerator random;

  /**
   * Creates the decisions of one policy.
   *
   * @param policy the policy
   * @param random the jitter source; need not be thread-safe
   */
  public Retry(RetryPolicy policy, RandomGenerator random) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * The jitter source for components built without one: safe from any thread, never contended.
   *
   * @return the random source
   */
  public static RandomGenerator defaultRandom() {
    return THREAD_SAFE_RANDOM;
  }

  /**
   * Returns the policy.
   *
   * @return the policy
   */
  public RetryPolicy policy() {
    return policy;
  }

  /** Why no further attempt runs. */
  public enum Stop {
    /** The policy's attempts are used up. */
    ATTEMPTS,
    /** The wait (the backoff, or the server's {@code Retry-After}) ends after the deadline. */
    DEADLINE
  }

  /**
   * What follows a failed attempt.
   *
   * @param delay the wait before the next attempt; when stopping at the deadline, the wait that did
   *     not fit; null when the attempts are used up
   * @param stop why no further attempt runs, or null when one does
   * @param serverAsked whether {@code delay} is the server's {@code Retry-After}
   * @param failedAttempts how many attempts have failed so far
   * @param remaining the time that was left until the deadline
   */
  public record Decision(
      Duration delay, Stop stop, boolean serverAsked, int failedAttempts, Duration remaining) {
    /**
     * Whether another attempt runs after {@link #delay()}.
     *
     * @return true for another attempt
     */
    public boolean again() {
      return stop == null;
    }

    /**
     * Says why the attempts stopped, for a report: {@code after 3 attempts}, or {@code next
     * attempt in 800 ms would start after the deadline, 500 ms away; 2 attempts}, prefixed with
     * {@code the wait the server asked for exceeds the deadline: } when the server asked for it.
     *
     * @return the explanation; empty when another attempt runs
     */
    public String reason() {
      if (stop == null) {
        return "";
      }
      String attempts = failedAttempts + (failedAttempts == 1 ? " attempt" : " attempts");
      if (stop == Stop.ATTEMPTS) {
        return "after " + attempts;
      }
      return (serverAsked ? "the wait the server asked for exceeds the deadline: " : "")
          + "next attempt in " + delay.toMillis() + " ms would start after the deadline, "
          + Math.max(0, remaining.toMillis()) + " ms away; " + attempts;
    }
  }

  /**
   * Decides what follows attempt {@code failedAttempt}.
   *
   * @param failedAttempt the attempt that just failed, from 1
   * @param retryAfter the server's {@code Retry-After}, or null
   * @param remaining the time left until the deadline
   * @return the decision
   */
  public Decision next(int failedAttempt, Duration retryAfter, Duration remaining) {
    if (failedAttempt >= policy.maxAttempts()) {
      return new Decision(null, Stop.ATTEMPTS, false, failedAttempt, remaining);
    }
    boolean serverAsked = retryAfter != null;
    Duration delay = serverAsked ? retryAfter : backoff(failedAttempt);
    if (delay.compareTo(remaining) > 0) {
      return new Decision(delay, Stop.DEADLINE, serverAsked, failedAttempt, remaining);
    }
    return new Decision(delay, null, serverAsked, failedAttempt, remaining);
  }

  /**
   * Returns the policy's full-jitter backoff after attempt {@code failedAttempt}, for loops that
   * never give up (a watch that reconnects, a poller that lost its connection).
   *
   * @param failedAttempt the attempt that just failed, from 1
   * @return a delay in {@code [0, min(maxDelay, baseDelay * 2^(failedAttempt-1))]}
   */
  public Duration backoff(int failedAttempt) {
    // A caller's generator need not be thread-safe, and components built from one configuration
    // share it: lock the generator, not this.
    synchronized (random) {
      return policy.backoff(failedAttempt, random);
    }
  }

  @Override
  public String toString() {
    return policy.toString();
  }
}
