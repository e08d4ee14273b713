package dev.fanout.examples.e2e;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.Stage;
import dev.fanout.cloudflare.CloudflarePurger;
import dev.fanout.cloudflare.Plan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Check 5: a CMS bulk edit fires 200 webhooks at once against a zone on Cloudflare's Free plan (5
 * purge requests a minute, bucket 25). Sent one by one, that is 400 requests; through {@link
 * Invalidator#submit} with the module README's Free settings (quiet period 2 s, max wait 30 s) it
 * is one flush. Runs against its own Cloudflare stand-in with the Free plan's limits, in real
 * time.
 */
final class CloudflareBurst {
  static final int WEBHOOKS = 200;
  static final int POSTS = 150;
  private static final String ACCOUNT = "ac0e2eac0e2eac0e2eac0e2eac0e2ef5";

  /** What the burst ended in. */
  record Outcome(int webhooks, int flushes, int requests, int refused, int tags, int tagsPurged,
      int urls, int urlsPurged, int complete, Duration took) {

    boolean passed() {
      return complete == webhooks && refused == 0 && tagsPurged == tags && urlsPurged == urls
          && requests <= 5;
    }

    String describe() {
      return String.format(Locale.ROOT, "%d flush%s, %d requests in %.1f s (Free: 5/min, bucket"
              + " 25), %d refused; %d/%d tags and %d/%d URLs purged; %d/%d reports COMPLETE",
          flushes, flushes == 1 ? "" : "es", requests, took.toMillis() / 1e3, refused, tagsPurged,
          tags, urlsPurged, urls, complete, webhooks);
    }
  }

  private CloudflareBurst() {}

  static Outcome run(String ip) throws Exception {
    try (CloudflareStandIn free = new CloudflareStandIn(ip, 0, Plan.FREE.limits())) {
      CloudflarePurger purger = CloudflarePurger.builder().zoneId(CloudflareStandIn.ZONE)
          .accountId(ACCOUNT).apiToken(CloudflareStandIn.TOKEN).plan(Plan.FREE)
          .host("www.example.test").baseUri(free.baseUri()).deadline(Duration.ofSeconds(90))
          .build();
      List<CompletableFuture<InvalidationReport>> reports = new ArrayList<>();
      Set<String> tags = new LinkedHashSet<>();
      Set<String> urls = new LinkedHashSet<>();
      long t0 = System.nanoTime();
      try (Invalidator invalidator = Invalidator.builder()
          .stage(Stage.purge("cloudflare", purger))
          .quietPeriod(Duration.ofSeconds(2)).maxWait(Duration.ofSeconds(30))
          .deadline(Duration.ofMinutes(2)).build()) {
        for (int i = 0; i < WEBHOOKS; i++) {
          int post = i % POSTS;
          Invalidation webhook =
              Invalidation.builder().path("/posts/" + post).tag("post:" + post).build();
          tags.addAll(webhook.tags());
          urls.add("https://www.example.test/posts/" + post);
          reports.add(invalidator.submit(webhook));
        }
        CompletableFuture.allOf(reports.toArray(new CompletableFuture<?>[0]))
            .get(3, TimeUnit.MINUTES);
      }
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      int complete = 0;
      Set<String> flushes = new LinkedHashSet<>();
      for (CompletableFuture<InvalidationReport> f : reports) {
        InvalidationReport r = f.join();
        complete += r.isComplete() ? 1 : 0;
        flushes.add(r.id());
      }
      Set<String> purgedTags = new LinkedHashSet<>(free.purged("tags"));
      Set<String> purgedUrls = new LinkedHashSet<>(free.purged("files"));
      purgedTags.retainAll(tags);
      purgedUrls.retainAll(urls);
      return new Outcome(WEBHOOKS, flushes.size(), free.calls().size() + free.refused(),
          free.refused(), tags.size(), purgedTags.size(), urls.size(), purgedUrls.size(),
          complete, took);
    }
  }
}
