package dev.fanout.testing;

import static org.awaitility.Awaitility.await;

import dev.fanout.PurgeException;
import dev.fanout.RetryPolicy;
import dev.fanout.spi.PurgeResult;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * What the tests of a CDN purger share: a manual clock and scheduler (retries, waits and attempt
 * timeouts happen only when a test advances the scheduler, so nothing sleeps), the seed of the
 * purger's backoff jitter, and waiting for a purge's outcome. A module's harness adds its stand-in
 * server and a builder aimed at it.
 */
public abstract class PurgerHarness implements AutoCloseable {
  /** The seed of the {@code SplittableRandom} a harness gives the purger. */
  public static final long SEED = 42;
  /** How long a test waits for real I/O at most. */
  public static final Duration AWAIT = Duration.ofSeconds(20);

  /** The purger's (and the stand-in's) clock. */
  public final ManualClock clock = new ManualClock();
  /** The purger's scheduler, on {@link #clock}. */
  public final ManualScheduler scheduler = new ManualScheduler(clock);

  /**
   * Returns the backoff the purger draws after the last of the given failed attempts, for a purger
   * with one request in flight and a random seeded with {@link #SEED}.
   *
   * @param policy the purger's retry policy
   * @param failedAttempts the failed attempts, in order
   * @return the last backoff drawn, or zero for none
   */
  public static Duration backoff(RetryPolicy policy, int... failedAttempts) {
    SplittableRandom r = new SplittableRandom(SEED);
    Duration d = Duration.ZERO;
    for (int n : failedAttempts) {
      d = policy.backoff(n, r);
    }
    return d;
  }

  /**
   * Waits until the next pending scheduled task is due in exactly {@code delay}.
   *
   * @param delay the delay
   */
  public void awaitNextDelay(Duration delay) {
    await().atMost(AWAIT).until(() -> delay.equals(scheduler.nextDelay()));
  }

  /**
   * Waits for the stage to complete and returns its result.
   *
   * @param stage the purge
   * @return the result
   */
  public static PurgeResult join(CompletionStage<PurgeResult> stage) {
    CompletableFuture<PurgeResult> f = stage.toCompletableFuture();
    await().atMost(AWAIT).until(f::isDone);
    return f.join();
  }

  /**
   * Waits for the stage to fail and returns its {@link PurgeException}.
   *
   * @param stage the purge
   * @return the exception
   */
  public static PurgeException failure(CompletionStage<PurgeResult> stage) {
    CompletableFuture<PurgeResult> f = stage.toCompletableFuture();
    await().atMost(AWAIT).until(f::isDone);
    try {
      PurgeResult r = f.join();
      throw new AssertionError("expected a failure, got " + r);
    } catch (CompletionException e) {
      if (e.getCause() instanceof PurgeException p) {
        return p;
      }
      throw new AssertionError("expected a PurgeException", e.getCause());
    }
  }

  /** Stops the stand-in. */
  @Override
  public abstract void close();
}
