package dev.fanout.k8s;

import dev.fanout.RetryPolicy;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Capped exponential backoff with full jitter: the n-th delay (n from 0) is uniform in
 * {@code [0, min(max, base * 2^n)]}. Full jitter spreads the reconnects of many replicas after an
 * API server restart instead of having them arrive in waves.
 *
 * @param base the first ceiling
 * @param max the largest ceiling
 */
record Backoff(Duration base, Duration max) {
  Backoff {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(max, "max");
  }

  /** The engine's own full-jitter formula; attempt n here is the delay after failed attempt n + 1. */
  Duration delay(int attempt, RandomGenerator random) {
    return new RetryPolicy(1, base, max).backoff(Math.max(attempt, 0) + 1, random);
  }
}
