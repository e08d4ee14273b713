package dev.fanout.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.Stage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * The Free plan allows 5 purge requests per minute (bucket 25). A CMS fires a webhook per change,
 * and a bulk edit fires hundreds: these tests push 200 webhooks through a real {@link Invalidator}
 * with {@link Invalidator#submit}, a {@link CloudflarePurger} and the stand-in enforcing the Free
 * plan, all on one manual clock, and check that nothing is lost and Cloudflare never has to refuse
 * anything; with the settings the module README recommends for Free, no minute sees more than 5
 * requests.
 */
class FreePlanCoalescingTest {
  /** The README's settings for Free: a burst within 30 s is one flush of a few requests. */
  private static final Duration QUIET_PERIOD = Duration.ofSeconds(2);
  private static final Duration MAX_WAIT = Duration.ofSeconds(30);
  private static final Duration DEADLINE = Duration.ofMinutes(2);
  /** Below the invalidator's, so that no request goes out just as the engine gives up. */
  private static final Duration PURGE_DEADLINE = Duration.ofSeconds(90);
  private static final Duration MINUTE = Duration.ofMinutes(1);

  /** Each test builds its own, for the plan it needs. */
  @AutoClose private Harness h;

  /** Webhook i is about post i % 150: a bulk edit where some posts change twice. */
  private static Invalidation webhook(int i) {
    int post = i % 150;
    return Invalidation.builder().path("/posts/" + post).tag("post:" + post).build();
  }

  /** The outcome of one run: the webhooks' reports and what the stand-in recorded. */
  private record Run(List<InvalidationReport> reports, List<Instant> requestTimes, int flushes) {}

  private Run run(Invalidator.Builder invalidator, CloudflarePurger purger, int webhooks,
      Duration gap, IntFunction<Invalidation> webhook) throws Exception {
    return run(invalidator, purger, webhooks, gap, webhook, true);
  }

  private Run run(Invalidator.Builder invalidator, CloudflarePurger purger, int webhooks,
      Duration gap, IntFunction<Invalidation> webhook, boolean coalesce) throws Exception {
    Instant start = h.clock.instant();
    List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>();
    Invalidator inv = invalidator.stage(Stage.purge("cdn", purger)).clock(h.clock)
        .scheduler(h.scheduler).executor(h.scheduler).build();
    try {
      int next = 0;
      while (true) {
        Harness.settle(purger);
        Instant now = h.clock.instant();
        if (next < webhooks && !now.isBefore(start.plus(gap.multipliedBy(next)))) {
          futures.add(coalesce ? inv.submit(webhook.apply(next))
              : inv.invalidate(webhook.apply(next)));
          next++;
          continue;
        }
        if (next == webhooks && futures.stream().allMatch(CompletableFuture::isDone)) {
          break;
        }
        Duration toTask = h.scheduler.nextDelay();
        Duration toWebhook =
            next < webhooks ? Duration.between(now, start.plus(gap.multipliedBy(next))) : null;
        Duration step = toTask == null ? toWebhook
            : toWebhook == null || toTask.compareTo(toWebhook) < 0 ? toTask : toWebhook;
        assertThat(step).as("something left to happen").isNotNull();
        h.scheduler.advance(step);
      }
    } finally {
      inv.close();
    }
    List<InvalidationReport> reports = new ArrayList<>();
    for (CompletableFuture<InvalidationReport> f : futures) {
      reports.add(f.get());
    }
    List<Instant> times = h.server.requests().stream().map(FakeCloudflare.Recorded::at).toList();
    int flushes = (int) reports.stream().map(InvalidationReport::id).distinct().count();
    return new Run(reports, times, flushes);
  }

  /** The most requests in any window of one minute, [t, t + 1 min). */
  private static int mostInAMinute(List<Instant> times) {
    int most = 0;
    for (Instant t : times) {
      int n = (int) times.stream().filter(x -> !x.isBefore(t) && x.isBefore(t.plus(MINUTE)))
          .count();
      most = Math.max(most, n);
    }
    return most;
  }

  private void assertNothingLost(Run run, int webhooks, IntFunction<Invalidation> webhook) {
    Set<String> tags = new LinkedHashSet<>();
    Set<String> urls = new LinkedHashSet<>();
    for (int i = 0; i < webhooks; i++) {
      tags.addAll(webhook.apply(i).tags());
      webhook.apply(i).paths().forEach(p -> urls.add("https://www.example.com" + p));
    }
    assertThat(run.reports()).hasSize(webhooks)
        .allSatisfy(r -> assertThat(r.isComplete()).as(r.summary()).isTrue());
    assertThat(h.server.purged("tags")).containsAll(tags);
    assertThat(h.server.purged("files")).containsAll(urls);
    assertThat(h.server.requests()).allSatisfy(r -> assertThat(r.status()).isEqualTo(200));
    assertThat(h.server.throttled()).isZero();
  }

  @Test
  void aBurstOf200WebhooksEndsInAtMost5RequestsAMinuteWithNothingLost() throws Exception {
    // Given: Free plan; 200 webhooks, one every 100 ms (a bulk edit of 150 posts, 20 s long)
    h = new Harness(Plan.FREE);
    CloudflarePurger purger = h.purger().deadline(PURGE_DEADLINE).build();
    Invalidator.Builder invalidator = Invalidator.builder()
        .quietPeriod(QUIET_PERIOD).maxWait(MAX_WAIT).deadline(DEADLINE);

    // When
    Run run = run(invalidator, purger, 200, Duration.ofMillis(100), FreePlanCoalescingTest::webhook);

    // Then: one flush, 150 tags and 150 URLs: 2 + 2 requests; every tag and URL reached the
    // stand-in and every webhook's report is complete
    assertNothingLost(run, 200, FreePlanCoalescingTest::webhook);
    assertThat(run.flushes()).isEqualTo(1);
    assertThat(run.requestTimes()).hasSize(4);
    assertThat(mostInAMinute(run.requestTimes())).isLessThanOrEqualTo(5);
  }

  @Test
  void webhooksStreamingForThreeMinutesStayWithin5RequestsAMinute() throws Exception {
    // Given: 200 webhooks, one every 900 ms; quiet period = max wait = 30 s, the README's setting
    // for a strict 5 a minute: every flush waits 30 s from its first submission, so flushes start
    // more than 30 s apart
    h = new Harness(Plan.FREE);
    CloudflarePurger purger = h.purger().deadline(PURGE_DEADLINE).build();
    Invalidator.Builder invalidator = Invalidator.builder()
        .quietPeriod(MAX_WAIT).maxWait(MAX_WAIT).deadline(DEADLINE);

    // When
    Run run = run(invalidator, purger, 200, Duration.ofMillis(900),
        FreePlanCoalescingTest::webhook);

    // Then: 6 flushes of at most 34 webhooks, 2 requests each, at most 2 flushes a minute
    assertNothingLost(run, 200, FreePlanCoalescingTest::webhook);
    assertThat(run.flushes()).isEqualTo(6);
    assertThat(run.requestTimes()).hasSize(12);
    assertThat(mostInAMinute(run.requestTimes())).isLessThanOrEqualTo(5);
  }

  @Test
  void aShortQuietPeriodCanFlushThreeTimesInAMinuteButTheLimiterKeepsThePlan() throws Exception {
    // Given: the same stream with quiet period 2 s: the last flush comes early (2 s after the
    // last webhook rather than 30 s after the first of its batch)
    h = new Harness(Plan.FREE);
    CloudflarePurger purger = h.purger().deadline(PURGE_DEADLINE).build();
    Invalidator.Builder invalidator = Invalidator.builder()
        .quietPeriod(QUIET_PERIOD).maxWait(MAX_WAIT).deadline(DEADLINE);

    // When
    Run run = run(invalidator, purger, 200, Duration.ofMillis(900),
        FreePlanCoalescingTest::webhook);

    // Then: nothing lost, nothing refused; one minute sees 3 flushes (6 requests), which the
    // bucket of 25 absorbs
    assertNothingLost(run, 200, FreePlanCoalescingTest::webhook);
    assertThat(mostInAMinute(run.requestTimes())).isEqualTo(6);
  }

  @Test
  void withTheDefaultCoalescerTheLimiterStillKeepsEverythingWithinThePlan() throws Exception {
    // Given: the default quiet period (500 ms) flushes after every webhook of a slow stream, two
    // requests each; only the deadline is raised for Free
    h = new Harness(Plan.FREE);
    CloudflarePurger purger = h.purger().deadline(PURGE_DEADLINE).build();
    Invalidator.Builder invalidator = Invalidator.builder().deadline(DEADLINE);

    // When
    Run run = run(invalidator, purger, 200, Duration.ofMillis(900),
        FreePlanCoalescingTest::webhook);

    // Then: once the bucket of 25 is spent, flushes wait for tokens, and the submissions that
    // arrive meanwhile merge into the next flush: nothing lost, nothing refused, and no more
    // requests than the bucket allows (25 + 5 per minute)
    assertNothingLost(run, 200, FreePlanCoalescingTest::webhook);
    Duration span = Duration.between(run.requestTimes().get(0),
        run.requestTimes().get(run.requestTimes().size() - 1));
    assertThat(run.requestTimes().size()).isLessThanOrEqualTo(25 + 1 + (int) (span.toSeconds() / 12));
    assertThat(mostInAMinute(run.requestTimes())).isLessThanOrEqualTo(25 + 5);
    assertThat(run.flushes()).isEqualTo(21);
    assertThat(run.requestTimes()).hasSize(42);
  }

  @Test
  void withoutCoalescingTheSameBurstCannotFitTheFreePlan() throws Exception {
    // Given: the burst of the first test, but each webhook invalidated on its own
    h = new Harness(Plan.FREE);
    CloudflarePurger purger = h.purger().deadline(PURGE_DEADLINE).build();
    Invalidator.Builder invalidator = Invalidator.builder().deadline(DEADLINE);

    // When
    Run run = run(invalidator, purger, 200, Duration.ofMillis(100),
        FreePlanCoalescingTest::webhook, false);

    // Then: 400 requests' worth; the limiter sends what the plan allows within the deadline (25
    // at once, then one per 12 s) and reports the rest as not sent, so Cloudflare still refuses
    // nothing, but most webhooks' reports are incomplete
    long incomplete = run.reports().stream().filter(r -> !r.isComplete()).count();
    // 34 requests: 16 webhooks purged, 2 half purged
    assertThat(incomplete).isEqualTo(184);
    assertThat(mostInAMinute(run.requestTimes())).isEqualTo(29);
    // 25 at once, then one every 12 s as long as a waiting purge is within its deadline (the
    // last webhook's purge started at 19.9 s, so until 109.9 s: tokens at 12, 24, ..., 108 s)
    assertThat(h.server.requests()).hasSize(25 + 9);
    assertThat(h.server.throttled()).isZero();
  }
}
