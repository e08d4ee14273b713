package dev.fanout.catchup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.Endpoint;
import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.Invalidator;
import dev.fanout.Stage;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.receiver.ReceiverServer;
import dev.fanout.testing.ManualClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Catch-up over real HTTP between HttpNotifier and InvalidationReceiver on loopback: the signals,
 * fresh-since narrowing, chunking of a long history, and readiness held until caught up.
 */
class CatchUpOverHttpTest {
  private static final String SECRET = WebhookSigner.generateSecret();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<CatchUpReport> reports = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void aNewReplicaIsSentWhatWasInvalidatedAfterItsFreshSinceInChunksAndThenTurnsReady() throws Exception {
    FakeTier members = new FakeTier();
    InvalidationReceiver first = InvalidationReceiver.builder().secret(SECRET).handler(i -> { }).build();
    ReceiverServer a = serve(first, "127.0.0.2");
    members.set(endpoint(a));
    HttpNotifier notifier = HttpNotifier.builder().signingSecret(SECRET).build();
    closeables.add(notifier);
    // A manual clock stamps the history (timers and signatures use real time), so that the build
    // falls between the two invalidations without waiting.
    ManualClock clock = new ManualClock();
    Invalidator invalidator = Invalidator.builder()
        .clock(clock)
        .listener(new FanoutListener() {
          @Override
          public void onCatchUp(CatchUpReport report) {
            reports.add(report);
          }
        })
        .stage(Stage.fanout("web", members, notifier)
            .catchUp(CatchUpPolicy.of(Duration.ofHours(1)).withSettle(Duration.ofMillis(50))
                .withClockSkew(Duration.ZERO)))
        .build();
    closeables.add(invalidator);

    invalidator.invalidate(Invalidation.ofPaths("/before-build")).get(10, TimeUnit.SECONDS);
    clock.advance(Duration.ofMinutes(1));
    Instant built = clock.instant();
    clock.advance(Duration.ofMinutes(1));
    List<String> after = new ArrayList<>();
    for (int k = 0; k < 2500; k++) {
      after.add("/posts/" + k);
    }
    invalidator.invalidate(Invalidation.builder().paths(after).tag("post:list").build())
        .get(10, TimeUnit.SECONDS);

    List<Invalidation> seen = new CopyOnWriteArrayList<>();
    InvalidationReceiver fresh = InvalidationReceiver.builder().secret(SECRET).handler(seen::add)
        .freshSince(built).holdReadinessUntilCaughtUp(Duration.ofMinutes(1)).build();
    ReceiverServer b = serve(fresh, "127.0.0.3");
    assertThat(fresh.readiness().status()).isEqualTo(503);
    members.set(endpoint(a), endpoint(b).withState(Endpoint.State.NOT_READY));

    await().atMost(10, TimeUnit.SECONDS).until(fresh::isCaughtUp);
    assertThat(fresh.readiness().status()).isEqualTo(200);
    assertThat(seen).as("2,500 paths travel as 3 chunks").hasSize(3);
    assertThat(seen.stream().flatMap(i -> i.paths().stream())).hasSize(2500)
        .doesNotContain("/before-build");
    await().atMost(5, TimeUnit.SECONDS).until(() -> reports.size() == 1);
    assertThat(reports.get(0).freshSince()).isEqualTo(built);
    assertThat(reports.get(0).paths()).isEqualTo(2500);
    assertThat(reports.get(0).reason()).isEqualTo(CatchUpReport.Reason.JOINED);
  }

  private ReceiverServer serve(InvalidationReceiver receiver, String ip) throws Exception {
    closeables.add(receiver);
    ReceiverServer s = ReceiverServer.builder(receiver)
        .address(new InetSocketAddress(InetAddress.getByName(ip), 0)).start();
    closeables.add(s);
    return s;
  }

  private static Endpoint endpoint(ReceiverServer s) {
    return Endpoint.of(s.address().getAddress().getHostAddress(), s.address().getPort());
  }
}
