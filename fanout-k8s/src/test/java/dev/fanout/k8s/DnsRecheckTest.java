package dev.fanout.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.StageReport;
import dev.fanout.TargetResult;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.testing.LoopbackPod;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

/**
 * The engine's membership re-check with {@link DnsDiscovery} against a real DNS server on loopback:
 * it asks DNS again rather than answer from the TTL cache, so a pod that appears during the fan-out
 * is served and one that disappears is excused.
 */
class DnsRecheckTest {
  private static final String WEB = "web.shop.svc.cluster.local.";
  private static final String SECRET = WebhookSigner.generateSecret();

  private FakeDnsServer dns;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    dns = new FakeDnsServer();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    dns.close();
  }

  private DnsDiscovery discovery(int port) {
    return DnsDiscovery.builder(WEB).port(port)
        .server("127.0.0.1", dns.port()).searchDomains(List.of()).ndots(1)
        .allowCidr("127.0.0.0/8")
        .build();
  }

  /** A port free on 127.0.0.2 and 127.0.0.4 alike: every replica of a Service listens on one port. */
  private static int commonPort() throws IOException {
    for (int i = 0; i < 20; i++) {
      int port;
      try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.2"))) {
        port = probe.getLocalPort();
      }
      try (ServerSocket other = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.4"))) {
        if (other.isBound()) {
          return port;
        }
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no port free on both addresses");
  }

  @Test
  void aPodThatAppearsMidFanoutIsServedAndOneThatDisappearsIsExcused() throws Exception {
    // Given: DNS lists web-0 (127.0.0.2) and web-1 (127.0.0.3) with a 30 s TTL; web-1 has just been
    // terminated (its port refuses connections). While web-0 handles the invalidation, the
    // Service changes: web-1 leaves DNS and web-2 (127.0.0.4) becomes ready.
    int port = commonPort();
    dns.add(WEB + " 30 A 127.0.0.2").add(WEB + " 30 A 127.0.0.3");
    LoopbackPod joining = LoopbackPod.start("127.0.0.4", port, "web-2", LoopbackPod.ok());
    closeables.add(joining);
    LoopbackPod first = LoopbackPod.start("127.0.0.2", port, "web-0", (ex, i) -> {
      dns.replace(WEB, WEB + " 30 A 127.0.0.2", WEB + " 30 A 127.0.0.4");
      LoopbackPod.respond(ex, 200, "{}");
    });
    closeables.add(first);
    HttpNotifier notifier = HttpNotifier.builder().signingSecret(SECRET).build();
    closeables.add(notifier);
    Invalidator invalidator = Invalidator.builder()
        .stage(Stage.fanout("web", discovery(port), notifier)
            .retry(new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(10))))
        .deadline(Duration.ofSeconds(20))
        .build();
    closeables.add(invalidator);

    // When
    InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/p")).get(20, TimeUnit.SECONDS);

    // Then: DNS was asked twice, web-2 got the invalidation, web-1 is excused
    StageReport web = report.stage("web");
    assertThat(result(web, "127.0.0.2:" + port).outcome()).isEqualTo(TargetResult.Outcome.ACKED);
    TargetResult gone = result(web, "127.0.0.3:" + port);
    assertThat(gone.outcome()).isEqualTo(TargetResult.Outcome.EXCUSED);
    TargetResult joined = result(web, "127.0.0.4:" + port);
    assertThat(joined.outcome()).isEqualTo(TargetResult.Outcome.ACKED);
    assertThat(joined.lateJoiner()).isTrue();
    assertThat(joining.requests()).hasSize(1);
    assertThat(report.isComplete()).as(report.describe()).isTrue();
    assertThat(dns.count(null, WEB, Type.A)).isEqualTo(2);
  }

  @Test
  void discoverFreshAsksAgainAndRefreshesTheCache() throws Exception {
    dns.add(WEB + " 30 A 127.0.0.2");
    DnsDiscovery d = discovery(80);
    assertThat(d.discover().toCompletableFuture().get(10, TimeUnit.SECONDS)).hasSize(1);
    dns.replace(WEB, WEB + " 30 A 127.0.0.2", WEB + " 30 A 127.0.0.3");

    // The cache still answers discover() ...
    assertThat(d.discover().toCompletableFuture().get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(dns.count(null, WEB, Type.A)).isEqualTo(1);
    // ... not discoverFresh(), whose answer then also serves discover()
    assertThat(d.discoverFresh().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .extracting(Endpoint::address).containsExactly("127.0.0.2", "127.0.0.3");
    assertThat(dns.count(null, WEB, Type.A)).isEqualTo(2);
    assertThat(d.discover().toCompletableFuture().get(10, TimeUnit.SECONDS)).hasSize(2);
    assertThat(dns.count(null, WEB, Type.A)).isEqualTo(2);

    // An empty fresh answer clears the cache rather than leave the old one to discover()
    dns.nxdomain(WEB, Type.A, 10);
    dns.nxdomain(WEB, Type.AAAA, 10);
    assertThat(d.discoverFresh().toCompletableFuture().get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(d.discover().toCompletableFuture().get(10, TimeUnit.SECONDS)).isEmpty();
  }

  private static TargetResult result(StageReport stage, String authority) {
    return stage.targets().stream().filter(t -> t.endpoint().authority().equals(authority))
        .findFirst().orElseThrow(() -> new AssertionError(authority + " not in " + stage.targets()));
  }
}
