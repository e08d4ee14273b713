package dev.fanout.cloudflare;

import static org.awaitility.Awaitility.await;

import dev.fanout.testing.PurgerHarness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A Cloudflare stand-in on loopback plus a manual clock and scheduler shared by the stand-in and
 * the purger: rate-limit waits, retries and attempt timeouts happen only when a test advances the
 * scheduler, so nothing sleeps. Each harness has an account id of its own, so the JVM-wide rate
 * limit of one test never leaks into another.
 */
final class Harness extends PurgerHarness {
  final FakeCloudflare server;
  final Plan plan;
  final String accountId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong())
      + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());

  Harness(Plan plan) {
    this.plan = plan;
    try {
      this.server = FakeCloudflare.start(clock, plan);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A builder aimed at the stand-in, on the manual clock and scheduler, with a seeded random. */
  CloudflarePurger.Builder purger() {
    return CloudflarePurger.builder()
        .zoneId(FakeCloudflare.ZONE)
        .accountId(accountId)
        .apiToken(FakeCloudflare.TOKEN)
        .plan(plan)
        .host("www.example.com")
        .baseUri(server.baseUri())
        .clock(clock)
        .scheduler(scheduler)
        .random(new SplittableRandom(SEED));
  }

  /** Waits until no request of the purger is in flight or being handled. */
  static void settle(CloudflarePurger purger) {
    await().atMost(AWAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
        .until(() -> purger.inFlight.get() == 0);
  }

  /**
   * Runs the purges to their end on the manual clock: lets every request in flight be answered,
   * then moves the clock to the next scheduled wait, retry or timeout, and so on.
   */
  void drive(CloudflarePurger purger, CompletableFuture<?> purge) {
    drive(List.of(purger), List.of(purge));
  }

  /** Like {@link #drive(CloudflarePurger, CompletableFuture)} for several purgers and purges. */
  void drive(List<CloudflarePurger> purgers, List<? extends CompletableFuture<?>> purges) {
    for (int steps = 0; steps < 100_000; steps++) {
      purgers.forEach(Harness::settle);
      if (purges.stream().allMatch(CompletableFuture::isDone)) {
        return;
      }
      Duration next = scheduler.nextDelay();
      if (next == null) {
        throw new AssertionError("nothing in flight, nothing scheduled, yet not done: " + purges);
      }
      scheduler.advance(next);
    }
    throw new AssertionError("purges did not end");
  }

  void awaitRequests(int n) {
    await().atMost(AWAIT).until(() -> server.requests().size() >= n);
  }

  @Override
  public void close() {
    server.close();
  }
}
