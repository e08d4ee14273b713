package dev.fanout.micrometer;

import dev.fanout.Invalidation;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A CDN stand-in for purge stages: answers with a given result under a given name. */
final class NamedPurger implements Purger {
  private final String name;
  private final CompletableFuture<PurgeResult> answer;

  NamedPurger(String name, CompletableFuture<PurgeResult> answer) {
    this.name = name;
    this.answer = answer;
  }

  /** A purger that succeeds with one request and the given vendor ids. */
  static NamedPurger succeeding(String name, String... ids) {
    return new NamedPurger(name,
        CompletableFuture.completedFuture(PurgeResult.succeeded(name, 1, List.of(ids))));
  }

  @Override
  public CompletableFuture<PurgeResult> purge(Invalidation invalidation) {
    return answer;
  }

  @Override
  public String name() {
    return name;
  }
}
