package dev.fanout.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Tests for {@link Timeouts}, on a manual scheduler. */
class TimeoutsTest {
  private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());

  @Test
  void aCallThatCompletesInTimeKeepsItsResultAndCancelsTheTimer() {
    CompletableFuture<String> call = new CompletableFuture<>();
    CompletableFuture<String> bounded =
        Timeouts.within(call, Duration.ofSeconds(1), scheduler, TimeoutException::new);

    call.complete("ok");

    assertThat(bounded).isCompletedWithValue("ok");
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void aCallThatFailsInTimeKeepsItsFailure() {
    CompletableFuture<String> call = new CompletableFuture<>();
    CompletableFuture<String> bounded =
        Timeouts.within(call, Duration.ofSeconds(1), scheduler, TimeoutException::new);

    call.completeExceptionally(new IllegalStateException("boom"));

    assertThat(bounded).isCompletedExceptionally();
    assertThat(Futures.unwrap(bounded.handle((v, e) -> e).join())).hasMessage("boom");
  }

  @Test
  void aCallStillRunningAtTheTimeoutFailsWithTheGivenErrorAndIsCancelled() {
    CompletableFuture<String> call = new CompletableFuture<>();
    AtomicInteger built = new AtomicInteger();
    CompletableFuture<String> bounded = Timeouts.within(call, Duration.ofSeconds(1), scheduler,
        () -> {
          built.incrementAndGet();
          return new TimeoutException("too slow");
        });

    scheduler.advance(Duration.ofMillis(999));
    assertThat(bounded).isNotDone();
    assertThat(built).hasValue(0);
    scheduler.advance(Duration.ofMillis(1));

    assertThat(bounded.handle((v, e) -> e).join())
        .isInstanceOf(TimeoutException.class).hasMessage("too slow");
    assertThat(call).isCancelled();
    assertThat(built).hasValue(1);
  }

  @Test
  void aRefusedTimerCancelsTheCallInsteadOfLeavingItUnbounded() {
    ScheduledExecutorService closed = Schedulers.newTimer("fanout-closed");
    closed.shutdownNow();
    CompletableFuture<String> call = new CompletableFuture<>();

    CompletableFuture<String> bounded =
        Timeouts.within(call, Duration.ofSeconds(1), closed, TimeoutException::new);

    assertThat(call).isCancelled();
    assertThat(bounded.handle((v, e) -> e).join()).isInstanceOf(CancellationException.class)
        .hasMessageContaining("refused");
  }

  @Test
  void aBatchSharesOneTimerThatStartsWhenTheBatchCloses() {
    Timeouts.Batch batch = Timeouts.batch(Duration.ofSeconds(1), scheduler);
    CompletableFuture<String> slow = new CompletableFuture<>();
    CompletableFuture<String> fast = new CompletableFuture<>();
    CompletableFuture<String> boundedSlow = batch.add(slow, () -> new TimeoutException("slow"));
    CompletableFuture<String> boundedFast = batch.add(fast, () -> new TimeoutException("fast"));
    assertThat(scheduler.pending()).isZero();

    batch.close();
    assertThat(scheduler.pending()).isOne();
    fast.complete("ok");
    assertThat(boundedFast).isCompletedWithValue("ok");
    scheduler.advance(Duration.ofMillis(999));
    assertThat(boundedSlow).isNotDone();
    scheduler.advance(Duration.ofMillis(1));

    assertThat(boundedSlow.handle((v, e) -> e).join()).isInstanceOf(TimeoutException.class).hasMessage("slow");
    assertThat(slow).isCancelled();
    assertThat(fast).isCompletedWithValue("ok");
  }

  @Test
  void aBatchWhoseCallsAllCompletedCancelsItsTimer() {
    Timeouts.Batch batch = Timeouts.batch(Duration.ofSeconds(1), scheduler);
    CompletableFuture<String> a = new CompletableFuture<>();
    CompletableFuture<String> b = new CompletableFuture<>();
    CompletableFuture<String> boundedA = batch.add(a, TimeoutException::new);
    batch.add(b, TimeoutException::new);
    a.completeExceptionally(new IllegalStateException("boom"));
    batch.close();
    b.complete("ok");

    assertThat(scheduler.pending()).isZero();
    assertThat(Futures.unwrap(boundedA.handle((v, e) -> e).join())).hasMessage("boom");

    Timeouts.Batch done = Timeouts.batch(Duration.ofSeconds(1), scheduler);
    done.add(CompletableFuture.completedFuture("at once"), TimeoutException::new);
    done.close();
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void aCallAddedAfterTheBatchClosedGetsATimerOfItsOwn() {
    Timeouts.Batch batch = Timeouts.batch(Duration.ofSeconds(1), scheduler);
    batch.close();
    scheduler.advance(Duration.ofMillis(500));
    CompletableFuture<String> late = new CompletableFuture<>();
    CompletableFuture<String> bounded = batch.add(late, TimeoutException::new);
    assertThat(scheduler.pending()).isOne();

    scheduler.advance(Duration.ofMillis(999));
    assertThat(bounded).isNotDone();
    scheduler.advance(Duration.ofMillis(1));
    assertThat(late).isCancelled();
  }

  @Test
  void aBatchWhoseTimerIsRefusedCancelsItsCalls() {
    ScheduledExecutorService closed = Schedulers.newTimer("fanout-closed");
    closed.shutdownNow();
    Timeouts.Batch batch = Timeouts.batch(Duration.ofSeconds(1), closed);
    CompletableFuture<String> call = new CompletableFuture<>();
    CompletableFuture<String> bounded = batch.add(call, TimeoutException::new);

    batch.close();

    assertThat(call).isCancelled();
    assertThat(bounded.handle((v, e) -> e).join()).isInstanceOf(CancellationException.class)
        .hasMessageContaining("refused");
  }
}
