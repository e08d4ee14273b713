package dev.fanout.examples;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The library's main job on local stand-ins: five "pods" (HTTP servers on 127.0.0.2 to 127.0.0.6,
 * each with its own page cache and a signature check) and a stand-in CDN. One invalidation runs
 * through the real engine; the report is printed. A second run shows what happens when one pod
 * refuses the signature: the report names it and the CDN purge is held back.
 */
public final class Demo {
  private Demo() {}

  /**
   * Runs the demo.
   *
   * @param args ignored
   * @throws Exception if a stand-in cannot start
   */
  public static void main(String[] args) throws Exception {
    String secret = WebhookSigner.generateSecret();
    List<DemoPod> pods = new ArrayList<>();
    for (int n = 2; n <= 6; n++) {
      // The pod on 127.0.0.4 answers 503 once, as a pod still warming up would.
      pods.add(new DemoPod("web-" + (n - 2), "127.0.0." + n, secret, n == 4 ? 1 : 0));
    }
    try (StandInCdn cdn = new StandInCdn("127.0.0.20")) {
      pods.forEach(p -> p.cache.put("/blog/hello", "<h1>old</h1>"));
      List<Endpoint> endpoints = pods.stream().map(DemoPod::endpoint).toList();

      Invalidator invalidator = Invalidator.builder()
          .stage(Stage.fanout("web", Discovery.of(endpoints),
                  HttpNotifier.builder().path("/api/revalidate").signingSecret(secret).build())
              .retry(RetryPolicy.defaults().withDelays(Duration.ofMillis(20), Duration.ofMillis(200))))
          .stage(Stage.purge("cdn", cdn))
          .deadline(Duration.ofSeconds(10))
          .build();

      System.out.println("== 1. Invalidate /blog/hello and tag post:42 on every replica, then the CDN");
      InvalidationReport report = invalidator.invalidate(
          Invalidation.builder().path("/blog/hello").tag("post:42").build()).join();
      System.out.println(report.describe());
      long lastAck = pods.stream().mapToLong(p -> p.lastAckNanos).max().orElse(0);
      System.out.printf("   caches still holding /blog/hello: %d of %d%n",
          pods.stream().filter(p -> p.cache.containsKey("/blog/hello")).count(), pods.size());
      System.out.printf("   CDN purged %.1f ms after the last replica acknowledged%n",
          (cdn.lastPurgeNanos - lastAck) / 1e6);

      System.out.println();
      System.out.println("== 2. One replica was deployed with another secret: the CDN purge is held back");
      pods.get(2).close();
      DemoPod rotated = new DemoPod("web-2", "127.0.0.4", WebhookSigner.generateSecret(), 0);
      pods.set(2, rotated);
      Invalidator second = Invalidator.builder()
          .stage(Stage.fanout("web", Discovery.of(pods.stream().map(DemoPod::endpoint).toList()),
              HttpNotifier.builder().signingSecret(secret).build()))
          .stage(Stage.purge("cdn", cdn))
          .build();
      int purgesBefore = cdn.purges();
      InvalidationReport held = second.invalidate(Invalidation.ofPaths("/blog/hello")).join();
      System.out.println(held.summary());
      System.out.printf("   CDN purge calls during run 2: %d%n", cdn.purges() - purgesBefore);

      invalidator.close();
      second.close();
    } finally {
      pods.forEach(DemoPod::close);
    }
  }
}
