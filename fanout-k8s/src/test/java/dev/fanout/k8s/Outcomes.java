package dev.fanout.k8s;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** How the discovery tests wait for a lookup that must fail. */
final class Outcomes {
  private Outcomes() {}

  /** Waits up to 10 s for the future to fail and returns why; a success fails the test. */
  static Throwable failure(CompletableFuture<?> f) {
    try {
      f.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure, got " + f.join());
  }
}
