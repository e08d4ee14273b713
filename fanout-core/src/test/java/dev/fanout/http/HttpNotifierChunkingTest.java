package dev.fanout.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.Endpoint;
import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.TargetResult;
import dev.fanout.WireContract;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.spi.Discovery;
import dev.fanout.testing.LoopbackPod;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ReceiverPod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Invalidations larger than one request may carry reach real receivers completely: {@link
 * HttpNotifier} splits them into chunks within {@link WireContract}'s limits, each signed with its
 * own {@code webhook-id}, and a retry resends only the chunks that were not acknowledged.
 */
class HttpNotifierChunkingTest {
  private static final String SECRET = WebhookSigner.generateSecret();
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private <T extends AutoCloseable> T closing(T c) {
    closeables.add(c);
    return c;
  }

  private List<ReceiverPod> threeReceivers() throws Exception {
    List<ReceiverPod> pods = new ArrayList<>();
    for (int n = 2; n <= 4; n++) {
      pods.add(closing(ReceiverPod.start("127.0.0." + n, SECRET)));
    }
    return pods;
  }

  private static Discovery of(List<ReceiverPod> pods) {
    return Discovery.of(pods.stream().map(ReceiverPod::endpoint).collect(Collectors.toList()));
  }

  private Invalidator invalidator(Discovery discovery, HttpNotifier notifier) {
    return closing(Invalidator.builder()
        .stage(Stage.fanout("web", discovery, notifier)
            .retry(new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(40))))
        .deadline(Duration.ofSeconds(30))
        .quietPeriod(Duration.ofMinutes(1)).maxWait(Duration.ofMinutes(1))
        .build());
  }

  private HttpNotifier notifier() {
    return closing(HttpNotifier.builder().signingSecret(SECRET).build());
  }

  /** Every expected path applied exactly once at every replica, and nothing else (short messages). */
  private static void assertEachAppliedOnce(List<ReceiverPod> pods, Set<String> expected) {
    for (ReceiverPod pod : pods) {
      Map<String, Integer> applied = pod.applied();
      List<String> missing = expected.stream().filter(k -> !applied.containsKey(k)).limit(5)
          .collect(Collectors.toList());
      Map<String, Integer> wrong = new HashMap<>();
      applied.forEach((k, n) -> {
        if (wrong.size() < 5 && (n != 1 || !expected.contains(k))) {
          wrong.put(k, n);
        }
      });
      assertThat(missing).as("paths never applied at %s (first 5)", pod.endpoint()).isEmpty();
      assertThat(wrong).as("paths applied other than once at %s (first 5)", pod.endpoint()).isEmpty();
      assertThat(applied).hasSameSizeAs(expected);
    }
  }

  @Test
  void oneThousandAndOneSubmissionsReachThreeJavaReceiversCompletely() throws Exception {
    // Given: three replicas with the receiver's defaults (1,000 paths, 64 KiB per request)
    List<ReceiverPod> pods = threeReceivers();
    Invalidator invalidator = invalidator(of(pods), notifier());

    // When: 1,001 one-path submissions, merged into one flush
    List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>();
    Set<String> paths = new LinkedHashSet<>();
    for (int i = 0; i < 1_001; i++) {
      paths.add("/products/" + i);
      futures.add(invalidator.submit(Invalidation.ofPaths("/products/" + i)));
    }
    invalidator.flush();

    // Then: every submission is reported complete, and every replica applied every path once
    for (CompletableFuture<InvalidationReport> f : futures) {
      InvalidationReport report = f.get(30, TimeUnit.SECONDS);
      assertThat(report.isComplete()).as(report.summary()).isTrue();
    }
    assertEachAppliedOnce(pods, paths);
    for (ReceiverPod pod : pods) {
      assertThat(pod.handled()).hasSize(2);
      assertThat(pod.handled()).extracting(Invalidation::id)
          .allSatisfy(id -> assertThat(id).matches("inv_[0-9a-f]{32}:[01]of2"));
    }
  }

  @Test
  void tenThousandSubmittedPathsReachThreeJavaReceiversCompletely() throws Exception {
    List<ReceiverPod> pods = threeReceivers();
    Invalidator invalidator = invalidator(of(pods), notifier());

    List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>();
    Set<String> paths = new LinkedHashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String path = "/catalogue/" + (i % 100) + "/item-" + i;
      paths.add(path);
      futures.add(invalidator.submit(Invalidation.ofPaths(path)));
    }
    invalidator.flush();

    InvalidationReport report = futures.get(0).get(30, TimeUnit.SECONDS);
    assertThat(report.isComplete()).as(report.summary()).isTrue();
    assertThat(report.submissions()).isEqualTo(10_000);
    assertThat(CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
        .thenApply(v -> futures.stream().allMatch(f -> f.join().isComplete())).get(30, TimeUnit.SECONDS))
        .isTrue();
    assertEachAppliedOnce(pods, paths);
    assertThat(report.stage("web").targets()).extracting(TargetResult::detail)
        .containsOnly("10 chunks");
  }

  @Test
  void eightHundredLongPathsAreNoLongerRefusedAsTooLarge() throws Exception {
    // Given: 800 paths of about 100 characters, some 84 KB of JSON
    List<ReceiverPod> pods = threeReceivers();
    Invalidator invalidator = invalidator(of(pods), notifier());
    Set<String> paths = new LinkedHashSet<>();
    for (int i = 0; i < 800; i++) {
      paths.add(String.format("/docs/reference/api/v2/components/%04d/", i) + "x".repeat(60));
    }
    assertThat(InvalidationJson.encode(Invalidation.builder().paths(paths).build()).length)
        .isGreaterThan(WireContract.MAX_BODY_BYTES);

    InvalidationReport report = invalidator.invalidate(Invalidation.builder().paths(paths).build())
        .get(30, TimeUnit.SECONDS);

    assertThat(report.isComplete()).as(report.summary()).isTrue();
    assertEachAppliedOnce(pods, paths);
  }

  @Test
  void everyChunkIsWithinTheLimitsAndTheChunksAddUpToTheInvalidation() throws Exception {
    // Given: paths and tags with multi-byte characters and characters JSON escapes
    SplittableRandom random = new SplittableRandom(12);
    String alphabet = "abc/\"-_~\u00e9\u4e2d\ud83d\ude00";
    for (int round = 0; round < 20; round++) {
      Invalidation.Builder b = Invalidation.builder().id("inv_round_" + round).entity("post:" + round, round);
      int paths = random.nextInt(3_000);
      int tags = random.nextInt(2_500);
      for (int i = 0; i < paths; i++) {
        b.path("/" + i + "/" + text(random, alphabet, random.nextInt(WireContract.MAX_PATH_LENGTH - 8)));
      }
      for (int i = 0; i < tags; i++) {
        b.tag(i + ":" + text(random, alphabet, random.nextInt(WireContract.MAX_TAG_LENGTH - 8)));
      }
      if (paths + tags == 0) {
        b.tag("t");
      }
      Invalidation inv = b.build();

      // When
      List<InvalidationJson.Encoded> chunks = InvalidationJson.split(inv, 1,
          WireContract.MAX_PATHS_PER_REQUEST, WireContract.MAX_TAGS_PER_REQUEST, WireContract.MAX_BODY_BYTES);

      // Then: each body is accepted by the receiver's decoder with the default limits, says which
      // chunk it is, and together they carry every path and tag exactly once, in order
      List<String> allPaths = new ArrayList<>();
      List<String> allTags = new ArrayList<>();
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < chunks.size(); i++) {
        InvalidationJson.Encoded c = chunks.get(i);
        assertThat(c.body().length).isLessThanOrEqualTo(WireContract.MAX_BODY_BYTES);
        InvalidationJson.Wire wire = InvalidationJson.decodeWire(c.body(),
            InvalidationReceiver.DEFAULT_MAX_ENTRIES, InvalidationReceiver.DEFAULT_MAX_ENTRIES);
        assertThat(wire.hop()).isEqualTo(1);
        assertThat(wire.invalidation().entity()).isEqualTo("post:" + round);
        if (chunks.size() > 1) {
          assertThat(wire.chunk()).isEqualTo(new InvalidationJson.Chunk(i, chunks.size()));
          assertThat(wire.invalidation().id()).isEqualTo(c.webhookId())
              .isEqualTo(WireContract.chunkId(inv.id(), i, chunks.size()));
        } else {
          assertThat(wire.chunk()).isNull();
          assertThat(c.webhookId()).isEqualTo(inv.id());
        }
        assertThat(c.webhookId()).doesNotContain(".").hasSizeLessThanOrEqualTo(WireContract.MAX_WEBHOOK_ID_LENGTH);
        ids.add(c.webhookId());
        allPaths.addAll(wire.invalidation().paths());
        allTags.addAll(wire.invalidation().tags());
      }
      assertThat(ids).hasSize(chunks.size());
      assertThat(allPaths).isEqualTo(inv.paths());
      assertThat(allTags).isEqualTo(inv.tags());
      // The same invalidation always splits the same way.
      assertThat(InvalidationJson.split(inv, 1, WireContract.MAX_PATHS_PER_REQUEST,
          WireContract.MAX_TAGS_PER_REQUEST, WireContract.MAX_BODY_BYTES))
          .extracting(c -> new String(c.body(), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo(chunks.stream().map(c -> new String(c.body(), java.nio.charset.StandardCharsets.UTF_8))
              .collect(Collectors.toList()));
    }
  }

  private static String text(SplittableRandom random, String alphabet, int length) {
    int[] cps = alphabet.codePoints().toArray();
    StringBuilder sb = new StringBuilder();
    while (sb.length() < length) {
      sb.appendCodePoint(cps[random.nextInt(cps.length)]);
    }
    return sb.toString();
  }

  @Test
  void aRetryResendsOnlyTheChunksThatWereNotAcknowledged() throws Exception {
    // Given: a replica that refuses the third of four chunks once with a 503, after it answered
    // the other three
    Invalidation inv = Invalidation.builder().id("inv_retry")
        .paths(IntStream.range(0, 3_500).mapToObj(i -> "/p/" + i).collect(Collectors.toList())).build();
    String third = WireContract.chunkId("inv_retry", 2, 4);
    HttpNotifier notifier = notifier();
    java.util.concurrent.atomic.AtomicBoolean refused = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<Endpoint> self = new java.util.concurrent.atomic.AtomicReference<>();
    LoopbackPod pod = closing(LoopbackPod.start("127.0.0.2", (ex, i) -> {
      String id = ex.getRequestHeaders().getFirst("webhook-id");
      if (id.equals(third) && refused.compareAndSet(false, true)) {
        // Refuse only once the sender has taken in the other three acknowledgements.
        await().atMost(10, TimeUnit.SECONDS).until(() -> notifier.acknowledgedParts(inv, self.get()) == 3);
        LoopbackPod.respond(ex, 503, "{\"error\":\"busy\"}");
      } else {
        LoopbackPod.respond(ex, 200, "{}");
      }
    }));
    self.set(pod.endpoint());
    Invalidator invalidator = invalidator(Discovery.of(pod.endpoint()), notifier);

    // When
    InvalidationReport report = invalidator.invalidate(inv).get(30, TimeUnit.SECONDS);

    // Then: five requests, the third chunk twice; the notifier forgot the delivery once acked
    TargetResult result = report.stage("web").targets().get(0);
    assertThat(result.outcome()).isEqualTo(TargetResult.Outcome.ACKED);
    assertThat(result.attempts()).isEqualTo(2);
    assertThat(result.detail()).isEqualTo("4 chunks (1 sent in this attempt)");
    Map<String, Long> perId = pod.requests().stream()
        .collect(Collectors.groupingBy(r -> r.headers().get("webhook-id"), Collectors.counting()));
    assertThat(perId).containsOnlyKeys(IntStream.range(0, 4)
        .mapToObj(i -> WireContract.chunkId("inv_retry", i, 4)).toArray(String[]::new));
    assertThat(perId.get(third)).isEqualTo(2);
    assertThat(pod.requests()).hasSize(5);
    assertThat(notifier.rememberedDeliveries()).isZero();
  }

  @Test
  void cancellingTheAttemptStopsTheChunksNotYetSent() throws Exception {
    // Given: eight chunks to a replica that holds every request; four go out at once
    LoopbackPod pod = closing(LoopbackPod.start("127.0.0.2", 0, "held", null));
    pod.behave(pod.holdUntilReleased(200));
    Invalidation inv = Invalidation.builder()
        .paths(IntStream.range(0, 7_500).mapToObj(i -> "/p/" + i).collect(Collectors.toList())).build();
    CompletableFuture<?> attempt = notifier().deliver(pod.endpoint(), inv).toCompletableFuture();
    await().atMost(10, TimeUnit.SECONDS).until(() -> pod.requests().size() == MultiPartDelivery.PER_TARGET_WINDOW);

    // When: the engine gives up on the attempt (its timeout cancels it), then the replica answers
    attempt.cancel(true);
    pod.release();

    // Then: the other four chunks are never sent
    await().during(java.time.Duration.ofMillis(500)).atMost(java.time.Duration.ofSeconds(3))
        .until(() -> pod.requests().size() == MultiPartDelivery.PER_TARGET_WINDOW);
  }

  @Test
  void aChunkRefusedForGoodNamesTheChunkAndIsForgotten() throws Exception {
    LoopbackPod pod = closing(LoopbackPod.start("127.0.0.2", (ex, i) -> {
      String id = ex.getRequestHeaders().getFirst("webhook-id");
      LoopbackPod.respond(ex, id.endsWith(":1of2") ? 400 : 200, "{\"error\":\"path not allowed\"}");
    }));
    HttpNotifier notifier = notifier();
    Invalidator invalidator = invalidator(Discovery.of(pod.endpoint()), notifier);
    Invalidation inv = Invalidation.builder()
        .paths(IntStream.range(0, 1_500).mapToObj(i -> "/p/" + i).collect(Collectors.toList())).build();

    TargetResult result = invalidator.invalidate(inv).get(30, TimeUnit.SECONDS).stage("web").targets().get(0);

    assertThat(result.outcome()).isEqualTo(TargetResult.Outcome.FAILED);
    assertThat(result.errorKind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(result.status()).isEqualTo(400);
    assertThat(result.error()).startsWith("chunk 2 of 2: HTTP 400");
    assertThat(result.attempts()).isOne();
    assertThat(notifier.rememberedDeliveries()).isZero();
  }

  @Test
  void whatATargetAcknowledgedIsRememberedForALimitedTimeOnly() throws Exception {
    ManualClock clock = new ManualClock();
    HttpNotifier notifier = closing(HttpNotifier.builder().signingSecret(SECRET).clock(clock).build());
    Invalidation inv = Invalidation.builder()
        .paths(IntStream.range(0, 1_500).mapToObj(i -> "/p/" + i).collect(Collectors.toList())).build();
    java.util.concurrent.atomic.AtomicReference<Endpoint> self = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    LoopbackPod pod = closing(LoopbackPod.start("127.0.0.2", (ex, i) -> {
      String id = ex.getRequestHeaders().getFirst("webhook-id");
      if (id.endsWith(":1of2")) {
        if (first.getAndSet(false)) {
          await().atMost(10, TimeUnit.SECONDS).until(() -> notifier.acknowledgedParts(inv, self.get()) == 1);
        }
        LoopbackPod.respond(ex, 503, "{}");
      } else {
        LoopbackPod.respond(ex, 200, "{}");
      }
    }));
    self.set(pod.endpoint());

    // A failed attempt leaves its acknowledged chunk behind for the engine's retry
    assertThat(notifier.deliver(pod.endpoint(), inv).toCompletableFuture()).failsWithin(10, TimeUnit.SECONDS);
    assertThat(notifier.rememberedDeliveries()).isOne();
    assertThat(notifier.deliver(pod.endpoint(), inv).toCompletableFuture()).failsWithin(10, TimeUnit.SECONDS);
    assertThat(pod.requests()).extracting(r -> r.headers().get("webhook-id"))
        .containsExactlyInAnyOrder(inv.id() + ":0of2", inv.id() + ":1of2", inv.id() + ":1of2");

    // ... until the retention runs out
    clock.advance(Duration.ofMinutes(MultiPartDelivery.PROGRESS_RETENTION_MINUTES));
    assertThat(notifier.rememberedDeliveries()).isZero();
  }

  @Test
  void relayedChunksReachEveryPeerUnderTheirOwnIds() throws Exception {
    // Given: three relaying replicas behind one address; the sender reaches only the first
    List<String> ips = List.of("127.0.0.2", "127.0.0.3", "127.0.0.4");
    List<ReceiverPod> pods = new ArrayList<>();
    List<Endpoint> all = new ArrayList<>();
    java.util.concurrent.atomic.AtomicReference<List<Endpoint>> members =
        new java.util.concurrent.atomic.AtomicReference<>(all);
    Discovery peers = () -> CompletableFuture.completedFuture(members.get());
    for (String ip : ips) {
      pods.add(closing(ReceiverPod.start(ip, SECRET,
          b -> b.relay(InvalidationReceiver.Relay.to(peers).self(ip)))));
    }
    pods.forEach(p -> all.add(p.endpoint()));
    Invalidator invalidator = invalidator(Discovery.of(pods.get(0).endpoint()), notifier());
    Set<String> paths = IntStream.range(0, 2_500).mapToObj(i -> "/r/" + i)
        .collect(Collectors.toCollection(LinkedHashSet::new));

    // When
    InvalidationReport report = invalidator.invalidate(Invalidation.builder().paths(paths).build())
        .get(30, TimeUnit.SECONDS);

    // Then: each peer got each chunk, none mistaken for a replay of another
    assertThat(report.isComplete()).as(report.summary()).isTrue();
    assertEachAppliedOnce(pods, paths);
  }

  @Test
  void xkeyPurgesSplitTheTagsToKeepEachHeaderSmall() throws Exception {
    LoopbackPod varnish = closing(LoopbackPod.start("127.0.0.2", LoopbackPod.ok()));
    HttpNotifier notifier = closing(HttpNotifier.varnishXkey().build());
    List<String> tags = IntStream.range(0, 2_000).mapToObj(i -> "product:" + i + "-" + "k".repeat(20))
        .collect(Collectors.toList());

    notifier.deliver(varnish.endpoint(), Invalidation.builder().tags(tags).build())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);

    List<String> headers = varnish.requests().stream().map(r -> r.headers().get("xkey-purge"))
        .collect(Collectors.toList());
    assertThat(headers).hasSizeGreaterThan(1)
        .allSatisfy(h -> assertThat(h.length()).isLessThanOrEqualTo(HttpNotifier.MAX_XKEY_HEADER_BYTES));
    assertThat(headers.stream().flatMap(h -> List.of(h.split(" ")).stream()).collect(Collectors.toList()))
        .containsExactlyInAnyOrderElementsOf(tags);
    assertThat(varnish.maxInFlight()).isLessThanOrEqualTo(MultiPartDelivery.PER_TARGET_WINDOW);
  }

  @Test
  void aSmallInvalidationIsStillOneRequestUnderItsOwnId() throws Exception {
    LoopbackPod pod = closing(LoopbackPod.start("127.0.0.2", LoopbackPod.ok()));
    Invalidation inv = Invalidation.builder().id("inv_small").path("/a").tag("t").build();

    notifier().deliver(pod.endpoint(), inv).toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(pod.requests()).hasSize(1);
    assertThat(pod.requests().get(0).headers()).containsEntry("webhook-id", "inv_small");
    JsonNode body = JSON.readTree(pod.requests().get(0).body());
    assertThat(body.has("chunk")).isFalse();
  }
}
