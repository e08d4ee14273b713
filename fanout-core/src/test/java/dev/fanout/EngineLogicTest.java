package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.spi.Ack;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.Notifier;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** Tests for the engine's decisions, driven by a manual clock: nothing here sleeps. */
class EngineLogicTest {
  private final ManualClock clock = new ManualClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final List<Duration> retryDelays = Collections.synchronizedList(new ArrayList<>());
  private final FanoutListener recorder = new FanoutListener() {
    @Override
    public void onRetryScheduled(Invalidation inv, String stage, Endpoint e, int next, Duration delay) {
      retryDelays.add(delay);
    }
  };
  private final Invalidation inv = Invalidation.builder().path("/a").tag("t").build();

  private Invalidator.Builder engine(long seed) {
    return Invalidator.builder()
        .clock(clock)
        .scheduler(scheduler)
        .executor(Runnable::run)
        .random(new SplittableRandom(seed))
        .listener(recorder);
  }

  /** A notifier whose answers are scripted per endpoint and attempt. */
  private static Notifier scripted(BiFunction<Endpoint, Integer, CompletableFuture<Ack>> script) {
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    return (e, i) -> script.apply(e, counts.computeIfAbsent(e.authority(), k -> new AtomicInteger()).incrementAndGet());
  }

  private static CompletableFuture<Ack> fail(ErrorKind kind, int status, Duration retryAfter) {
    return CompletableFuture.failedFuture(new DeliveryException(kind, status, retryAfter, "scripted", null));
  }

