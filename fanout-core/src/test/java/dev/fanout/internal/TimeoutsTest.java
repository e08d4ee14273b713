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
}
