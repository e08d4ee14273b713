package dev.fanout.fastly;

import static org.awaitility.Awaitility.await;

import dev.fanout.PurgeException;
import dev.fanout.RetryPolicy;
import dev.fanout.spi.PurgeResult;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A fake Fastly on loopback plus a manual clock and scheduler: retries and request timeouts happen
 * only when a test advances the scheduler, so nothing sleeps and nothing depends on real time.
 */
final class Harness implements AutoCloseable {
  static final long SEED = 42;
  static final Duration AWAIT = Duration.ofSeconds(20);

  final FakeFastly server;
  final ManualClock clock = new ManualClock();
  final ManualScheduler scheduler = new ManualScheduler(clock);

  Harness() throws IOException {
    server = FakeFastly.start();
  }

  /** A builder aimed at the fake, on the manual clock and scheduler, with a seeded random. */
  FastlyPurger.Builder purger() {
    return FastlyPurger.builder()
        .serviceId(FakeFastly.SERVICE_ID)
        .apiToken(FakeFastly.TOKEN)
        .host("www.example.com")
        .baseUri(server.baseUri())
        .clock(clock)
        .scheduler(scheduler)
        .random(new SplittableRandom(SEED));
  }

  /** The n-th backoff the purger will draw, for a purger with one request in flight. */
  static Duration backoff(RetryPolicy policy, int... failedAttempts) {
    SplittableRandom r = new SplittableRandom(SEED);
    Duration d = Duration.ZERO;
    for (int n : failedAttempts) {
      d = policy.backoff(n, r);
    }
    return d;
  }

  /** Waits until the next pending scheduled task is due in exactly {@code delay}. */
  void awaitNextDelay(Duration delay) {
    await().atMost(AWAIT).until(() -> delay.equals(scheduler.nextDelay()));
  }

  void awaitRequests(int n) {
    await().atMost(AWAIT).until(() -> server.requests().size() >= n);
  }

  static PurgeResult join(CompletionStage<PurgeResult> stage) {
    CompletableFuture<PurgeResult> f = stage.toCompletableFuture();
    await().atMost(AWAIT).until(f::isDone);
    return f.join();
  }

  /** Waits for the stage to fail and returns its PurgeException. */
  static PurgeException failure(CompletionStage<PurgeResult> stage) {
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

  @Override
  public void close() {
    server.close();
  }
}
