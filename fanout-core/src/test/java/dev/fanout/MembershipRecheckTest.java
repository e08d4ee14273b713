package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import dev.fanout.testing.LoopbackPod;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The membership re-check against real pods on loopback: a replica that becomes eligible during
 * the fan-out is served, and only a replica whose connection was refused may be excused as gone.
 */
class MembershipRecheckTest {
  private static final String SECRET = WebhookSigner.generateSecret();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<Long> purgedAt = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private LoopbackPod pod(int n) throws IOException {
    LoopbackPod p = LoopbackPod.start("127.0.0." + n, 0, "pod-" + n, LoopbackPod.ok());
    closeables.add(p);
    return p;
  }

  private final Purger cdn = new Purger() {
    @Override
    public CompletionStage<PurgeResult> purge(Invalidation inv) {
      purgedAt.add(System.nanoTime());
      return CompletableFuture.completedFuture(PurgeResult.succeeded(name(), 1, List.of()));
    }

    @Override
    public String name() {
      return "cdn";
    }
  };

  /** Answers {@code first} to the first discovery and {@code then} to every later one. */
  private static Discovery changing(List<Endpoint> first, List<Endpoint> then) {
    AtomicInteger calls = new AtomicInteger();
    return () -> CompletableFuture.completedFuture(calls.getAndIncrement() == 0 ? first : then);
  }

  private Invalidator invalidator(Stage.Fanout stage) {
    HttpNotifier notifier = HttpNotifier.builder().signingSecret(SECRET).build();
    closeables.add(notifier);
    Invalidator invalidator = Invalidator.builder()
        .stage(stage)
        .stage(Stage.purge("cdn", cdn))
        .deadline(Duration.ofSeconds(20))
        .build();
    closeables.add(invalidator);
    return invalidator;
  }

