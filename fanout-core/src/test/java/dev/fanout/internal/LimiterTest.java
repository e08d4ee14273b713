package dev.fanout.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** Tests for {@link Limiter}. */
class LimiterTest {
  /** Hands tasks over by queueing them, so the test decides when they run. */
  private final List<Runnable> handedOver = new ArrayList<>();
  private final Executor handoff = handedOver::add;
  private final List<String> ran = new ArrayList<>();

  @Test
  void tasksBeyondThePermitsWaitAndRunInArrivalOrderAsPermitsReturn() {
    Limiter limiter = new Limiter(2, handoff);

    for (String name : List.of("a", "b", "c", "d")) {
      limiter.acquireHere(() -> ran.add(name));
    }
    assertThat(ran).containsExactly("a", "b");
    assertThat(limiter.available()).isZero();

    limiter.release();
    assertThat(handedOver).hasSize(1);
    handedOver.remove(0).run();
    limiter.release();
    handedOver.remove(0).run();

    assertThat(ran).containsExactly("a", "b", "c", "d");
    assertThat(limiter.available()).isZero();
  }

  @Test
  void acquireRunsOnTheHandoffExecutorEvenWithAPermitFree() {
    Limiter limiter = new Limiter(1, handoff);

    limiter.acquire(() -> ran.add("a"));

    assertThat(ran).isEmpty();
    assertThat(handedOver).hasSize(1);
    assertThat(limiter.available()).isZero();
  }

  @Test
  void aReleaseWithNobodyWaitingReturnsThePermit() {
    Limiter limiter = new Limiter(1, handoff);
    limiter.acquireHere(() -> ran.add("a"));

    limiter.release();

    assertThat(limiter.available()).isEqualTo(1);
    assertThat(handedOver).isEmpty();
  }

  @Test
  void fewerThanOnePermitIsRefused() {
    assertThatThrownBy(() -> new Limiter(0, handoff))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("permits");
  }

  @Test
  void aLongChainOfTasksThatReleaseAtOnceDoesNotNestOnAnInlineHandoff() {
    Limiter limiter = new Limiter(1, Runnable::run);
    int[] depth = {0};
    int[] deepest = {0};
    int[] count = {0};
    Runnable blocker = () -> { };
    limiter.acquireHere(blocker);
    for (int i = 0; i < 100_000; i++) {
      limiter.acquireHere(() -> {
        depth[0]++;
        deepest[0] = Math.max(deepest[0], depth[0]);
        count[0]++;
        limiter.release();
        depth[0]--;
      });
    }

    limiter.release();

    assertThat(count[0]).isEqualTo(100_000);
    assertThat(deepest[0]).isEqualTo(1);
    assertThat(limiter.available()).isEqualTo(1);
  }
}
