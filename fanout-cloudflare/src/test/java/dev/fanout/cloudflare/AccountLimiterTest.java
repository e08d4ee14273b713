package dev.fanout.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link AccountLimiter}, the account's token buckets: exact waits on a manual clock,
 * and a property that any schedule it produces is one Cloudflare's buckets accept, checked with
 * the stand-in's independent bucket arithmetic.
 */
class AccountLimiterTest {
  private static final Instant FAR = Instant.parse("2100-01-01T00:00:00Z");

  private static String newAccount() {
    return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong())
        + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
  }

  @Test
  void freeAllowsABurstOf25ThenOneEvery12Seconds() {
    // Given
    ManualClock clock = new ManualClock();
    AccountLimiter l = AccountLimiter.forAccount(newAccount(), Plan.FREE.limits(), clock);

    // When
    List<Duration> waits = new ArrayList<>();
    for (int i = 0; i < 27; i++) {
      waits.add(l.reserve(0, FAR));
    }

    // Then
    assertThat(waits.subList(0, 25)).containsOnly(Duration.ZERO);
    assertThat(waits.subList(25, 27)).containsExactly(Duration.ofSeconds(12),
        Duration.ofSeconds(24));
  }

  @Test
  void singleFilePurgesAlsoWaitForUrlTokens() {
    // Given: Free allows 800 URLs per second, 100 per request
    ManualClock clock = new ManualClock();
    AccountLimiter l = AccountLimiter.forAccount(newAccount(), Plan.FREE.limits(), clock);

    // When
    List<Duration> waits = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      waits.add(l.reserve(100, FAR));
    }

    // Then: eight go at once, then one per 125 ms
    assertThat(waits.subList(0, 8)).containsOnly(Duration.ZERO);
    assertThat(waits.subList(8, 10))
        .containsExactly(Duration.ofMillis(125), Duration.ofMillis(250));
  }

  @Test
  void aRefusedReservationChargesNothing() {
    // Given: the bucket is empty
    ManualClock clock = new ManualClock();
    AccountLimiter l = AccountLimiter.forAccount(newAccount(), Plan.FREE.limits(), clock);
    for (int i = 0; i < 25; i++) {
      l.reserve(0, FAR);
    }

    // When: three requests that must go within 5 s are refused
    for (int i = 0; i < 3; i++) {
      assertThat(l.reserve(0, clock.instant().plusSeconds(5))).isNull();
    }

    // Then: the next one still gets the first free token
    assertThat(l.reserve(0, FAR)).isEqualTo(Duration.ofSeconds(12));
  }

  @Test
  void throttledEmptiesTheBucket() {
    // Given: a full bucket
    ManualClock clock = new ManualClock();
    AccountLimiter l = AccountLimiter.forAccount(newAccount(), Plan.PRO.limits(), clock);

    // When: Cloudflare said 429
    l.throttled();

    // Then: the next request waits for a fresh token; the bucket refills after 5 s
    assertThat(l.nextRequestIn()).isEqualTo(Duration.ofMillis(200));
    clock.advance(Duration.ofSeconds(5));
    for (int i = 0; i < 25; i++) {
      assertThat(l.reserve(0, FAR)).isZero();
    }
    assertThat(l.reserve(0, FAR)).isEqualTo(Duration.ofMillis(200));
  }

  /** One reservation: how long after the previous one it is asked for, and its URLs. */
  record Step(long gapPermille, int urls) {}

  @Provide
  Arbitrary<Step> steps() {
    return Combinators.combine(
            Arbitraries.longs().between(0, 1_500),
            Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.just(0)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(1, 500))))
        .as(Step::new);
  }

  /** The plans, and small buckets where the URL rate, not the request rate, decides. */
  @Provide
  Arbitrary<PurgeLimits> limits() {
    Arbitrary<PurgeLimits> custom = Combinators.combine(
            Arbitraries.integers().between(1, 50),
            Arbitraries.of(Duration.ofSeconds(1), Duration.ofMinutes(1)),
            Arbitraries.integers().between(1, 30),
            Arbitraries.integers().between(1, 500),
            Arbitraries.integers().between(0, 1_000))
        .as((requests, per, bucket, maxUrls, extraRate) ->
            new PurgeLimits(requests, per, bucket, 100, maxUrls, maxUrls + extraRate));
    return Arbitraries.oneOf(Arbitraries.of(Plan.class).map(Plan::limits), custom);
  }

  @Property(tries = 500)
  void everyScheduleIsOneCloudflaresBucketsAccept(
      @ForAll("limits") PurgeLimits limits,
      @ForAll @Size(max = 300) List<@net.jqwik.api.From("steps") Step> steps) {
    // Given
    ManualClock clock = new ManualClock();
    AccountLimiter l = AccountLimiter.forAccount(newAccount(), limits, clock);
    long interval = limits.per().toNanos() / limits.requests();
    record Send(Instant at, int urls, int order) {}
    List<Send> sends = new ArrayList<>();

    // When: reservations arrive with the given gaps (in thousandths of the token interval)
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      clock.advance(Duration.ofNanos(interval * s.gapPermille() / 1_000));
      int urls = Math.min(s.urls(), limits.maxUrlsPerRequest());
      Duration wait = l.reserve(urls, FAR);
      assertThat(wait).isNotNull();
      assertThat(wait.isNegative()).isFalse();
      sends.add(new Send(clock.instant().plus(wait), urls, i));
    }

    // Then: replayed in time order, Cloudflare's buckets (the stand-in's arithmetic) never refuse
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    FakeCloudflare.Bucket requests = new FakeCloudflare.Bucket(limits.requests(),
        limits.per().toNanos(), limits.bucketSize(), start);
    FakeCloudflare.Bucket urls = new FakeCloudflare.Bucket(limits.urlsPerSecond(),
        Duration.ofSeconds(1).toNanos(), limits.urlsPerSecond(), start);
    sends.sort(Comparator.comparing(Send::at).thenComparing(Send::order));
    for (Send s : sends) {
      assertThat(requests.waitFor(1, s.at())).as("request %d at %s", s.order(), s.at()).isZero();
      requests.take(1, s.at());
      if (s.urls() > 0) {
        assertThat(urls.waitFor(s.urls(), s.at())).as("URLs of %d", s.order()).isZero();
        urls.take(s.urls(), s.at());
      }
    }
  }
}