  private Stage.Fanout web(Discovery discovery) {
    HttpNotifier notifier = HttpNotifier.builder().signingSecret(SECRET).build();
    closeables.add(notifier);
    return Stage.fanout("web", discovery, notifier)
        .retry(new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(10)));
  }

  private static TargetResult result(StageReport stage, Endpoint e) {
    return stage.targets().stream().filter(t -> t.endpoint().authority().equals(e.authority()))
        .findFirst().orElseThrow();
  }

  @Test
  void aReplicaReadyOnlyAtTheRecheckIsDeliveredToBeforeTheCdnIsPurged() throws Exception {
    // Given: a stage that accepts READY replicas; one is starting when the fan-out begins
    LoopbackPod ready = pod(2);
    LoopbackPod starting = pod(3);
    Endpoint notReady = starting.endpoint().withState(Endpoint.State.NOT_READY);
    Discovery discovery = changing(List.of(ready.endpoint(), notReady),
        List.of(ready.endpoint(), starting.endpoint()));
    Invalidator invalidator = invalidator(web(discovery).states(Endpoint.State.READY));

    // When
    InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/p")).get(20, TimeUnit.SECONDS);

    // Then: it became READY during the fan-out, so it got the invalidation, before the CDN purge
    TargetResult late = result(report.stage("web"), starting.endpoint());
    assertThat(late.outcome()).isEqualTo(TargetResult.Outcome.ACKED);
    assertThat(late.lateJoiner()).isTrue();
    assertThat(starting.requests()).hasSize(1);
    assertThat(report.isComplete()).as(report.describe()).isTrue();
    assertThat(purgedAt).hasSize(1);
    assertThat(purgedAt.get(0)).isGreaterThan(starting.requests().get(0).receivedNanos());
  }

  @Test
  void aReplicaStillNotReadyAtTheRecheckStaysSkipped() throws Exception {
    LoopbackPod ready = pod(2);
    LoopbackPod starting = pod(3);
    Endpoint notReady = starting.endpoint().withState(Endpoint.State.NOT_READY);
    Invalidator invalidator = invalidator(web(changing(List.of(ready.endpoint(), notReady),
        List.of(ready.endpoint(), notReady))).states(Endpoint.State.READY));

    InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/p")).get(20, TimeUnit.SECONDS);

    assertThat(result(report.stage("web"), notReady).outcome()).isEqualTo(TargetResult.Outcome.SKIPPED);
    assertThat(starting.requests()).isEmpty();
  }

  @Test
  void aLiveReplicaThatResetsTheConnectionIsNotExcusedWhenDiscoveryDropsIt() throws Exception {
    // Given: a live replica that resets every connection (a crashing handler, a proxy in between),
    // and that DNS drops meanwhile because it fails its readiness probe
    LoopbackPod ok = pod(2);
    LoopbackPod.ResettingPod resetting = LoopbackPod.resetting("127.0.0.3");
    closeables.add(resetting);
    Invalidator invalidator = invalidator(web(changing(List.of(ok.endpoint(), resetting.endpoint()),
        List.of(ok.endpoint()))));

    // When
    InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/p")).get(20, TimeUnit.SECONDS);

    // Then: it may still hold the old content; failed, and the CDN is not purged
    TargetResult r = result(report.stage("web"), resetting.endpoint());
    assertThat(r.outcome()).isEqualTo(TargetResult.Outcome.FAILED);
    assertThat(r.errorKind()).isEqualTo(ErrorKind.IO);
    assertThat(report.isComplete()).isFalse();
    assertThat(purgedAt).isEmpty();
  }

  @Test
  void aLiveReplicaThatAnswersGarbageIsNotExcusedWhenDiscoveryDropsIt() throws Exception {
    LoopbackPod ok = pod(2);
    ServerSocket garbage = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.3"));
    closeables.add(garbage);
    Thread t = new Thread(() -> {
      while (!garbage.isClosed()) {
        try (Socket s = garbage.accept()) {
          s.getInputStream().read(new byte[8192]);
          OutputStream out = s.getOutputStream();
          out.write("SSH-2.0-OpenSSH_9.6\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
        } catch (IOException e) {
          // closed
        }
      }
    }, "test-garbage-pod");
    t.setDaemon(true);
    t.start();
    Endpoint protocolError = Endpoint.of("127.0.0.3", garbage.getLocalPort());
    Invalidator invalidator = invalidator(web(changing(List.of(ok.endpoint(), protocolError),
        List.of(ok.endpoint()))));

    InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/p")).get(20, TimeUnit.SECONDS);

    TargetResult r = result(report.stage("web"), protocolError);
    assertThat(r.outcome()).isEqualTo(TargetResult.Outcome.FAILED);
    assertThat(r.errorKind()).isEqualTo(ErrorKind.IO);
    assertThat(purgedAt).isEmpty();
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(HttpNotifier.Transport.class)
  void aReplicaThatRefusesConnectionsAndLeftDiscoveryIsExcused(HttpNotifier.Transport transport)
      throws Exception {
    LoopbackPod ok = pod(2);
    LoopbackPod gone = pod(3);
    Endpoint goneEndpoint = gone.endpoint();
    gone.close();
    HttpNotifier notifier = HttpNotifier.builder().signingSecret(SECRET).transport(transport).build();
    closeables.add(notifier);
    Invalidator invalidator = invalidator(Stage.fanout("web", changing(List.of(ok.endpoint(), goneEndpoint),
        List.of(ok.endpoint())), notifier).retry(new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(10))));

    InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/p")).get(20, TimeUnit.SECONDS);

    TargetResult r = result(report.stage("web"), goneEndpoint);
    assertThat(r.outcome()).isEqualTo(TargetResult.Outcome.EXCUSED);
    assertThat(r.errorKind()).isEqualTo(ErrorKind.CONNECT);
    assertThat(report.isComplete()).isTrue();
    assertThat(purgedAt).hasSize(1);
  }
}
