package dev.fanout.k8s;

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

  Duration delay(int attempt, RandomGenerator random) {
    long ceiling = ceilingNanos(attempt);
    return Duration.ofNanos(ceiling <= 0 ? 0 : random.nextLong(ceiling + 1));
  }

  long ceilingNanos(int attempt) {
    long b = base.toNanos();
    long m = max.toNanos();
    int shift = Math.min(Math.max(attempt, 0), 30);
    long c = b > (m >> shift) ? m : b << shift;
    return Math.min(c, m);
  }
}
