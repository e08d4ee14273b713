package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.spi.Ack;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.Notifier;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Tests for {@link Invalidator#submit}: coalescing on a manual clock, nothing here sleeps. */
class CoalescerTest {
  private static final Endpoint POD = Endpoint.of("10.0.0.1", 3000);

  private final ManualClock clock = new ManualClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final Instant t0 = clock.instant();
  private final RecordingPurger cdn = new RecordingPurger();
  private final List<String> flushes = Collections.synchronizedList(new ArrayList<>());
  private final FanoutListener listener = new FanoutListener() {
    @Override
    public void onFlush(Invalidation merged, int submissions, int superseded) {
      flushes.add(merged.id() + " " + submissions + " " + superseded);
    }
  };

  /** Answers at once unless {@link #hold} is set; held calls wait in {@link #held}. */
  private final List<CompletableFuture<Ack>> held = Collections.synchronizedList(new ArrayList<>());
  private volatile boolean hold;
  private final Notifier notifier = (e, inv) -> {
    if (hold) {
      CompletableFuture<Ack> call = new CompletableFuture<>();
      held.add(call);
      return call;
    }
    return CompletableFuture.completedFuture(Ack.of(200));
  };

  private Invalidator.Builder builder() {
    return Invalidator.builder()
        .clock(clock)
        .scheduler(scheduler)
        .executor(Runnable::run)
        .listener(listener)
        .stage(Stage.fanout("web", Discovery.of(POD), notifier).recheck(false))
        .stage(Stage.purge("cdn", cdn));
  }

  private static Invalidation paths(String... paths) {
    return Invalidation.builder().paths(List.of(paths)).build();
  }

  private static Invalidation version(String path, String entity, long version) {
    return Invalidation.builder().path(path).entity(entity, version).build();
  }

  @Test
  void aBurstOfWebhooksMergesIntoOneFlushAfterTheQuietPeriod() {
    // Given one CMS publish firing four webhooks 100 ms apart
    Invalidator invalidator = builder().build();
    List<Invalidation> webhooks = List.of(
        Invalidation.builder().path("/blog/hello").tag("post:42").build(),
        Invalidation.builder().path("/blog/hello").tag("author:7").build(),
        Invalidation.builder().path("/assets/hero.jpg").build(),
        Invalidation.builder().path("/blog/hello").path("/blog").tag("post:42").build());
    List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>();

    // When
    for (Invalidation w : webhooks) {
      futures.add(invalidator.submit(w));
      scheduler.advance(Duration.ofMillis(100));
    }
    scheduler.advance(Duration.ofMillis(399));

    // Then nothing is sent until 500 ms after the last webhook, then exactly once
    assertThat(cdn.purged).isEmpty();
    assertThat(futures).noneMatch(CompletableFuture::isDone);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(cdn.purged).hasSize(1);
    assertThat(cdn.times).containsExactly(t0.plusMillis(800));
    Invalidation merged = cdn.purged.get(0);
    assertThat(merged.paths()).containsExactly("/blog/hello", "/assets/hero.jpg", "/blog");
    assertThat(merged.tags()).containsExactly("post:42", "author:7");
    assertThat(webhooks).extracting(Invalidation::id).doesNotContain(merged.id());
    InvalidationReport report = futures.get(0).join();
    assertThat(futures).allSatisfy(f -> assertThat(f.join()).isSameAs(report));
    assertThat(report.invalidation()).isEqualTo(merged);
    assertThat(report.submissions()).isEqualTo(4);
    assertThat(report.isComplete()).isTrue();
    assertThat(report.summary()).contains("4 submissions merged");
    assertThat(flushes).containsExactly(merged.id() + " 4 0");
  }

  @Test
  void maxWaitBoundsASteadyStream() {
    // Given a submission every 100 ms for 12 s: the quiet period never elapses while it lasts
    Invalidator invalidator = builder().build();
    List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>();

    // When
    for (int i = 0; i < 120; i++) {
      futures.add(invalidator.submit(paths("/p/" + i)));
      scheduler.advance(Duration.ofMillis(100));
    }
    scheduler.advance(Duration.ofSeconds(1));

    // Then a flush happens every max wait (5 s), and the tail after the quiet period
    assertThat(cdn.times).extracting(t -> Duration.between(t0, t))
        .containsExactly(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMillis(12_400));
    assertThat(cdn.purged).extracting(i -> i.paths().size()).containsExactly(50, 50, 20);
    assertThat(futures.get(0).join().submissions()).isEqualTo(50);
    assertThat(futures.get(119).join().invalidation().paths()).contains("/p/119");
  }

  @Test
  void anOlderVersionIsSupersededAndNotSentAnEqualOneIsMerged() {
    // Given version 5 of post:42, then an out-of-order retry of version 4 (under its old slug)
    Invalidator invalidator = builder().build();
    CompletableFuture<InvalidationReport> v5 = invalidator.submit(version("/blog/hello", "post:42", 5));

    // When
    CompletableFuture<InvalidationReport> v4 = invalidator.submit(version("/blog/old", "post:42", 4));
    CompletableFuture<InvalidationReport> again = invalidator.submit(
        Invalidation.builder().path("/blog/hello").tag("x").entity("post:42", 5).build());

    // Then the retry is answered at once, as superseded, and never sent
    assertThat(v4).isDone();
    InvalidationReport dropped = v4.join();
    assertThat(dropped.isSuperseded()).isTrue();
    assertThat(dropped.supersededBy()).isEqualTo(5L);
    assertThat(dropped.stages()).isEmpty();
    assertThat(dropped.isComplete()).isTrue();
    assertThat(dropped.summary()).contains("SUPERSEDED").contains("post:42 v4 is older than v5");
    assertThat(again).isNotDone();
    scheduler.advance(Duration.ofMillis(500));
    assertThat(cdn.purged).hasSize(1);
    Invalidation merged = cdn.purged.get(0);
    assertThat(merged.paths()).containsExactly("/blog/hello");
    assertThat(merged.tags()).containsExactly("x");
    assertThat(merged.entity()).isEqualTo("post:42");
    assertThat(merged.version()).isEqualTo(5L);
    assertThat(v5.join()).isSameAs(again.join());
    assertThat(v5.join().submissions()).isEqualTo(2);
    assertThat(v5.join().isSuperseded()).isFalse();
    assertThat(flushes).containsExactly(merged.id() + " 2 1");

    // And the version is remembered across flushes
    assertThat(invalidator.submit(version("/blog/hello", "post:42", 3)).join().supersededBy())
        .isEqualTo(5L);
    CompletableFuture<InvalidationReport> v6 = invalidator.submit(version("/blog/hello", "post:42", 6));
    scheduler.advance(Duration.ofMillis(500));
    assertThat(v6.join().isSuperseded()).isFalse();
    assertThat(cdn.purged).hasSize(2);
  }

  @Test
  void theMergedInvalidationKeepsAnEntityOnlyWhenEverySubmissionSharesIt() {
    Invalidator invalidator = builder().build();

    invalidator.submit(version("/a", "post:42", 1));
    invalidator.submit(version("/b", "post:42", 3));
    invalidator.submit(Invalidation.builder().path("/c").entity("post:42").build());
    invalidator.flush();
    invalidator.submit(version("/a", "post:42", 4));
    invalidator.submit(version("/d", "post:43", 1));
    invalidator.flush();
    invalidator.submit(paths("/e"));
    invalidator.submit(version("/a", "post:42", 5));
    invalidator.flush();

    assertThat(cdn.purged).extracting(Invalidation::entity).containsExactly("post:42", null, null);
    assertThat(cdn.purged).extracting(Invalidation::version).containsExactly(3L, null, null);
  }

  @Test
  void flushSendsAtOnceAndCompletesOnceEverySubmissionHasItsReport() {
    Invalidator invalidator = builder().build();
    CompletableFuture<InvalidationReport> a = invalidator.submit(paths("/a"));
    CompletableFuture<InvalidationReport> b = invalidator.submit(paths("/b"));

    CompletableFuture<Void> flushed = invalidator.flush();

    assertThat(flushed).isCompleted();
    assertThat(a).isCompleted();
    assertThat(a.join()).isSameAs(b.join());
    assertThat(cdn.times).containsExactly(t0);
    assertThat(invalidator.flush()).isCompleted();
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(cdn.purged).hasSize(1);
  }

  @Test
  void flushesRunOneAtATimeAndWhatArrivesMeanwhileMergesIntoTheNext() {
    // Given a first flush whose replica has not answered yet
    hold = true;
    Invalidator invalidator = builder().build();
    CompletableFuture<InvalidationReport> a = invalidator.submit(paths("/a"));
    scheduler.advance(Duration.ofMillis(500));
    assertThat(held).hasSize(1);

    // When more submissions fall due meanwhile
    CompletableFuture<InvalidationReport> b = invalidator.submit(paths("/b"));
    scheduler.advance(Duration.ofMillis(500));
    CompletableFuture<InvalidationReport> c = invalidator.submit(paths("/c"));
    CompletableFuture<Void> flushed = invalidator.flush();

    // Then they wait for the running flush, then go out together
    assertThat(held).hasSize(1);
    assertThat(b).isNotDone();
    held.get(0).complete(Ack.of(200));
    assertThat(a.join().invalidation().paths()).containsExactly("/a");
    assertThat(held).hasSize(2);
    assertThat(flushed).isNotDone();
    held.get(1).complete(Ack.of(200));
    assertThat(flushed).isCompleted();
    assertThat(b.join()).isSameAs(c.join());
    assertThat(b.join().invalidation().paths()).containsExactly("/b", "/c");
    assertThat(cdn.purged).hasSize(2);
  }

  @Test
  void closeFlushesWhatWasAcceptedEvenWhenPausedThenRejectsSubmissions() {
    Invalidator invalidator = builder().build();
    invalidator.pause();
    CompletableFuture<InvalidationReport> a = invalidator.submit(paths("/a"));
    CompletableFuture<InvalidationReport> b = invalidator.submit(paths("/b"));

    invalidator.close();

    assertThat(a.join()).isSameAs(b.join());
    assertThat(a.join().isComplete()).isTrue();
    assertThat(cdn.purged).extracting(Invalidation::paths).containsExactly(List.of("/a", "/b"));
    Invalidation late = paths("/late");
    assertThatThrownBy(() -> invalidator.submit(late))
        .isInstanceOf(InvalidatorClosedException.class)
        .hasMessageContaining(late.id()).hasMessageContaining("not accepted");
    assertThatThrownBy(() -> invalidator.invalidate(late))
        .isInstanceOf(InvalidatorClosedException.class);
    assertThat(invalidator.flush()).isCompleted();
  }

  @Test
  void closeFailsWhatItCouldNotFinishInTimeWithAClearException() {
    // Given a flush whose replica never answers, and a later submission still pending
    hold = true;
    Invalidator invalidator = builder().build();
    CompletableFuture<InvalidationReport> first = invalidator.submit(paths("/a"));
    scheduler.advance(Duration.ofMillis(500));
    CompletableFuture<InvalidationReport> second = invalidator.submit(paths("/b"));
    assertThat(held).hasSize(1);

    // When
    invalidator.close(Duration.ZERO);

    // Then the pending submission was flushed at once despite the running flush, and both futures
    // fail with a message that says what did not finish; the calls in flight are cancelled
    assertThat(held).hasSize(2).allMatch(CompletableFuture::isCancelled);
    for (CompletableFuture<InvalidationReport> f : List.of(first, second)) {
      assertThat(f).isCompletedExceptionally();
      assertThatThrownBy(f::join)
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOf(InvalidatorClosedException.class)
          .hasMessageContaining("carried this submission")
          .hasMessageContaining("close timeout PT0S");
    }
    assertThat(cdn.purged).isEmpty();
  }

  @Test
  void aFullCoalescerRejectsUnderTheRejectPolicyAndKeepsNothingOfTheRejected() {
    Invalidator invalidator = builder().capacity(3).overflow(Invalidator.Overflow.REJECT).build();
    CompletableFuture<InvalidationReport> ab = invalidator.submit(paths("/a", "/b"));

    Invalidation cd = paths("/c", "/d");
    assertThatThrownBy(() -> invalidator.submit(cd))
        .isInstanceOf(SubmissionRejectedException.class)
        .hasMessageContaining("2 of 3 paths and tags pending")
        .hasMessageContaining(cd.id());
    CompletableFuture<InvalidationReport> c = invalidator.submit(paths("/c"));
    scheduler.advance(Duration.ofMillis(500));

    assertThat(cdn.purged).extracting(Invalidation::paths).containsExactly(List.of("/a", "/b", "/c"));
    assertThat(ab.join()).isSameAs(c.join());
    assertThat(ab.join().submissions()).isEqualTo(2);
  }

  @Test
  void aFullCoalescerFlushesEarlyUnderTheFlushEarlyPolicy() {
    Invalidator invalidator = builder().capacity(3).build();
    CompletableFuture<InvalidationReport> ab = invalidator.submit(paths("/a", "/b"));

    CompletableFuture<InvalidationReport> cd = invalidator.submit(paths("/c", "/d"));

    assertThat(cdn.times).containsExactly(t0);
    assertThat(ab.join().invalidation().paths()).containsExactly("/a", "/b");
    assertThat(cd).isNotDone();
    scheduler.advance(Duration.ofMillis(500));
    assertThat(cd.join().invalidation().paths()).containsExactly("/c", "/d");
  }

  @Test
  void flushEarlyRejectsRatherThanQueueASecondFullBatchBehindARunningFlush() {
    // Given a running flush that has not finished, and a full pending batch
    hold = true;
    Invalidator invalidator = builder().capacity(3).build();
    invalidator.submit(paths("/a", "/b"));
    CompletableFuture<InvalidationReport> cd = invalidator.submit(paths("/c", "/d"));
    CompletableFuture<InvalidationReport> e = invalidator.submit(paths("/e"));
    assertThat(held).hasSize(1);

    // When / Then
    assertThatThrownBy(() -> invalidator.submit(paths("/f")))
        .isInstanceOf(SubmissionRejectedException.class)
        .hasMessageContaining("is still running");
    held.get(0).complete(Ack.of(200));
    scheduler.advance(Duration.ofMillis(500));
    held.get(1).complete(Ack.of(200));
    assertThat(cd.join()).isSameAs(e.join());
    assertThat(cd.join().invalidation().paths()).containsExactly("/c", "/d", "/e");
  }

  @Test
  void aSubmissionLargerThanTheWholeCapacityIsRejectedUnderEitherPolicy() {
    for (Invalidator.Overflow policy : Invalidator.Overflow.values()) {
      Invalidator invalidator = builder().capacity(2).overflow(policy).build();
      assertThatThrownBy(() -> invalidator.submit(paths("/a", "/b", "/c")))
          .isInstanceOf(SubmissionRejectedException.class)
          .hasMessageContaining("3 paths and tags, more than the coalescer's capacity of 2");
    }
    assertThat(cdn.purged).isEmpty();
  }

  @Test
  void whilePausedSubmissionsAccumulateAndNothingIsSentUntilResume() {
    // Given
    Invalidator invalidator = builder().capacity(3).build();
    invalidator.pause();
    List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>();
    futures.add(invalidator.submit(paths("/a")));
    scheduler.advance(Duration.ofMinutes(5));
    futures.add(invalidator.submit(paths("/b", "/a")));

    // When the pause lasts well past the max wait
    scheduler.advance(Duration.ofMinutes(5));

    // Then nothing was sent; a full coalescer refuses rather than flush while paused
    assertThat(invalidator.isPaused()).isTrue();
    assertThat(cdn.purged).isEmpty();
    assertThat(scheduler.pending()).isZero();
    assertThatThrownBy(() -> invalidator.submit(paths("/c")))
        .isInstanceOf(SubmissionRejectedException.class).hasMessageContaining("paused");
    invalidator.resume();
    assertThat(invalidator.isPaused()).isFalse();
    assertThat(cdn.purged).extracting(Invalidation::paths).containsExactly(List.of("/a", "/b"));
    assertThat(futures).allMatch(f -> f.join().submissions() == 2);
  }

  @Test
  void resumeBeforeTheMaxWaitKeepsTheQuietPeriodAndFlushStillSendsWhilePaused() {
    Invalidator invalidator = builder().build();
    invalidator.pause();
    invalidator.submit(paths("/a"));
    scheduler.advance(Duration.ofMillis(200));

    invalidator.resume();
    scheduler.advance(Duration.ofMillis(299));
    assertThat(cdn.purged).isEmpty();
    scheduler.advance(Duration.ofMillis(1));
    assertThat(cdn.times).containsExactly(t0.plusMillis(500));

    invalidator.pause();
    CompletableFuture<InvalidationReport> b = invalidator.submit(paths("/b"));
    invalidator.flush();
    assertThat(b).isCompleted();
    assertThat(cdn.purged).hasSize(2);
    assertThat(invalidator.isPaused()).isTrue();
  }

  @Test
  void invalidateIsNeitherCoalescedNorPaused() {
    Invalidator invalidator = builder().build();
    invalidator.pause();

    InvalidationReport report = invalidator.invalidate(paths("/now")).join();

    assertThat(report.submissions()).isEqualTo(1);
    assertThat(cdn.purged).hasSize(1);
    assertThat(flushes).isEmpty();
  }

  @Test
  void entityMemoryIsBoundedAndForgettingAKeyOnlyMeansSendingMore() {
    Invalidator invalidator = builder().capacity(100_000).build();
    for (int k = 0; k <= Coalescer.ENTITY_MEMORY; k++) {
      invalidator.submit(version("/p/" + k, "e" + k, 5));
    }

    CompletableFuture<InvalidationReport> forgotten = invalidator.submit(version("/p/0", "e0", 1));
    CompletableFuture<InvalidationReport> remembered =
        invalidator.submit(version("/p/1", "e" + Coalescer.ENTITY_MEMORY, 1));

    assertThat(remembered.join().isSuperseded()).isTrue();
    assertThat(forgotten).isNotDone();
    invalidator.flush();
    assertThat(forgotten.join().isSuperseded()).isFalse();
    assertThat(forgotten.join().submissions()).isEqualTo(Coalescer.ENTITY_MEMORY + 2);
  }

  @Test
  void aThrowingFlushListenerChangesNothing() {
    Invalidator invalidator = builder().listener(new FanoutListener() {
      @Override
      public void onFlush(Invalidation merged, int submissions, int superseded) {
        throw new IllegalStateException("listener bug");
      }
    }).build();

    CompletableFuture<InvalidationReport> f = invalidator.submit(paths("/a"));
    scheduler.advance(Duration.ofMillis(500));

    assertThat(f.join().isComplete()).isTrue();
  }

  @Test
  void theBuilderValidatesTheCoalescerSettings() {
    assertThatThrownBy(() -> builder().quietPeriod(Duration.ofSeconds(2)).maxWait(Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("maxWait (PT1S) must not be shorter than quietPeriod (PT2S)");
    assertThatThrownBy(() -> builder().quietPeriod(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quietPeriod must be > 0");
    assertThatThrownBy(() -> builder().maxWait(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWait must be > 0");
    assertThatThrownBy(() -> builder().capacity(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity must be > 0");
    assertThatThrownBy(() -> builder().overflow(null)).isInstanceOf(NullPointerException.class);
    Invalidator custom = builder().quietPeriod(Duration.ofMillis(50)).maxWait(Duration.ofMillis(50)).build();
    custom.submit(paths("/a"));
    scheduler.advance(Duration.ofMillis(50));
    assertThat(cdn.purged).hasSize(1);
  }

  @Test
  void concurrentSubmittersLoseNothingAndDuplicateNothing() throws Exception {
    // Given 8 threads submitting 1,000 distinct paths each into a small coalescer, while another
    // thread moves the clock (timers fire on it) and flushes on demand; the clock moves so fast
    // that the deadlines are set far out of its reach
    int threads = 8;
    int each = 1_000;
    Map<String, AtomicInteger> delivered = new ConcurrentHashMap<>();
    Notifier counting = (e, inv) -> {
      inv.paths().forEach(p -> delivered.computeIfAbsent(p, k -> new AtomicInteger()).incrementAndGet());
      return CompletableFuture.completedFuture(Ack.of(200));
    };
    Invalidator invalidator = Invalidator.builder()
        .clock(clock).scheduler(scheduler).executor(Runnable::run)
        .stage(Stage.fanout("web", Discovery.of(POD), counting).recheck(false)
            .attemptTimeout(Duration.ofDays(3650)))
        .stage(Stage.purge("cdn", cdn))
        .deadline(Duration.ofDays(3650))
        .capacity(50)
        .build();
    Map<String, CompletableFuture<InvalidationReport>> accepted = new ConcurrentHashMap<>();
    AtomicInteger rejected = new AtomicInteger();
    AtomicBoolean submitting = new AtomicBoolean(true);
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        workers.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < each; i++) {
            String path = "/t" + thread + "/" + i;
            for (int tries = 0; ; tries++) {
              try {
                accepted.put(path, invalidator.submit(paths(path)));
                break;
              } catch (SubmissionRejectedException full) {
                rejected.incrementAndGet();
                assertThat(tries).isLessThan(1_000_000);
                Thread.yield();
              }
            }
          }
          return null;
        }));
      }
      Future<?> ticker = pool.submit(() -> {
        go.await();
        while (submitting.get()) {
          scheduler.advance(Duration.ofMillis(100));
          invalidator.flush();
        }
        return null;
      });

      // When
      go.countDown();
      for (Future<?> w : workers) {
        w.get(60, TimeUnit.SECONDS);
      }
      submitting.set(false);
      ticker.get(60, TimeUnit.SECONDS);
      invalidator.flush().get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }

    // Then every accepted submission was delivered exactly once and got the report that carried it
    assertThat(accepted.size()).isEqualTo(threads * each);
    assertThat(delivered.size()).isEqualTo(threads * each);
    assertThat(delivered.values()).allMatch(n -> n.get() == 1);
    Map<String, InvalidationReport> reports = new HashMap<>();
    accepted.forEach((path, f) -> {
      InvalidationReport r = f.getNow(null);
      assertThat(r).as(path).isNotNull();
      assertThat(r.invalidation().paths()).contains(path);
      reports.put(r.id(), r);
    });
    assertThat(reports.values().stream().mapToInt(InvalidationReport::submissions).sum())
        .isEqualTo(threads * each);
    assertThat(cdn.purged).hasSize(reports.size());
    assertThat(reports.values()).allMatch(r -> r.isComplete() && r.invalidation().size() <= 50);
  }

  /** A purger that records what it purged and when, and succeeds. */
  private final class RecordingPurger implements Purger {
    final List<Invalidation> purged = Collections.synchronizedList(new ArrayList<>());
    final List<Instant> times = Collections.synchronizedList(new ArrayList<>());

    @Override
    public CompletionStage<PurgeResult> purge(Invalidation inv) {
      purged.add(inv);
      times.add(clock.instant());
      return CompletableFuture.completedFuture(PurgeResult.succeeded("cdn:test", 1, List.of()));
    }

    @Override
    public String name() {
      return "cdn:test";
    }
  }
}
