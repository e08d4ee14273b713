package dev.fanout.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.RetryPolicy;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** Tests for {@link Retry}. */
class RetryTest {
  private static final RetryPolicy POLICY =
      new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(1));

  /** Always draws the largest value allowed, so the bound itself is observable. */
  private static final RandomGenerator HIGHEST = new RandomGenerator() {
    @Override
    public long nextLong() {
      return Long.MAX_VALUE;
    }

    @Override
    public long nextLong(long bound) {
      return bound - 1;
    }
  };

  @Property
  void theBackoffStaysBetweenZeroAndTheCappedExponentialBound(
      @ForAll @IntRange(min = 1, max = 100) int failedAttempt,
      @ForAll @LongRange(min = 1, max = 10_000_000_000L) long baseNanos,
      @ForAll @LongRange(min = 0, max = 100_000_000_000L) long extraCapNanos,
      @ForAll long seed) {
    RetryPolicy policy = new RetryPolicy(
        3, Duration.ofNanos(baseNanos), Duration.ofNanos(baseNanos + extraCapNanos));
    Retry retry = new Retry(policy, new SplittableRandom(seed));

    Duration d = retry.backoff(failedAttempt);

    double bound = Math.min((double) baseNanos + extraCapNanos,
        baseNanos * Math.pow(2, failedAttempt - 1));
    assertThat(d.isNegative()).isFalse();
    assertThat((double) d.toNanos()).isLessThanOrEqualTo(bound);
  }

  @Property
  void theBackoffReachesItsBoundWhenTheRandomSourceDrawsHigh(
      @ForAll @IntRange(min = 1, max = 70) int failedAttempt) {
    Retry retry = new Retry(POLICY, HIGHEST);

    long expected = Math.min(1_000_000_000L,
        failedAttempt > 20 ? Long.MAX_VALUE : 100_000_000L << (failedAttempt - 1));
    assertThat(retry.backoff(failedAttempt)).isEqualTo(Duration.ofNanos(expected));
  }

  @Test
  void anAttemptLeftAndTimeLeftMeansAnotherAttemptAfterTheBackoff() {
    Retry retry = new Retry(POLICY, HIGHEST);

    Retry.Decision d = retry.next(2, null, Duration.ofSeconds(10));

    assertThat(d.again()).isTrue();
    assertThat(d.delay()).isEqualTo(Duration.ofMillis(200));
    assertThat(d.serverAsked()).isFalse();
    assertThat(d.reason()).isEmpty();
  }

  @Test
  void theServersRetryAfterReplacesTheBackoff() {
    Retry retry = new Retry(POLICY, HIGHEST);

    Retry.Decision d = retry.next(1, Duration.ofSeconds(7), Duration.ofSeconds(10));

    assertThat(d.again()).isTrue();
    assertThat(d.delay()).isEqualTo(Duration.ofSeconds(7));
    assertThat(d.serverAsked()).isTrue();
  }

  @Test
  void theLastAttemptStopsWhateverTheTimeLeft() {
    Retry retry = new Retry(POLICY, HIGHEST);

    Retry.Decision d = retry.next(4, null, Duration.ofDays(1));

    assertThat(d.again()).isFalse();
    assertThat(d.stop()).isEqualTo(Retry.Stop.ATTEMPTS);
    assertThat(d.reason()).isEqualTo("after 4 attempts");
  }

  @Test
  void aWaitEndingJustAfterTheDeadlineStops() {
    Retry retry = new Retry(POLICY, HIGHEST);

    Retry.Decision d = retry.next(1, null, Duration.ofMillis(100).minusNanos(1));

    assertThat(d.stop()).isEqualTo(Retry.Stop.DEADLINE);
    assertThat(d.reason()).isEqualTo(
        "next attempt in 100 ms would start after the deadline, 99 ms away; 1 attempt");
  }

  @Test
  void anAttemptMayStartExactlyAtTheDeadline() {
    Retry retry = new Retry(POLICY, HIGHEST);

    Retry.Decision d = retry.next(1, null, Duration.ofMillis(100));

    assertThat(d.again()).isTrue();
  }

  @Test
  void aRetryAfterBeyondTheDeadlineStopsAtOnceAndSaysTheServerAsked() {
    Retry retry = new Retry(POLICY, HIGHEST);

    Retry.Decision d = retry.next(1, Duration.ofSeconds(86_400), Duration.ofSeconds(30));

    assertThat(d.stop()).isEqualTo(Retry.Stop.DEADLINE);
    assertThat(d.reason()).isEqualTo("the wait the server asked for exceeds the deadline: next"
        + " attempt in 86400000 ms would start after the deadline, 30000 ms away; 1 attempt");
  }

  @Test
  void noTimeLeftStopsAnyWait() {
    Retry retry = new Retry(POLICY, HIGHEST);

    Retry.Decision d = retry.next(1, Duration.ofNanos(1), Duration.ZERO);

    assertThat(d.stop()).isEqualTo(Retry.Stop.DEADLINE);
  }
}
