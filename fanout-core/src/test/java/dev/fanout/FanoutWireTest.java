package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import dev.fanout.testing.LoopbackPod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine against real HTTP servers on loopback addresses (127.0.0.2 and up act as pod IPs), with
 * the real {@link HttpNotifier}. Time is real here but nothing sleeps: pods hold answers on latches.
 */
class FanoutWireTest {
  private static final String SECRET = WebhookSigner.generateSecret();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private LoopbackPod pod(int n, LoopbackPod.Behaviour b) throws Exception {
    LoopbackPod p = LoopbackPod.start("127.0.0." + n, 0, "pod-" + n, b);
    closeables.add(p);
    return p;
  }

  private static HttpNotifier notifier() {
    return HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build();
  }

  /** A purger that POSTs to a stand-in CDN endpoint. */
  private static Purger cdn(LoopbackPod cdnPod) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    return new Purger() {
      @Override
      public CompletionStage<PurgeResult> purge(Invalidation inv) {
        Endpoint e = cdnPod.endpoint();
        return client.sendAsync(HttpRequest.newBuilder(URI.create("http://" + e.authority() + "/purge"))
                .POST(HttpRequest.BodyPublishers.ofString(String.join(",", inv.paths()))).build(),
                HttpResponse.BodyHandlers.discarding())
            .thenApply(r -> PurgeResult.succeeded(name(), 1, List.of("purge-" + r.statusCode())));
      }

      @Override
      public String name() {
        return "cdn:stand-in";
      }
    };
  }

  private Invalidator.Builder engine() {
    return Invalidator.builder().deadline(Duration.ofSeconds(20)).random(new SplittableRandom(7));
  }

  private static Stage.Fanout web(Discovery d) {
    return Stage.fanout("web", d, notifier())
        .attemptTimeout(Duration.ofMillis(500))
        .retry(new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(40)));
  }

  @Test
  void tenPodsEachFailureClassifiedAndTheGateHoldsTheCdn() throws Exception {
    // Given: 10 pods, five of them misbehaving in different ways
    int okPods = 5;
    CountDownLatch othersAnswered = new CountDownLatch(okPods + 1);
    LoopbackPod.Behaviour okAndCount = (ex, i) -> {
      LoopbackPod.ok().answer(ex, i);
      othersAnswered.countDown();
    };
    List<LoopbackPod> pods = new ArrayList<>();
    LoopbackPod slow = pod(2, (ex, i) -> {
      othersAnswered.await(10, TimeUnit.SECONDS);
      LoopbackPod.respond(ex, 200, "{}");
    });
    pods.add(slow);
    pods.add(pod(3, (ex, i) -> {
      LoopbackPod.statuses(503, 503, 200).answer(ex, i);
      if (i == 2) {
        othersAnswered.countDown();
      }
    }));
    LoopbackPod unauthorized = pod(4, LoopbackPod.statuses(401));
    pods.add(unauthorized);
    LoopbackPod.ResettingPod reset = LoopbackPod.resetting("127.0.0.5");
    closeables.add(reset);
    LoopbackPod stalled = pod(6, null);
    stalled.behave(stalled.stallBody());
    pods.add(stalled);
    for (int n = 7; n < 7 + okPods; n++) {
      pods.add(pod(n, okAndCount));
    }
    LoopbackPod cdnPod = pod(20, LoopbackPod.ok());
    List<Endpoint> endpoints = new ArrayList<>();
    pods.forEach(p -> endpoints.add(p.endpoint()));
    endpoints.add(reset.endpoint());

    Invalidator invalidator = engine()
        .stage(web(Discovery.of(endpoints)))
        .stage(Stage.purge("cdn", cdn(cdnPod)))
        .build();
    closeables.add(invalidator);

    // When
    InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/blog/hello")).get(20, TimeUnit.SECONDS);

    // Then: each pod is classified
    StageReport web = report.stage("web");
    assertThat(web.targets()).hasSize(10);
    assertThat(result(web, slow).outcome()).isEqualTo(TargetResult.Outcome.ACKED);
    TargetResult flaky = result(web, pods.get(1));
    assertThat(flaky.outcome()).isEqualTo(TargetResult.Outcome.ACKED);
    assertThat(flaky.attempts()).isEqualTo(3);
    TargetResult denied = result(web, unauthorized);
    assertThat(denied.outcome()).isEqualTo(TargetResult.Outcome.FAILED);
    assertThat(denied.errorKind()).isEqualTo(ErrorKind.UNAUTHORIZED);
    assertThat(denied.status()).isEqualTo(401);
    assertThat(denied.attempts()).isEqualTo(1);
    TargetResult resetResult = web.targets().stream()
        .filter(t -> t.endpoint().equals(reset.endpoint())).findFirst().orElseThrow();
    assertThat(resetResult.outcome()).isEqualTo(TargetResult.Outcome.FAILED);
    assertThat(resetResult.errorKind()).isEqualTo(ErrorKind.IO);
    assertThat(resetResult.attempts()).isEqualTo(3);
    assertThat(reset.accepted()).isEqualTo(3);
    TargetResult stall = result(web, stalled);
    assertThat(stall.outcome()).isEqualTo(TargetResult.Outcome.FAILED);
    assertThat(stall.errorKind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(stall.attempts()).isEqualTo(3);
    assertThat(web.acked()).isEqualTo(7);

    // The slow pod did not delay the others: they all answered before it did.
    long slowAnswered = slow.answeredNanos().get(0);
    for (LoopbackPod p : pods.subList(5, pods.size())) {
      assertThat(p.answeredNanos().get(0)).isLessThan(slowAnswered);
    }

    // The gate held the CDN back.
    assertThat(web.gateMet()).isFalse();
    assertThat(report.stage("cdn").status()).isEqualTo(StageReport.Status.SKIPPED);
    assertThat(cdnPod.requests()).isEmpty();
    assertThat(report.isComplete()).isFalse();
    assertThat(report.summary()).contains("web: 7/10 acked, 3 failed").contains("401 unauthorized")
        .contains("cdn: skipped (gate 'web' not met)");
  }

  @Test
  void cdnPurgeArrivesAfterTheLastPodAck() throws Exception {
    CountDownLatch fastDone = new CountDownLatch(3);
    List<LoopbackPod> pods = new ArrayList<>();
    pods.add(pod(2, (ex, i) -> {
      fastDone.await(10, TimeUnit.SECONDS);
      LoopbackPod.respond(ex, 200, "{}");
    }));
    pods.add(pod(3, LoopbackPod.statuses(503, 200)));
    for (int n = 4; n < 7; n++) {
      pods.add(pod(n, (ex, i) -> {
        LoopbackPod.ok().answer(ex, i);
        fastDone.countDown();
      }));
    }
    LoopbackPod cdnPod = pod(20, LoopbackPod.ok());
    List<Endpoint> endpoints = pods.stream().map(LoopbackPod::endpoint).toList();
    Invalidator invalidator = engine().stage(web(Discovery.of(endpoints)))
        .stage(Stage.purge("cdn", cdn(cdnPod))).build();
    closeables.add(invalidator);

    InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/a", "/b")).get(20, TimeUnit.SECONDS);

    assertThat(report.isComplete()).isTrue();
    assertThat(cdnPod.requests()).hasSize(1);
    long purgeArrived = cdnPod.requests().get(0).receivedNanos();
    for (LoopbackPod p : pods) {
      assertThat(p.answeredNanos()).allMatch(t -> t < purgeArrived);
    }
    assertThat(report.stage("cdn").purges().get(0).requestIds()).containsExactly("purge-200");
  }

  @Test
  void concurrencyLimitIsObservedByThePods() throws Exception {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger max = new AtomicInteger();
    Semaphore answers = new Semaphore(0);
    List<Endpoint> endpoints = new ArrayList<>();
    for (int n = 2; n < 14; n++) {
      endpoints.add(pod(n, (ex, i) -> {
        max.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        answers.acquire();
        inFlight.decrementAndGet();
        LoopbackPod.respond(ex, 200, "{}");
      }).endpoint());
    }
    Invalidator invalidator = engine()
        .stage(web(Discovery.of(endpoints)).concurrency(4).attemptTimeout(Duration.ofSeconds(10)))
        .build();
    closeables.add(invalidator);

    CompletableFuture<InvalidationReport> f = invalidator.invalidate(Invalidation.ofPaths("/a"));
    for (int remaining = 12; remaining > 0; remaining--) {
      int expected = Math.min(4, remaining);
      await().atMost(Duration.ofSeconds(10)).until(() -> inFlight.get() == expected);
      answers.release();
    }

    assertThat(f.get(10, TimeUnit.SECONDS).stage("web").acked()).isEqualTo(12);
    assertThat(max.get()).isEqualTo(4);
  }

  @Test
  void podAddedMidFanoutIsReachedAndPodRemovedIsExcused() throws Exception {
    LoopbackPod late = pod(4, LoopbackPod.ok());
    // A pod that has gone: its address refuses connections, and the re-check no longer lists it.
    LoopbackPod leaving = pod(3, LoopbackPod.ok());
    leaving.close();
    AtomicReference<List<Endpoint>> members = new AtomicReference<>();
    LoopbackPod first = pod(2, (ex, i) -> {
      // The tier scales while the fan-out runs: one pod joins, one leaves.
      members.set(List.of(members.get().get(0), late.endpoint()));
      LoopbackPod.respond(ex, 200, "{}");
    });
    members.set(List.of(first.endpoint(), leaving.endpoint()));
    Discovery live = () -> CompletableFuture.completedFuture(members.get());
    Invalidator invalidator = engine().stage(web(live)).build();
    closeables.add(invalidator);

    InvalidationReport report = invalidator.invalidate(Invalidation.ofTags("post:1")).get(20, TimeUnit.SECONDS);

    StageReport web = report.stage("web");
    assertThat(result(web, first).outcome()).isEqualTo(TargetResult.Outcome.ACKED);
    assertThat(result(web, leaving).outcome()).isEqualTo(TargetResult.Outcome.EXCUSED);
    TargetResult joined = result(web, late);
    assertThat(joined.outcome()).isEqualTo(TargetResult.Outcome.ACKED);
    assertThat(joined.lateJoiner()).isTrue();
    assertThat(late.requests()).hasSize(1);
    assertThat(report.isComplete()).isTrue();
  }

  @Test
  void aLiveReplicaMissingFromTheRecheckIsNotExcused() throws Exception {
    // Given: a replica that answers 503 (alive, stale) and then drops out of discovery, as a pod
    // failing its readiness probe drops out of headless-Service DNS
    LoopbackPod ok = pod(2, LoopbackPod.ok());
    LoopbackPod unready = pod(3, LoopbackPod.statuses(503));
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    Discovery dns = () -> CompletableFuture.completedFuture(calls.getAndIncrement() == 0
        ? List.of(ok.endpoint(), unready.endpoint()) : List.of(ok.endpoint()));
    Invalidator invalidator = engine().stage(web(dns)).build();
    closeables.add(invalidator);

    StageReport web = invalidator.invalidate(Invalidation.ofPaths("/p")).get(20, TimeUnit.SECONDS).stage("web");

    assertThat(result(web, unready).outcome()).isEqualTo(TargetResult.Outcome.FAILED);
    assertThat(web.gateMet()).isFalse();
  }

  @Test
  void anEmptyRecheckExcusesNothing() throws Exception {
    // Given: both replicas refuse connections, and the re-check answers nothing (an intermittent
    // NXDOMAIN)
    LoopbackPod a = pod(2, LoopbackPod.ok());
    LoopbackPod b = pod(3, LoopbackPod.ok());
    a.close();
    b.close();
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    Discovery flaky = () -> CompletableFuture.completedFuture(calls.getAndIncrement() == 0
        ? List.of(a.endpoint(), b.endpoint()) : List.<Endpoint>of());
    LoopbackPod cdnPod = pod(20, LoopbackPod.ok());
    Invalidator invalidator = engine().stage(web(flaky)).stage(Stage.purge("cdn", cdn(cdnPod))).build();
    closeables.add(invalidator);

    InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/p")).get(20, TimeUnit.SECONDS);

    assertThat(report.stage("web").failed()).isEqualTo(2);
    assertThat(report.stage("web").detail()).contains("re-check found 0 replicas; failures not excused");
    assertThat(report.isComplete()).isFalse();
    assertThat(cdnPod.requests()).isEmpty();
  }

  @Test
  void cancellationAbandonsRequestsInFlight() throws Exception {
    LoopbackPod held = pod(2, null);
    held.behave(held.holdUntilReleased(200));
    List<TargetResult> ends = new java.util.concurrent.CopyOnWriteArrayList<>();
    Invalidator invalidator = engine().listener(new FanoutListener() {
      @Override
      public void onTargetEnd(Invalidation inv, String stage, TargetResult result) {
        ends.add(result);
      }
    }).stage(web(Discovery.of(held.endpoint())).attemptTimeout(Duration.ofSeconds(15))).build();
    closeables.add(invalidator);

    CompletableFuture<InvalidationReport> f = invalidator.invalidate(Invalidation.ofPaths("/x"));
    await().atMost(Duration.ofSeconds(10)).until(() -> held.requests().size() == 1);
    f.cancel(true);

    await().atMost(Duration.ofSeconds(5)).until(() -> ends.size() == 1);
    assertThat(ends.get(0).errorKind()).isEqualTo(ErrorKind.CANCELLED);
    assertThat(f).isCancelled();
  }

  @Test
  void overallDeadlineEndsTheInvalidationWhilePodsHang() throws Exception {
    LoopbackPod held = pod(2, null);
    held.behave(held.holdUntilReleased(200));
    LoopbackPod cdnPod = pod(20, LoopbackPod.ok());
    Invalidator invalidator = Invalidator.builder().deadline(Duration.ofMillis(400))
        .stage(web(Discovery.of(held.endpoint())).attemptTimeout(Duration.ofSeconds(15)))
        .stage(Stage.purge("cdn", cdn(cdnPod))).build();
    closeables.add(invalidator);

    InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/x")).get(10, TimeUnit.SECONDS);

    assertThat(report.stage("web").targets().get(0).errorKind()).isEqualTo(ErrorKind.DEADLINE);
    assertThat(report.stage("cdn").status()).isEqualTo(StageReport.Status.SKIPPED);
    assertThat(cdnPod.requests()).isEmpty();
  }

  private static TargetResult result(StageReport stage, LoopbackPod pod) {
    return stage.targets().stream().filter(t -> t.endpoint().authority().equals(pod.endpoint().authority()))
        .findFirst().orElseThrow();
  }
}
