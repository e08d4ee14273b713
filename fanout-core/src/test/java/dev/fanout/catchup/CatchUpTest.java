package dev.fanout.catchup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.Endpoint;
import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.journal.InMemoryJournal;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.catchup.CatchUpReport.Outcome;
import dev.fanout.catchup.CatchUpReport.Reason;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The catch-up's decisions, on a manual clock and scheduler: nothing here sleeps. */
class CatchUpTest {
  private static final Endpoint A = Endpoint.of("10.0.0.1", 3000);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 3000);
  private static final Duration SETTLE = Duration.ofSeconds(1);

  private final ManualClock clock = new ManualClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final FakeTier tier = new FakeTier();
  private final List<CatchUpReport> reports = Collections.synchronizedList(new ArrayList<>());
  private final List<Invalidator> built = new ArrayList<>();
  private final CatchUpPolicy policy = CatchUpPolicy.of(Duration.ofHours(1))
      .withRetry(new RetryPolicy(4, Duration.ofMillis(500), Duration.ofSeconds(4)))
      .withClockSkew(Duration.ZERO);

  @AfterEach
  void close() {
    built.forEach(i -> i.close(Duration.ZERO));
  }

  private Invalidator invalidator(CatchUpPolicy p) {
    return invalidator(p, Invalidator.builder());
  }

  private Invalidator invalidator(CatchUpPolicy p, Invalidator.Builder builder) {
    Invalidator i = builder
        .clock(clock)
        .scheduler(scheduler)
        .executor(Runnable::run)
        .random(new SplittableRandom(7))
        .listener(new FanoutListener() {
          @Override
          public void onCatchUp(CatchUpReport report) {
            reports.add(report);
          }
        })
        .stage(Stage.fanout("web", tier, tier).retry(RetryPolicy.none()).catchUp(p))
        .build();
    built.add(i);
    return i;
  }

  private InvalidationReport run(Invalidator i, Invalidation inv) {
    CompletableFuture<InvalidationReport> f = i.invalidate(inv);
    scheduler.runDue();
    return f.join();
  }

  private static Invalidation inv(String path, String tag) {
    return Invalidation.builder().path(path).tag(tag).build();
  }

  private static Endpoint notReady(Endpoint e) {
    return e.withState(Endpoint.State.NOT_READY);
  }

  @Test
  void aReplicaThatJoinsGetsTheWindowsPathsAndTagsUnitedOnceSettled() {
    tier.set(A);
    Invalidator i = invalidator(policy);
    run(i, inv("/old", "post:0"));
    scheduler.advance(Duration.ofMinutes(61));   // /old falls out of the one-hour window
    run(i, inv("/posts/1", "post:1"));
    run(i, inv("/posts/2", "post:2"));
    run(i, inv("/posts/1", "post:1"));

    tier.set(A, B);
    scheduler.advance(SETTLE.minusMillis(1));
    assertThat(tier.calls(B, "start")).as("no catch-up before the settle delay").isEmpty();
    scheduler.advance(Duration.ofMillis(1));

    assertThat(tier.histories(B)).hasSize(1);
    Invalidation history = tier.histories(B).get(0);
    assertThat(history.paths()).containsExactly("/posts/1", "/posts/2");
    assertThat(history.tags()).containsExactly("post:1", "post:2");
    assertThat(tier.calls(B, "done")).hasSize(1);
    assertThat(tier.histories(A)).as("the replica that stayed is not caught up").isEmpty();
    assertThat(reports).singleElement().satisfies(r -> {
      assertThat(r.reason()).isEqualTo(Reason.JOINED);
      assertThat(r.outcome()).isEqualTo(Outcome.CAUGHT_UP);
      assertThat(r.entries()).isEqualTo(3);
      assertThat(r.paths()).isEqualTo(2);
      assertThat(r.tags()).isEqualTo(2);
      assertThat(r.elapsed()).isEqualTo(SETTLE);
      assertThat(r.summary()).startsWith("catch-up web 10.0.0.2:3000 (joined): caught up, 2 paths and 2 tags of 3");
    });
  }

  @Test
  void aReplicaWithNothingInTheWindowIsStillToldItIsCaughtUp() {
    tier.set(A);
    invalidator(policy);
    tier.set(A, B);
    scheduler.advance(SETTLE);

    assertThat(tier.histories(B)).isEmpty();
    assertThat(tier.calls(B, "done")).as("a replica holding readiness needs the end").hasSize(1);
    assertThat(reports).singleElement().satisfies(r -> assertThat(r.isCaughtUp()).isTrue());
  }

  @Test
  void theDoneCarriesBackTheNonceOfItsOwnStart() {
    tier.set(A);
    invalidator(policy);
    tier.set(A, B);
    scheduler.advance(SETTLE);
    tier.set(A);
    scheduler.advance(SETTLE);
    tier.set(A, B);
    scheduler.advance(SETTLE);

    List<String> starts = tier.calls(B, "start").stream().map(FakeTier.Call::nonce).toList();
    List<String> dones = tier.calls(B, "done").stream().map(FakeTier.Call::nonce).toList();
    assertThat(starts).hasSize(2).doesNotHaveDuplicates().doesNotContainNull();
    assertThat(dones).as("each done answers its own start").isEqualTo(starts);
  }

  @Test
  void aDoneTheReplicaDidNotCountIsTriedAgainFromAFreshStart() {
    tier.set(A);
    Invalidator i = invalidator(policy);
    run(i, inv("/posts/1", "post:1"));
    // The replica no longer holds the start's nonce (it restarted, or the nonce was pushed out).
    tier.uncountedDones.put(B.authority(), 1);
    tier.set(A, B);
    scheduler.advance(SETTLE);
    assertThat(tier.calls(B, "done")).hasSize(1);
    assertThat(reports).as("not recorded as caught up").isEmpty();

    scheduler.advance(Duration.ofMillis(500));   // the first backoff is at most 500 ms
    List<String> starts = tier.calls(B, "start").stream().map(FakeTier.Call::nonce).toList();
    assertThat(starts).hasSize(2).doesNotHaveDuplicates();
    assertThat(tier.calls(B, "done").get(1).nonce()).as("the retry's done carries its own start's nonce")
        .isEqualTo(starts.get(1));
    assertThat(tier.histories(B)).hasSize(2);
    assertThat(reports).singleElement().satisfies(r -> {
      assertThat(r.isCaughtUp()).isTrue();
      assertThat(r.attempts()).isEqualTo(2);
    });
  }

  @Test
  void aDoneNeverCountedIsRetriedWithBackoffThenReportedAndLeftUntilTheReplicaAppearsAgain() {
    tier.set(A);
    Invalidator i = invalidator(policy);
    tier.uncountedDones.put(B.authority(), Integer.MAX_VALUE);
    tier.set(A, B);
    scheduler.advance(SETTLE.plusMillis(3500));

    assertThat(tier.calls(B, "start")).hasSize(4);
    assertThat(reports).singleElement().satisfies(r -> {
      assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
      assertThat(r.error()).contains("did not count");
    });

    // Unlike an unreachable replica, it is not sent the history every few seconds from then on:
    // only when it appears again (here: it acknowledges a delivery).
    scheduler.advance(Duration.ofMinutes(1));
    assertThat(tier.calls(B, "start")).hasSize(4);
    tier.uncountedDones.remove(B.authority());
    run(i, inv("/posts/2", "post:2"));
    scheduler.advance(SETTLE);
    assertThat(tier.calls(B, "start")).hasSize(5);
    assertThat(reports).hasSize(2);
    assertThat(reports.get(1).isCaughtUp()).isTrue();
  }

  @Test
  void aReplicaThatTurnsNotReadyIsCaughtUpOnceAndNotAgainWhenReady() {
    tier.set(A, B);
    Invalidator i = invalidator(policy);
    run(i, inv("/posts/1", "post:1"));

    tier.set(A, notReady(B));   // restarting in place, holding its readiness until caught up
    scheduler.advance(SETTLE);
    tier.set(A, B);              // ready once caught up
    scheduler.advance(Duration.ofMinutes(1));

    assertThat(tier.histories(B)).hasSize(1);
    assertThat(reports).singleElement().satisfies(r -> assertThat(r.reason()).isEqualTo(Reason.NOT_READY));
  }

  @Test
  void aReplicaThatMissedADeliveryIsCaughtUpWhenItIsReachableAgain() {
    tier.set(A, B);
    Invalidator i = invalidator(policy);
    tier.down.add(B.authority());
    InvalidationReport report = run(i, inv("/posts/1", "post:1"));
    assertThat(report.isComplete()).as("the report names the replica as failed").isFalse();
    run(i, inv("/posts/2", "post:2"));

    scheduler.advance(SETTLE.plusMillis(700));   // first attempt fails, a retry is waiting
    assertThat(tier.calls(B, "start")).isNotEmpty();
    tier.down.remove(B.authority());
    scheduler.advance(Duration.ofSeconds(10));

    assertThat(tier.histories(B)).hasSize(1);
    assertThat(tier.histories(B).get(0).paths()).containsExactly("/posts/1", "/posts/2");
    assertThat(reports).singleElement().satisfies(r -> {
      assertThat(r.reason()).isEqualTo(Reason.MISSED);
      assertThat(r.isCaughtUp()).isTrue();
      assertThat(r.attempts()).isGreaterThan(1);
    });
  }

  @Test
  void aFlappingReplicaIsCaughtUpOnceItIsStable() {
    tier.set(A);
    Invalidator i = invalidator(policy);
    run(i, inv("/posts/1", "post:1"));

    for (int k = 0; k < 5; k++) {
      tier.set(A, B);
      scheduler.advance(Duration.ofMillis(300));
      tier.set(A, notReady(B));
      scheduler.advance(Duration.ofMillis(300));
      tier.set(A);
      scheduler.advance(Duration.ofMillis(300));
    }
    tier.set(A, B);
    scheduler.advance(Duration.ofMinutes(1));

    assertThat(tier.calls(B, "start")).hasSize(1);
    assertThat(tier.histories(B)).hasSize(1);
    assertThat(reports).hasSize(1);
  }

  @Test
  void tenReplicasStartingTogetherAreCaughtUpWithBoundedConcurrencyOnceEach() {
    tier.set(A);
    Invalidator i = invalidator(policy);
    run(i, inv("/posts/1", "post:1"));
    tier.hold = true;
    List<Endpoint> pods = new ArrayList<>(List.of(A));
    for (int k = 0; k < 10; k++) {
      pods.add(Endpoint.of("10.0.1." + (k + 1), 3000));
    }
    tier.set(pods.toArray(Endpoint[]::new));
    scheduler.advance(SETTLE);

    int maxInFlight = 0;
    int released = 0;
    while (released < 10) {
      int inFlight;
      synchronized (tier.held) {
        inFlight = (int) tier.held.stream().filter(f -> !f.isDone()).count();
      }
      maxInFlight = Math.max(maxInFlight, inFlight);
      assertThat(inFlight).as("catch-ups in flight").isPositive();
      tier.held.get(released++).complete(Optional.empty());
      scheduler.runDue();
    }

    assertThat(maxInFlight).isEqualTo(CatchUpPolicy.DEFAULT_CONCURRENCY);
    for (Endpoint pod : pods.subList(1, pods.size())) {
      assertThat(tier.histories(pod)).as(pod.toString()).hasSize(1);
    }
    assertThat(reports).hasSize(10).allSatisfy(r -> assertThat(r.isCaughtUp()).isTrue());
  }

  @Test
  void aReplicaThatCannotBeReachedIsRetriedWithBackoffThenReportedOnceThenCaughtUpWhenItReturns() {
    tier.set(A);
    invalidator(policy);
    tier.down.add(B.authority());
    tier.set(A, B);
    scheduler.advance(SETTLE);
    assertThat(tier.calls(B, "start")).hasSize(1);

    // Backoff bounds 500 ms, 1 s, 2 s (full jitter): the fourth attempt is due within 3.5 s.
    scheduler.advance(Duration.ofMillis(3500));
    assertThat(tier.calls(B, "start")).hasSize(4);
    assertThat(reports).singleElement().satisfies(r -> {
      assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
      assertThat(r.attempts()).isEqualTo(4);
      assertThat(r.error()).contains("connection refused");
      assertThat(r.errorKind()).isEqualTo(dev.fanout.ErrorKind.CONNECT);
    });

    // Still discovered: tried again every maxDelay (4 s), quietly.
    scheduler.advance(Duration.ofSeconds(8));
    assertThat(tier.calls(B, "start")).hasSize(6);
    assertThat(reports).hasSize(1);

    tier.down.remove(B.authority());
    scheduler.advance(Duration.ofSeconds(4));
    assertThat(reports).hasSize(2);
    assertThat(reports.get(1).isCaughtUp()).isTrue();
  }

  @Test
  void aReplicaThatLeavesIsForgotten() {
    tier.set(A);
    invalidator(policy);
    tier.down.add(B.authority());
    tier.set(A, B);
    scheduler.advance(SETTLE);
    tier.set(A);
    scheduler.advance(Duration.ofMinutes(1));

    assertThat(tier.calls(B, "start")).hasSize(1);
    assertThat(reports).isEmpty();
  }

  @Test
  void aRefusalIsReportedAtOnceAndNotRetried() {
    tier.set(A);
    Invalidator i = invalidator(policy);
    run(i, inv("/posts/1", "post:1"));
    tier.refuse.put(B.authority(), 401);
    tier.set(A, B);
    scheduler.advance(Duration.ofMinutes(1));

    assertThat(tier.histories(B)).hasSize(1);
    assertThat(reports).singleElement().satisfies(r -> {
      assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
      assertThat(r.attempts()).isEqualTo(1);
      assertThat(r.error()).startsWith("401 unauthorized");
    });
  }

  @Test
  void withAJournalEachOutcomeIsRecordedInItsHistory() {
    Endpoint c = Endpoint.of("10.0.0.3", 3000);
    InMemoryJournal journal = InMemoryJournal.builder().clock(clock).build();
    Invalidation posted = inv("/posts/1", "post:1");
    journal.append(posted);
    journal.claim("earlier-sender", 1, Duration.ofMinutes(1));
    journal.complete(posted.id(), "earlier-sender", InvalidationStatus.State.DELIVERED, "delivered");
    tier.set(A);
    invalidator(policy, Invalidator.builder().journal(journal));
    tier.refuse.put(B.authority(), 401);
    tier.set(A, B);
    scheduler.advance(Duration.ofMinutes(1));
    tier.set(A, B, c);
    scheduler.advance(SETTLE);

    List<CatchUpRecord> records = journal.recentCatchUps(10);
    assertThat(records).as("newest first").hasSize(2);
    assertThat(records.get(0)).satisfies(r -> {
      assertThat(r.stage()).isEqualTo("web");
      assertThat(r.target()).isEqualTo("10.0.0.3:3000");
      assertThat(r.reason()).isEqualTo(Reason.JOINED);
      assertThat(r.outcome()).isEqualTo(Outcome.CAUGHT_UP);
      assertThat(r.at()).isEqualTo(clock.instant());
      assertThat(r.paths()).isEqualTo(1);
      assertThat(r.tags()).isEqualTo(1);
      assertThat(r.entries()).isEqualTo(1);
      assertThat(r.attempts()).isEqualTo(1);
      assertThat(r.elapsed()).isEqualTo(SETTLE);
      assertThat(r.error()).isNull();
    });
    assertThat(records.get(1)).satisfies(r -> {
      assertThat(r.target()).isEqualTo("10.0.0.2:3000");
      assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
      assertThat(r.error()).startsWith("401 unauthorized");
    });
    assertThat(journal.recentCatchUps(1)).containsExactly(records.get(0));
  }

  @Test
  void freshSinceNarrowsTheWindow() {
    tier.set(A);
    Invalidator i = invalidator(policy);
    run(i, inv("/posts/1", "post:1"));
    scheduler.advance(Duration.ofMinutes(10));
    Instant built = clock.instant();
    scheduler.advance(Duration.ofMinutes(10));
    run(i, inv("/posts/2", "post:2"));

    tier.freshSince.put(B.authority(), built);
    tier.set(A, B);
    scheduler.advance(SETTLE);

    assertThat(tier.histories(B)).singleElement().satisfies(h -> {
      assertThat(h.paths()).containsExactly("/posts/2");
      assertThat(h.tags()).containsExactly("post:2");
    });
    assertThat(reports).singleElement().satisfies(r -> {
      assertThat(r.freshSince()).isEqualTo(built);
      assertThat(r.since()).isEqualTo(built);
    });
  }

  @Test
  void aFreshSinceOlderThanTheWindowDoesNotWidenIt() {
    tier.set(A);
    Invalidator i = invalidator(policy);
    run(i, inv("/old", "post:0"));
    scheduler.advance(Duration.ofHours(2));
    run(i, inv("/posts/1", "post:1"));
    tier.freshSince.put(B.authority(), Instant.EPOCH);
    tier.set(A, B);
    scheduler.advance(SETTLE);

    assertThat(tier.histories(B)).singleElement()
        .satisfies(h -> assertThat(h.paths()).containsExactly("/posts/1"));
  }

  @Test
  void aReceiverThatDoesNotKnowTheSignalsGetsTheWholeWindow() {
    tier.set(A);
    Invalidator i = invalidator(policy);
    run(i, inv("/posts/1", "post:1"));
    tier.speaksCatchUp = false;
    tier.set(A, B);
    scheduler.advance(SETTLE);

    assertThat(tier.histories(B)).singleElement()
        .satisfies(h -> assertThat(h.paths()).containsExactly("/posts/1"));
    assertThat(reports).singleElement().satisfies(r -> {
      assertThat(r.isCaughtUp()).isTrue();
      assertThat(r.freshSince()).isNull();
    });
  }

  @Test
  void aStageWithoutCatchUpSendsNothingToAReplicaThatJoins() {
    tier.set(A);
    Invalidator i = Invalidator.builder().clock(clock).scheduler(scheduler).executor(Runnable::run)
        .stage(Stage.fanout("web", tier, tier)).build();
    built.add(i);
    run(i, inv("/posts/1", "post:1"));
    tier.set(A, B);
    scheduler.advance(Duration.ofMinutes(1));

    assertThat(tier.calls(B, "start")).isEmpty();
    assertThat(tier.calls(B, "deliver")).isEmpty();
  }

  @Test
  void thePolicyRefusesValuesOutOfRangeByName() {
    assertThatThrownBy(() -> CatchUpPolicy.of(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window");
    assertThatThrownBy(() -> policy.withConcurrency(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("concurrency");
    assertThatThrownBy(() -> policy.withSettle(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("settle");
  }
}
