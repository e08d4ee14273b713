package dev.fanout.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Tests for {@link Tasks}, {@link Futures} and {@link Schedulers}. */
class TasksTest {
  private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
  private final AtomicInteger runs = new AtomicInteger();

  @Test
  void anAcceptedTaskRuns() {
    assertThat(Tasks.execute(scheduler, runs::incrementAndGet)).isTrue();
    assertThat(runs).hasValue(1);
  }

  @Test
  void aRefusedTaskIsAFalseAndNeverRuns() {
    boolean accepted = Tasks.execute(r -> {
      throw new RejectedExecutionException("full");
    }, runs::incrementAndGet);

    assertThat(accepted).isFalse();
    assertThat(runs).hasValue(0);
  }

  @Test
  void aScheduledTaskRunsAfterItsDelay() {
    ScheduledFuture<?> f = Tasks.schedule(scheduler, Duration.ofSeconds(2), runs::incrementAndGet);

    scheduler.advance(Duration.ofMillis(1999));
    assertThat(runs).hasValue(0);
    scheduler.advance(Duration.ofMillis(1));

    assertThat(f != null).isTrue();
    assertThat(runs).hasValue(1);
  }

  @Test
  void aRefusedScheduleIsANull() {
    ScheduledExecutorService closed = Schedulers.newTimer("fanout-closed");
    closed.shutdownNow();

    assertThat(Tasks.schedule(closed, Duration.ZERO, runs::incrementAndGet) == null).isTrue();
  }

  @Test
  void unwrapFindsTheCauseBehindEveryWrapper() {
    IllegalStateException cause = new IllegalStateException("boom");

    Throwable t = Futures.unwrap(
        new CompletionException(new ExecutionException(new CompletionException(cause))));

    assertThat(t).isSameAs(cause);
    assertThat(Futures.unwrap(cause)).isSameAs(cause);
    assertThat(Futures.unwrap(new CompletionException(null))).isInstanceOf(CompletionException.class);
    assertThat(Futures.unwrap(null)).isNull();
  }

  @Test
  void theDefaultThreadsAreNamedDaemons() throws Exception {
    Thread t = Schedulers.daemonThreads("fanout-x").newThread(() -> { });

    assertThat(t.isDaemon()).isTrue();
    assertThat(t.getName()).isEqualTo("fanout-x-1");
    assertThat(Schedulers.shared()).isSameAs(Schedulers.shared());
    assertThat(Schedulers.shared().schedule(() -> Thread.currentThread().getName(),
        0, java.util.concurrent.TimeUnit.NANOSECONDS).get()).startsWith("fanout-timer-");
  }
}
