package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import dev.fanout.testing.ReceiverPod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A submission a receiver refuses with a 400 (here a path outside the receiver's allowed prefixes)
 * does not fail the innocent submissions merged with it: the coalescer runs the halves again on
 * their own until the refused one stands alone.
 */
class CoalescerIsolationTest {
  private static final String SECRET = WebhookSigner.generateSecret();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<Invalidation> purged = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private final Purger cdn = new Purger() {
    @Override
    public CompletionStage<PurgeResult> purge(Invalidation inv) {
      purged.add(inv);
      return CompletableFuture.completedFuture(PurgeResult.succeeded(name(), 1, List.of()));
    }

    @Override
    public String name() {
      return "cdn";
    }
  };

  private Invalidator invalidator(ReceiverPod... pods) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (ReceiverPod p : pods) {
      endpoints.add(p.endpoint());
    }
    HttpNotifier notifier = HttpNotifier.builder().signingSecret(SECRET).build();
    closeables.add(notifier);
    Invalidator invalidator = Invalidator.builder()
        .stage(Stage.fanout("web", Discovery.of(endpoints), notifier))
        .stage(Stage.purge("cdn", cdn))
        .quietPeriod(Duration.ofMinutes(1)).maxWait(Duration.ofMinutes(1))
        .build();
    closeables.add(invalidator);
    return invalidator;
  }

  @Test
  void theRefusedSubmissionFailsAloneAndTheOthersComplete() throws Exception {
    // Given: one replica accepts only /blog/ paths
    ReceiverPod blogOnly = ReceiverPod.start("127.0.0.2", SECRET, b -> b.allowedPathPrefix("/blog/"));
    ReceiverPod open = ReceiverPod.start("127.0.0.3", SECRET);
    closeables.add(blogOnly);
    closeables.add(open);
    Invalidator invalidator = invalidator(blogOnly, open);

    // When: nine innocent submissions and one it refuses, merged into one flush
    List<CompletableFuture<InvalidationReport>> innocent = new ArrayList<>();
    CompletableFuture<InvalidationReport> refused = null;
    for (int i = 0; i < 10; i++) {
      if (i == 6) {
        refused = invalidator.submit(Invalidation.builder().path("/admin/users").tag("users").build());
      } else {
        innocent.add(invalidator.submit(Invalidation.ofPaths("/blog/" + i)));
      }
    }
    invalidator.flush();

    // Then: the nine are reported complete and purged from the CDN ...
    for (CompletableFuture<InvalidationReport> f : innocent) {
      InvalidationReport r = f.get(30, TimeUnit.SECONDS);
      assertThat(r.isComplete()).as(r.summary()).isTrue();
      assertThat(r.submissions()).isLessThan(10);
    }
    // ... and only the refused one fails, alone, with the 400 in its report; never purged
    InvalidationReport bad = refused.get(30, TimeUnit.SECONDS);
    assertThat(bad.isComplete()).isFalse();
    assertThat(bad.submissions()).isOne();
    assertThat(bad.invalidation().paths()).containsExactly("/admin/users");
    TargetResult r = bad.stage("web").targets().stream()
        .filter(t -> t.endpoint().equals(blogOnly.endpoint())).findFirst().orElseThrow();
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).contains("path not allowed");
    assertThat(bad.stage("cdn").status()).isEqualTo(StageReport.Status.SKIPPED);
    assertThat(purged.stream().flatMap(i -> i.paths().stream()))
        .contains("/blog/0", "/blog/1", "/blog/2", "/blog/3", "/blog/4", "/blog/5", "/blog/7", "/blog/8", "/blog/9")
        .doesNotContain("/admin/users");
    assertThat(blogOnly.applied()).doesNotContainKey("/admin/users");
  }

  @Test
  void whenEverySubmissionIsRefusedIsolationStopsWithinItsBudget() throws Exception {
    ReceiverPod blogOnly = ReceiverPod.start("127.0.0.2", SECRET, b -> b.allowedPathPrefix("/blog/"));
    closeables.add(blogOnly);
    Invalidator invalidator = invalidator(blogOnly);
    List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      futures.add(invalidator.submit(Invalidation.ofPaths("/admin/" + i)));
    }
    invalidator.flush();

    for (CompletableFuture<InvalidationReport> f : futures) {
      assertThat(f.get(60, TimeUnit.SECONDS).isComplete()).isFalse();
    }
    // The merged flush plus at most the isolation budget of runs
    assertThat(blogOnly.requests()).isLessThanOrEqualTo(1 + Coalescer.ISOLATION_RUNS);
  }
}
