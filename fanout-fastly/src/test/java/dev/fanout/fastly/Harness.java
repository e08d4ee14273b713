package dev.fanout.fastly;

import static org.awaitility.Awaitility.await;

import dev.fanout.testing.PurgerHarness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;

/**
 * A fake Fastly on loopback plus a manual clock and scheduler: retries and request timeouts happen
 * only when a test advances the scheduler, so nothing sleeps and nothing depends on real time.
 */
final class Harness extends PurgerHarness {
  final FakeFastly server;

  Harness() {
    try {
      server = FakeFastly.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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

  void awaitRequests(int n) {
    await().atMost(AWAIT).until(() -> server.requests().size() >= n);
  }

  @Override
  public void close() {
    server.close();
  }
}
