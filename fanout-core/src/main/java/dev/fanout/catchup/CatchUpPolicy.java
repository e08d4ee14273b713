package dev.fanout.catchup;

import dev.fanout.RetryPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * How a fan-out stage catches up replicas that join or come back ({@code
 * Stage.fanout(...).catchUp(policy)}).
 *
 * <p>A replica is caught up when it appears in the stage's discovery (joined), when it turns not
 * ready after being ready (a restart in place), when a delivery to it failed as unreachable, and
 * when it acknowledges again after a catch-up failed; the replicas discovered when the invalidator
 * is built are the baseline (they did not join). Appearances are coalesced: the catch-up
 * starts once the replica was stable for {@code settle}, so a replica that flaps is caught up once,
 * and at most {@code concurrency} catch-ups of a stage run at once, so ten pods starting together
 * cause no storm. A catch-up that fails is retried with {@code retry}'s backoff, then reported;
 * while the replica is still discovered it is tried again every {@code retry.maxDelay()} without
 * being reported again, so that it is caught up when it returns.
 *
 * @param window how far back the history reaches, {@code > 0}
 * @param settle how long a replica must be stable before its catch-up starts, {@code >= 0}
 * @param concurrency the most catch-ups of one stage in flight at once, 1 to 1,024
 * @param retry attempts and backoff for one replica's catch-up
 * @param poll how often membership is asked again when the discovery cannot report changes, {@code
 *     > 0}
 * @param clockSkew how much earlier than a replica's "fresh since" the history starts, to allow for
 *     clocks that disagree, {@code >= 0}
 * @since 0.2
 */
public record CatchUpPolicy(
    Duration window, Duration settle, int concurrency, RetryPolicy retry, Duration poll, Duration clockSkew) {

  /** Default {@link #settle()}: 1 second, longer than a pod's typical flap. */
  public static final Duration DEFAULT_SETTLE = Duration.ofSeconds(1);

  /** Default {@link #concurrency()}: 4 catch-ups at once. */
  public static final int DEFAULT_CONCURRENCY = 4;

  /** Default {@link #retry()}: 8 attempts, backoff from 500 ms capped at 5 s. */
  public static final RetryPolicy DEFAULT_RETRY =
      new RetryPolicy(8, Duration.ofMillis(500), Duration.ofSeconds(5));

  /** Default {@link #poll()}: 5 seconds, CoreDNS's default record TTL. */
  public static final Duration DEFAULT_POLL = Duration.ofSeconds(5);

  /** Default {@link #clockSkew()}: 2 seconds. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(2);

  /**
   * Validates the components.
   *
   * @param window see the record description
   * @param settle see the record description
   * @param concurrency see the record description
   * @param retry see the record description
   * @param poll see the record description
   * @param clockSkew see the record description
   * @throws IllegalArgumentException naming the component that is out of range
   */
  public CatchUpPolicy {
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(settle, "settle");
    Objects.requireNonNull(retry, "retry");
    Objects.requireNonNull(poll, "poll");
    Objects.requireNonNull(clockSkew, "clockSkew");
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("catch-up window must be > 0: " + window);
    }
    if (settle.isNegative()) {
      throw new IllegalArgumentException("catch-up settle delay must be >= 0: " + settle);
    }
    if (concurrency < 1 || concurrency > 1024) {
      throw new IllegalArgumentException("catch-up concurrency must be 1..1024: " + concurrency);
    }
    if (poll.isNegative() || poll.isZero()) {
      throw new IllegalArgumentException("catch-up poll interval must be > 0: " + poll);
    }
    if (clockSkew.isNegative()) {
      throw new IllegalArgumentException("catch-up clock skew must be >= 0: " + clockSkew);
    }
  }

  /**
   * Returns the defaults with the given window.
   *
   * @param window how far back the history reaches, {@code > 0}
   * @return the policy
   * @throws IllegalArgumentException if the window is not positive
   */
  public static CatchUpPolicy of(Duration window) {
    return new CatchUpPolicy(window, DEFAULT_SETTLE, DEFAULT_CONCURRENCY, DEFAULT_RETRY, DEFAULT_POLL,
        DEFAULT_CLOCK_SKEW);
  }

  /**
   * Returns a copy with another settle delay.
   *
   * @param delay the delay, {@code >= 0}
   * @return the copy
   */
  public CatchUpPolicy withSettle(Duration delay) {
    return new CatchUpPolicy(window, delay, concurrency, retry, poll, clockSkew);
  }

  /**
   * Returns a copy with another concurrency limit.
   *
   * @param limit 1 to 1,024
   * @return the copy
   */
  public CatchUpPolicy withConcurrency(int limit) {
    return new CatchUpPolicy(window, settle, limit, retry, poll, clockSkew);
  }

  /**
   * Returns a copy with another retry policy.
   *
   * @param policy the policy
   * @return the copy
   */
  public CatchUpPolicy withRetry(RetryPolicy policy) {
    return new CatchUpPolicy(window, settle, concurrency, policy, poll, clockSkew);
  }

  /**
   * Returns a copy with another poll interval.
   *
   * @param interval the interval, {@code > 0}
   * @return the copy
   */
  public CatchUpPolicy withPoll(Duration interval) {
    return new CatchUpPolicy(window, settle, concurrency, retry, interval, clockSkew);
  }

  /**
   * Returns a copy with another clock-skew allowance.
   *
   * @param skew the allowance, {@code >= 0}
   * @return the copy
   */
  public CatchUpPolicy withClockSkew(Duration skew) {
    return new CatchUpPolicy(window, settle, concurrency, retry, poll, skew);
  }
}