  private static final Endpoint A = Endpoint.of("10.0.0.1", 3000);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 3000);

  @Test
  void retriesUseFullJitterBackoffFromTheSeededRandom() {
    RetryPolicy policy = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofMillis(250));
    Notifier n = scripted((e, attempt) -> attempt < 5
        ? fail(ErrorKind.UNAVAILABLE, 503, null) : CompletableFuture.completedFuture(Ack.of(200)));
    Invalidator inv1 = engine(42).stage(Stage.fanout("web", Discovery.of(A), n).retry(policy)).build();

    CompletableFuture<InvalidationReport> f = inv1.invalidate(inv);
    scheduler.advance(Duration.ofSeconds(2));

    InvalidationReport r = f.join();
    assertThat(r.isComplete()).isTrue();
    assertThat(r.stage("web").targets().get(0).attempts()).isEqualTo(5);
    // The same seed gives the same delays: bounds 100, 200, 250 (capped), 250 ms.
    SplittableRandom expected = new SplittableRandom(42);
    List<Duration> want = new ArrayList<>();
    for (int attempt = 1; attempt <= 4; attempt++) {
      want.add(policy.backoff(attempt, expected));
    }
    assertThat(retryDelays).containsExactlyElementsOf(want);
    assertThat(retryDelays.get(0)).isLessThanOrEqualTo(Duration.ofMillis(100));
    assertThat(retryDelays.get(1)).isLessThanOrEqualTo(Duration.ofMillis(200));
    assertThat(retryDelays.subList(2, 4)).allMatch(d -> d.compareTo(Duration.ofMillis(250)) <= 0);
  }

  @Test
  void retryAfterIsHonouredExactly() {
    Notifier n = scripted((e, attempt) -> attempt == 1
        ? fail(ErrorKind.THROTTLED, 429, Duration.ofSeconds(2)) : CompletableFuture.completedFuture(Ack.of(200)));
    Invalidator i = engine(1).stage(Stage.fanout("web", Discovery.of(A), n)).build();

    CompletableFuture<InvalidationReport> f = i.invalidate(inv);
    scheduler.advance(Duration.ofMillis(1999));
    assertThat(f).isNotDone();
    scheduler.advance(Duration.ofMillis(1));

    assertThat(f.join().isComplete()).isTrue();
    assertThat(retryDelays).containsExactly(Duration.ofSeconds(2));
  }

  @Test
  void retryAfterBeyondTheDeadlineFailsAtOnceInsteadOfParking() {
    Notifier n = scripted((e, attempt) -> fail(ErrorKind.UNAVAILABLE, 503, Duration.ofSeconds(86400)));
    Invalidator i = engine(1).deadline(Duration.ofSeconds(10))
        .stage(Stage.fanout("web", Discovery.of(A), n)).build();

    InvalidationReport r = i.invalidate(inv).join();

    TargetResult t = r.stage("web").targets().get(0);
    assertThat(t.outcome()).isEqualTo(TargetResult.Outcome.FAILED);
    assertThat(t.attempts()).isEqualTo(1);
    assertThat(t.status()).isEqualTo(503);
    assertThat(t.error()).contains("exceeds the deadline");
  }

  @Test
  void clientErrorsAreNotRetriedAndAreReportedDistinctly() {
    Notifier n = scripted((e, attempt) -> e.equals(A)
        ? fail(ErrorKind.UNAUTHORIZED, 401, null) : fail(ErrorKind.REJECTED, 404, null));
    Invalidator i = engine(1).stage(Stage.fanout("web", Discovery.of(A, B), n)).build();

    InvalidationReport r = i.invalidate(inv).join();

    assertThat(r.stage("web").targets()).extracting(TargetResult::attempts).containsExactly(1, 1);
    assertThat(r.stage("web").targets()).extracting(TargetResult::errorKind)
        .containsExactly(ErrorKind.UNAUTHORIZED, ErrorKind.REJECTED);
    assertThat(r.summary()).contains("10.0.0.1:3000 401 unauthorized").contains("404 rejected");
  }

  @Test
  void overallDeadlineBoundsAHungTargetAndHoldsThePurge() {
    RecordingPurger cdn = new RecordingPurger();
    Notifier hung = (e, i) -> new CompletableFuture<>();
    Invalidator i = engine(1).deadline(Duration.ofSeconds(10))
        .stage(Stage.fanout("web", Discovery.of(A), hung).attemptTimeout(Duration.ofSeconds(3)))
        .stage(Stage.purge("cdn", cdn))
        .build();

    CompletableFuture<InvalidationReport> f = i.invalidate(inv);
    scheduler.advance(Duration.ofMillis(9_999));
    assertThat(f).isNotDone();
    scheduler.advance(Duration.ofMillis(1));

    InvalidationReport r = f.join();
    TargetResult t = r.stage("web").targets().get(0);
    assertThat(t.outcome()).isEqualTo(TargetResult.Outcome.FAILED);
    assertThat(t.errorKind()).isEqualTo(ErrorKind.DEADLINE);
    assertThat(t.attempts()).isGreaterThanOrEqualTo(3);
    assertThat(r.stage("cdn").status()).isEqualTo(StageReport.Status.SKIPPED);
    assertThat(r.stage("cdn").detail()).isEqualTo("gate 'web' not met");
    assertThat(cdn.calls).isZero();
    assertThat(r.summary()).contains("cdn: skipped (gate 'web' not met)");
  }

  @Test
  void zeroTargetsIsAFailureByDefaultAndASuccessWithMinTargetsZero() {
    Notifier n = (e, i) -> CompletableFuture.completedFuture(Ack.of(200));
    Invalidator strict = engine(1).stage(Stage.fanout("web", Discovery.of(), n)).build();
    Invalidator lax = engine(1).stage(Stage.fanout("web", Discovery.of(), n).minTargets(0)).build();

    StageReport s = strict.invalidate(inv).join().stage("web");
    assertThat(s.status()).isEqualTo(StageReport.Status.FAILED);
    assertThat(s.detail()).isEqualTo("found 0 targets, minTargets is 1");
    assertThat(lax.invalidate(inv).join().isComplete()).isTrue();
  }

  @Test
  void discoveryFailureIsAFailedStageNotAnException() {
    Discovery broken = () -> CompletableFuture.failedFuture(new DiscoveryException("SERVFAIL from 10.96.0.10"));
    Discovery throwing = () -> {
      throw new IllegalStateException("bug");
    };
    Notifier n = (e, i) -> CompletableFuture.completedFuture(Ack.of(200));

    StageReport s1 = engine(1).stage(Stage.fanout("web", broken, n)).build().invalidate(inv).join().stage("web");
    StageReport s2 = engine(1).stage(Stage.fanout("web", throwing, n)).build().invalidate(inv).join().stage("web");

    assertThat(s1.status()).isEqualTo(StageReport.Status.FAILED);
    assertThat(s1.detail()).isEqualTo("discovery failed: SERVFAIL from 10.96.0.10");
    assertThat(s2.detail()).startsWith("discovery failed: IllegalStateException: bug");
  }

  @Test
  void duplicateAddressesAreContactedOnceAndTerminatingOnesAreSkipped() {
    AtomicInteger calls = new AtomicInteger();
    Notifier n = (e, i) -> {
      calls.incrementAndGet();
      return CompletableFuture.completedFuture(Ack.of(200));
    };
    Endpoint v6a = Endpoint.of("::1", 80);
    Endpoint v6b = Endpoint.of("0:0:0:0:0:0:0:1", 80);
    Endpoint gone = Endpoint.of("10.0.0.9", 3000).withState(Endpoint.State.TERMINATING);
    Discovery d = Discovery.of(A, A.withName("dup"), v6a, v6b, gone);

    StageReport s = engine(1).stage(Stage.fanout("web", d, n).recheck(false)).build().invalidate(inv).join().stage("web");

    assertThat(calls).hasValue(2);
    assertThat(s.targets(TargetResult.Outcome.SKIPPED)).extracting(TargetResult::endpoint).containsExactly(gone);
    assertThat(s.status()).isEqualTo(StageReport.Status.SUCCEEDED);
  }

  @Test
  void quorumGateLetsTheNextStageRunAndReportsPartial() {
    RecordingPurger cdn = new RecordingPurger();
    Notifier n = scripted((e, attempt) -> e.equals(A)
        ? CompletableFuture.completedFuture(Ack.of(200)) : fail(ErrorKind.UNAUTHORIZED, 403, null));
    InvalidationReport r = engine(1)
        .stage(Stage.fanout("web", Discovery.of(A, B), n).gate(Gate.quorum(0.5)))
        .stage(Stage.purge("cdn", cdn))
        .build().invalidate(inv).join();

    assertThat(r.stage("web").status()).isEqualTo(StageReport.Status.PARTIAL);
    assertThat(r.stage("cdn").status()).isEqualTo(StageReport.Status.SUCCEEDED);
    assertThat(r.isComplete()).isFalse();
    assertThat(cdn.calls).isEqualTo(1);
  }

  @Test
  void aThrowingListenerNeverChangesTheOutcome() {
    FanoutListener bad = new FanoutListener() {
      @Override
      public void onAttemptStart(Invalidation i, String s, Endpoint e, int a) {
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void onStageEnd(Invalidation i, StageReport r) {
        throw new IllegalStateException("listener bug");
      }
    };
    Notifier n = (e, i) -> CompletableFuture.completedFuture(Ack.of(200));
    InvalidationReport r = engine(1).listener(bad).stage(Stage.fanout("web", Discovery.of(A, B), n))
        .build().invalidate(inv).join();

    assertThat(r.isComplete()).isTrue();
  }

  @Test
  void aPurgerThatNeverAnswersIsReportedAtTheDeadline() {
    Purger hung = new Purger() {
      @Override
      public java.util.concurrent.CompletionStage<PurgeResult> purge(Invalidation i) {
        return new CompletableFuture<>();
      }

      @Override
      public String name() {
        return "cdn:hung";
      }
    };
    CompletableFuture<InvalidationReport> f = engine(1).deadline(Duration.ofSeconds(5))
        .stage(Stage.purge("cdn", hung, new RecordingPurger())).build().invalidate(inv);
    scheduler.advance(Duration.ofSeconds(5));

    StageReport s = f.join().stage("cdn");
    assertThat(s.status()).isEqualTo(StageReport.Status.FAILED);
    assertThat(s.purges()).extracting(PurgeResult::status)
        .containsExactly(PurgeResult.Status.FAILED, PurgeResult.Status.SUCCEEDED);
    assertThat(s.purges().get(0).errorKind()).isEqualTo(ErrorKind.DEADLINE);
    assertThat(s.purges().get(0).notPurged()).containsExactly("/a", "t");
  }

  @Test
  void cancellingTheFutureCancelsTheCallsInFlight() {
    List<CompletableFuture<Ack>> calls = Collections.synchronizedList(new ArrayList<>());
    Notifier n = (e, i) -> {
      CompletableFuture<Ack> c = new CompletableFuture<>();
      calls.add(c);
      return c;
    };
    CompletableFuture<InvalidationReport> f =
        engine(1).stage(Stage.fanout("web", Discovery.of(A, B), n)).build().invalidate(inv);
    assertThat(calls).hasSize(2);

    f.cancel(true);

    assertThat(calls).allMatch(CompletableFuture::isCancelled);
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void concurrencyLimitHoldsBackTheRest() {
    List<CompletableFuture<Ack>> calls = Collections.synchronizedList(new ArrayList<>());
    Notifier n = (e, i) -> {
      CompletableFuture<Ack> c = new CompletableFuture<>();
      calls.add(c);
      return c;
    };
    List<Endpoint> many = new ArrayList<>();
    for (int k = 1; k <= 10; k++) {
      many.add(Endpoint.of("10.1.0." + k, 80));
    }
    CompletableFuture<InvalidationReport> f = engine(1)
        .stage(Stage.fanout("web", Discovery.of(many), n).concurrency(3).recheck(false)).build().invalidate(inv);

    for (int done = 0; done < 10; done++) {
      assertThat(calls.size() - done).isEqualTo(Math.min(3, 10 - done));
      calls.get(done).complete(Ack.of(200));
    }
    assertThat(f.join().stage("web").acked()).isEqualTo(10);
  }

  @Test
  void aRunKeepsAtMostHalfTheDescriptorLimitInFlight() {
    assertThat(Engine.concurrencyWithin(Stage.Fanout.DEFAULT_CONCURRENCY, 1024)).isEqualTo(512);
    assertThat(Engine.concurrencyWithin(Stage.Fanout.DEFAULT_CONCURRENCY, 1 << 20))
        .isEqualTo(Stage.Fanout.DEFAULT_CONCURRENCY);
    assertThat(Engine.concurrencyWithin(3, 1)).isEqualTo(1);
    // A JVM that cannot tell its limit keeps the setting.
    assertThat(Engine.concurrencyWithin(5000, 0)).isEqualTo(5000);
  }

  @Test
  void closedInvalidatorRejectsNewWork() {
    Invalidator i = engine(1).stage(Stage.fanout("web", Discovery.of(A),
        (e, x) -> CompletableFuture.completedFuture(Ack.of(200)))).build();
    i.close();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> i.invalidate(inv))
        .isInstanceOf(InvalidatorClosedException.class).hasMessageContaining(inv.id());
  }

  @Test
  void anExecutorThatRefusesTasksDoesNotLoseTheInvalidation() {
    Notifier n = (e, i) -> CompletableFuture.completedFuture(Ack.of(200));
    java.util.concurrent.Executor refusing = r -> {
      throw new java.util.concurrent.RejectedExecutionException("full");
    };
    InvalidationReport r = engine(1).executor(refusing)
        .stage(Stage.fanout("web", Discovery.of(A, B), n)).build().invalidate(inv).join();

    assertThat(r.isComplete()).isTrue();
  }

  @Test
  void theWatchdogReportsAnInvalidationWhoseTasksWereDropped() {
    // An executor that silently drops every task: nothing would ever run without the watchdog.
    RecordingPurger cdn = new RecordingPurger();
    CompletableFuture<InvalidationReport> f = engine(1).executor(r -> { })
        .deadline(Duration.ofSeconds(10))
        .stage(Stage.fanout("web", Discovery.of(A), (e, i) -> CompletableFuture.completedFuture(Ack.of(200))))
        .stage(Stage.purge("cdn", cdn))
        .build().invalidate(inv);
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(f).isNotDone();

    scheduler.advance(Duration.ofSeconds(1));

    InvalidationReport r = f.join();
    assertThat(r.isComplete()).isFalse();
    assertThat(r.stages()).extracting(StageReport::status)
        .containsExactly(StageReport.Status.SKIPPED, StageReport.Status.SKIPPED);
    assertThat(r.stage("web").detail()).isEqualTo("the invalidation's deadline passed");
    assertThat(cdn.calls).isZero();
  }

  @Test
  void aPluginThatIgnoresCancellationStillEndsAtTheDeadline() {
    // A notifier whose future nobody completes and that ignores cancellation.
    CompletableFuture<InvalidationReport> f = engine(1).deadline(Duration.ofSeconds(10))
        .stage(Stage.fanout("web", Discovery.of(A, B),
            (e, i) -> e.equals(A) ? CompletableFuture.completedFuture(Ack.of(200)) : new CompletableFuture<Ack>() {
              @Override
              public boolean cancel(boolean mayInterrupt) {
                return false; // a plug-in that ignores cancellation and never completes
              }

              @Override
              public boolean completeExceptionally(Throwable ex) {
                return false;
              }
            })
            .attemptTimeout(Duration.ofSeconds(60)).retry(RetryPolicy.none()))
        .build().invalidate(inv);

    scheduler.advance(Duration.ofSeconds(11));

    StageReport web = f.join().stage("web");
    assertThat(web.targets()).extracting(TargetResult::outcome)
        .containsExactly(TargetResult.Outcome.ACKED, TargetResult.Outcome.FAILED);
    assertThat(web.targets().get(1).errorKind()).isEqualTo(ErrorKind.DEADLINE);
  }

  /** A purger that records its calls and succeeds. */
  static final class RecordingPurger implements Purger {
    volatile int calls;

    @Override
    public java.util.concurrent.CompletionStage<PurgeResult> purge(Invalidation i) {
      calls++;
      return CompletableFuture.completedFuture(PurgeResult.succeeded("cdn:test", 1, List.of("req-1")));
    }

    @Override
    public String name() {
      return "cdn:test";
    }
  }
}
