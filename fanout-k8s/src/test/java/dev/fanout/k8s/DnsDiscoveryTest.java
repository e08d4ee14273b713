package dev.fanout.k8s;

import static dev.fanout.k8s.Outcomes.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.fanout.DiscoveryException;
import dev.fanout.Endpoint;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/** Tests for {@link DnsDiscovery} against a real UDP+TCP DNS server on loopback. */
class DnsDiscoveryTest {
  private static final String WEB = "web.shop.svc.cluster.local.";
  private static final Duration SHORT = Duration.ofMillis(400);

  private FakeDnsServer dns;
  private ManualClock clock;
  private ManualScheduler scheduler;

  @BeforeEach
  void start() throws Exception {
    dns = new FakeDnsServer();
    clock = new ManualClock();
    scheduler = new ManualScheduler(clock);
  }

  @AfterEach
  void stop() {
    dns.close();
  }

  /** A builder aimed at the fake server, on the manual clock, with a long per-attempt timeout. */
  private DnsDiscovery.Builder builder(String name) {
    return DnsDiscovery.builder(name)
        .server("127.0.0.1", dns.port())
        .searchDomains(List.of())
        .ndots(1)
        .deadline(Duration.ofSeconds(30))
        .clock(clock)
        .scheduler(scheduler)
        .random(new Random(7))
        .allowCidr("127.0.0.0/8");
  }

  /** Completes the lookup, running retry delays (never attempt timeouts) as they come due. */
  private List<Endpoint> drive(CompletableFuture<List<Endpoint>> f) throws Exception {
    for (int i = 0; i < 50 && !f.isDone(); i++) {
      await().atMost(10, TimeUnit.SECONDS).until(() -> f.isDone()
          || (scheduler.nextDelay() != null && scheduler.nextDelay().compareTo(SHORT) <= 0));
      if (!f.isDone()) {
        scheduler.advance(scheduler.nextDelay());
      }
    }
    return f.get(10, TimeUnit.SECONDS);
  }


  private static List<String> authorities(List<Endpoint> endpoints) {
    return endpoints.stream().map(Endpoint::authority).toList();
  }

  @Test
  void headlessNameGivesOneEndpointPerAAndAaaaRecordOnTheGivenPort() throws Exception {
    dns.add(WEB + " 5 A 127.0.0.2").add(WEB + " 5 A 127.0.0.3").add(WEB + " 5 AAAA fd00::5");
    DnsDiscovery discovery = builder(WEB).port(3000).allowCidr("fd00::/8").build();

    List<Endpoint> endpoints = drive(discovery.discover().toCompletableFuture());

    assertThat(authorities(endpoints))
        .containsExactlyInAnyOrder("127.0.0.2:3000", "127.0.0.3:3000", "[fd00:0:0:0:0:0:0:5]:3000");
    assertThat(endpoints).allSatisfy(e -> assertThat(e.state()).isEqualTo(Endpoint.State.READY));
    assertThat(dns.count("udp", WEB, Type.A)).isEqualTo(1);
    assertThat(dns.count("udp", WEB, Type.AAAA)).isEqualTo(1);
  }

  @Test
  void srvRecordsGiveTargetsPortsAndNamesFromTheAdditionalSection() throws Exception {
    String srv = "_http._tcp." + WEB;
    dns.add(srv + " 5 SRV 0 50 8080 web-0." + WEB).add(srv + " 5 SRV 0 50 8081 web-1." + WEB)
        .add("web-0." + WEB + " 5 A 127.0.0.10").add("web-1." + WEB + " 5 A 127.0.0.11")
        .add("web-1." + WEB + " 5 AAAA ::1");
    DnsDiscovery discovery = builder(WEB).srv("http").allowCidr("::1/128").build();

    List<Endpoint> endpoints = drive(discovery.discover().toCompletableFuture());

    assertThat(endpoints).extracting(Endpoint::toString).containsExactlyInAnyOrder(
        "127.0.0.10:8080 (web-0)", "127.0.0.11:8081 (web-1)", "[0:0:0:0:0:0:0:1]:8081 (web-1)");
    assertThat(dns.count(null, "web-0." + WEB, Type.A)).isZero();
  }

  @Test
  void srvTargetsMissingFromTheAnswerAreLookedUp() throws Exception {
    String srv = "_metrics._tcp." + WEB;
    dns.withoutAdditional().add(srv + " 5 SRV 0 0 9100 web-0." + WEB)
        .add(srv + " 5 SRV 0 0 9100 web-1." + WEB)
        .add("web-0." + WEB + " 5 A 127.0.0.10").add("web-1." + WEB + " 5 A 127.0.0.11");
    DnsDiscovery discovery = builder(WEB).srv("metrics").build();

    List<Endpoint> endpoints = drive(discovery.discover().toCompletableFuture());

    assertThat(authorities(endpoints)).containsExactlyInAnyOrder("127.0.0.10:9100", "127.0.0.11:9100");
    assertThat(dns.count(null, "web-0." + WEB, Type.A)).isEqualTo(1);
    assertThat(dns.count(null, "web-1." + WEB, Type.AAAA)).isEqualTo(1);
  }

  @Test
  void nxdomainIsZeroTargetsAfterOneRecheck() throws Exception {
    DnsDiscovery discovery = builder(WEB).port(3000).build();

    List<Endpoint> endpoints = drive(discovery.discover().toCompletableFuture());

    assertThat(endpoints).isEmpty();
    assertThat(dns.count(null, WEB, Type.A)).isEqualTo(2);
    assertThat(dns.count(null, WEB, Type.AAAA)).isEqualTo(2);
  }

  @Test
  void intermittentNxdomainIsNotBelieved() throws Exception {
    dns.add(WEB + " 5 A 127.0.0.2").nxdomain(WEB, Type.A, 1);
    DnsDiscovery discovery = builder(WEB).port(3000).build();

    List<Endpoint> endpoints = drive(discovery.discover().toCompletableFuture());

    assertThat(authorities(endpoints)).containsExactly("127.0.0.2:3000");
    assertThat(dns.count(null, WEB, Type.A)).isEqualTo(2);
  }

  @Test
  void nodataIsZeroTargetsWithoutRecheck() throws Exception {
    dns.exists(WEB);
    DnsDiscovery discovery = builder(WEB).port(3000).build();

    assertThat(drive(discovery.discover().toCompletableFuture())).isEmpty();
    assertThat(dns.count(null, WEB, Type.A)).isEqualTo(1);
  }

  @Test
  void servfailIsRetriedWithinTheTimeout() throws Exception {
    dns.add(WEB + " 5 A 127.0.0.2").servfail(WEB, 2);
    DnsDiscovery discovery = builder(WEB).port(3000).build();

    List<Endpoint> endpoints = drive(discovery.discover().toCompletableFuture());

    assertThat(authorities(endpoints)).containsExactly("127.0.0.2:3000");
    assertThat(dns.count(null, WEB, Type.A) + dns.count(null, WEB, Type.AAAA)).isEqualTo(4);
  }

  @Test
  void persistentServfailFailsNamingTheNameAndTheServer() throws Exception {
    dns.add(WEB + " 5 A 127.0.0.2").servfail(WEB, Integer.MAX_VALUE);
    DnsDiscovery discovery = builder(WEB).port(3000).retry(DnsDiscovery.DEFAULT_RETRY.withMaxAttempts(3)).build();

    CompletableFuture<List<Endpoint>> f = discovery.discover().toCompletableFuture();
    assertThatThrownBy(() -> drive(f)).isInstanceOf(ExecutionException.class);

    assertThat(failure(f)).isInstanceOf(DiscoveryException.class)
        .hasMessageContaining(WEB).hasMessageContaining("SERVFAIL")
        .hasMessageContaining("127.0.0.1:" + dns.port()).hasMessageContaining("3 attempts");
  }

  @Test
  void unansweredQueriesTimeOutAndAreRetriedThenFail() {
    dns.drop(WEB, Integer.MAX_VALUE);
    DnsDiscovery discovery = builder(WEB).port(3000).deadline(Duration.ofSeconds(3))
        .retry(DnsDiscovery.DEFAULT_RETRY.withMaxAttempts(3)).build();

    CompletableFuture<List<Endpoint>> f = discovery.discover().toCompletableFuture();
    // Nothing is ever answered, so only the scheduler moves the lookup on.
    for (int i = 0; i < 20 && !f.isDone(); i++) {
      scheduler.advance(scheduler.nextDelay());
    }

    assertThat(failure(f)).isInstanceOf(DiscoveryException.class)
        .hasMessageContaining(WEB).hasMessageContaining("timed out")
        .hasMessageContaining("127.0.0.1:" + dns.port());
    await().atMost(10, TimeUnit.SECONDS).until(() -> dns.count("udp", WEB, Type.A) == 3);
  }

  @Test
  void aDroppedQueryIsRetriedAndConcurrentCallersShareOneLookup() throws Exception {
    dns.add(WEB + " 5 A 127.0.0.2").drop(WEB, 2);
    DnsDiscovery discovery = builder(WEB).port(3000).deadline(Duration.ofSeconds(3)).build();

    CompletableFuture<List<Endpoint>> first = discovery.discover().toCompletableFuture();
    CompletableFuture<List<Endpoint>> second = discovery.discover().toCompletableFuture();
    await().atMost(10, TimeUnit.SECONDS).until(() -> dns.queries().size() == 2);
    scheduler.advance(Duration.ofSeconds(1)); // both first attempts time out
    List<Endpoint> endpoints = drive(first);

    assertThat(authorities(endpoints)).containsExactly("127.0.0.2:3000");
    assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(endpoints);
    assertThat(dns.count(null, WEB, Type.A)).isEqualTo(2);
  }

  @Test
  void truncatedUdpAnswerFallsBackToTcpAndYieldsAll2000Records() throws Exception {
    for (int i = 0; i < 2000; i++) {
      dns.add(WEB + " 5 A 127.0." + (i / 250) + "." + (i % 250 + 1));
    }
    DnsDiscovery discovery = builder(WEB).port(3000).build();

    List<Endpoint> endpoints = drive(discovery.discover().toCompletableFuture());

    assertThat(endpoints).hasSize(2000);
    assertThat(authorities(endpoints)).doesNotHaveDuplicates().contains("127.0.7.250:3000");
    assertThat(dns.count("udp", WEB, Type.A)).isEqualTo(1);
    assertThat(dns.count("tcp", WEB, Type.A)).isEqualTo(1);
  }

  @Test
  void moreTargetsThanTheCapFailsRatherThanPickingASubset() throws Exception {
    for (int i = 1; i <= 20; i++) {
      dns.add(WEB + " 5 A 127.0.0." + i);
    }
    DnsDiscovery discovery = builder(WEB).port(3000).maxTargets(10).build();

    CompletableFuture<List<Endpoint>> f = discovery.discover().toCompletableFuture();

    assertThat(failure(f)).isInstanceOf(DiscoveryException.class)
        .hasMessageContaining("20 targets").hasMessageContaining("maxTargets 10");
  }

  @Test
  void cnameChainsAreFollowedAndLoopsFail() throws Exception {
    dns.add("alias.shop. 5 CNAME " + WEB).add(WEB + " 5 A 127.0.0.2");
    dns.add("loop-a.shop. 5 CNAME loop-b.shop.").add("loop-b.shop. 5 CNAME loop-a.shop.");

    List<Endpoint> aliased =
        drive(builder("alias.shop.").port(3000).build().discover().toCompletableFuture());
    CompletableFuture<List<Endpoint>> loop =
        builder("loop-a.shop.").port(3000).build().discover().toCompletableFuture();

    assertThat(authorities(aliased)).containsExactly("127.0.0.2:3000");
    assertThat(failure(loop)).isInstanceOf(DiscoveryException.class).hasMessageContaining("CNAME");
  }

  @Test
  void loopbackLinkLocalAndMetadataAddressesAreDroppedByDefault() throws Exception {
    dns.add(WEB + " 5 A 127.0.0.1").add(WEB + " 5 A 169.254.169.254").add(WEB + " 5 A 10.1.2.3")
        .add(WEB + " 5 AAAA fe80::1").add(WEB + " 5 AAAA ::1").add(WEB + " 5 AAAA fd00:ec2::254")
        .add(WEB + " 5 A 0.0.0.0");
    DnsDiscovery.Builder base = DnsDiscovery.builder(WEB).server("127.0.0.1", dns.port())
        .searchDomains(List.of()).port(80).clock(clock).scheduler(scheduler);

    List<Endpoint> byDefault = drive(base.build().discover().toCompletableFuture());
    List<Endpoint> everything =
        drive(base.allowCidr("0.0.0.0/0").build().discover().toCompletableFuture());
    List<Endpoint> loopback =
        drive(base.allowCidr("127.0.0.0/8").build().discover().toCompletableFuture());

    assertThat(authorities(byDefault)).containsExactly("10.1.2.3:80");
    assertThat(authorities(everything)).containsExactly("10.1.2.3:80");
    assertThat(authorities(loopback)).containsExactlyInAnyOrder("10.1.2.3:80", "127.0.0.1:80");
  }

  @Test
  void answersAreReusedForTheirTtlButNoLongerThanTheCap() throws Exception {
    dns.add(WEB + " 2 A 127.0.0.2");
    String slow = "slow.shop.";
    dns.add(slow + " 3600 A 127.0.0.3");
    DnsDiscovery shortTtl = builder(WEB).port(3000).build();
    DnsDiscovery longTtl = builder(slow).port(3000).maxTtl(Duration.ofSeconds(5)).build();

    drive(shortTtl.discover().toCompletableFuture());
    drive(shortTtl.discover().toCompletableFuture());
    drive(longTtl.discover().toCompletableFuture());
    assertThat(dns.count(null, WEB, Type.A)).isEqualTo(1);

    clock.advance(Duration.ofSeconds(2));
    drive(shortTtl.discover().toCompletableFuture());
    drive(longTtl.discover().toCompletableFuture());
    assertThat(dns.count(null, WEB, Type.A)).isEqualTo(2);
    assertThat(dns.count(null, slow, Type.A)).isEqualTo(1);

    clock.advance(Duration.ofSeconds(3));
    drive(longTtl.discover().toCompletableFuture());
    assertThat(dns.count(null, slow, Type.A)).isEqualTo(2);
  }

  @Test
  void emptyAnswersAreNotCached() throws Exception {
    DnsDiscovery discovery = builder(WEB).port(3000).build();

    drive(discovery.discover().toCompletableFuture());
    dns.add(WEB + " 30 A 127.0.0.2");
    List<Endpoint> endpoints = drive(discovery.discover().toCompletableFuture());

    assertThat(authorities(endpoints)).containsExactly("127.0.0.2:3000");
  }

  @Test
  void relativeNamesGoThroughTheSearchList() throws Exception {
    dns.add(WEB + " 5 A 127.0.0.2");
    DnsDiscovery discovery = builder("web").port(3000)
        .searchDomains(List.of("other.svc.cluster.local", "shop.svc.cluster.local")).ndots(5)
        .build();

    List<Endpoint> endpoints = drive(discovery.discover().toCompletableFuture());

    assertThat(authorities(endpoints)).containsExactly("127.0.0.2:3000");
    assertThat(discovery.candidates()).extracting(Name::toString).containsExactly(
        "web.other.svc.cluster.local.", WEB, "web.");
    assertThat(dns.count(null, "web.other.svc.cluster.local.", Type.A)).isEqualTo(1);
    assertThat(dns.count(null, "web.", Type.A)).isZero();
  }

  @Test
  void namesWithEnoughDotsAreAskedAsAbsoluteFirst() {
    List<Name> search = List.of(FakeDnsServer.name("shop.svc.cluster.local"));

    assertThat(DnsDiscovery.candidates(FakeDnsServer.name(WEB).relativize(Name.root), search, 1))
        .extracting(Name::toString).containsExactly(WEB, "web.shop.svc.cluster.local.shop.svc.cluster.local.");
    assertThat(DnsDiscovery.candidates(FakeDnsServer.name(WEB), search, 5))
        .extracting(Name::toString).containsExactly(WEB);
  }

  @Test
  void theSystemResolverIsUsedByDefaultAndNothingIsSentOnBuild() {
    DnsDiscovery discovery = DnsDiscovery.of(WEB, 3000);

    assertThat(discovery.servers()).isNotEmpty();
    assertThat(discovery.toString()).contains(WEB).contains("port 3000");
    assertThat(dns.queries()).isEmpty();
  }

  @Test
  void builderRejectsBadSettingsNamingTheProblem() {
    assertThatThrownBy(() -> DnsDiscovery.builder(WEB).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("port");
    assertThatThrownBy(() -> DnsDiscovery.builder(WEB).port(1).srv("http").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("not both");
    assertThatThrownBy(() -> DnsDiscovery.builder(WEB).port(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
    assertThatThrownBy(() -> DnsDiscovery.builder(WEB).server("dns.example.com", 53))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IP address");
    assertThatThrownBy(() -> DnsDiscovery.builder(WEB).allowCidr("10.0.0.0/33"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefix");
    assertThatThrownBy(() -> DnsDiscovery.builder(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
    assertThatThrownBy(() -> DnsDiscovery.builder(WEB).srv("_http"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("portName");
    assertThatThrownBy(() -> DnsDiscovery.builder(WEB).deadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deadline");
    assertThatThrownBy(() -> DnsDiscovery.builder(WEB).attemptTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attemptTimeout");
    assertThatThrownBy(() -> DnsDiscovery.builder(WEB).retry(null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("retry");
  }

  @Test
  void ipv6ServersAreAccepted() {
    DnsDiscovery discovery = DnsDiscovery.builder(WEB).server("::1", 5353).port(80).build();

    assertThat(discovery.toString()).contains("[0:0:0:0:0:0:0:1]:5353");
  }

  @Test
  void aMembershipWatchAsksAgainAtTheTtlAndTellsEveryAnswer() throws Exception {
    dns.add(WEB + " 3 A 127.0.0.2");
    DnsDiscovery discovery = builder(WEB).port(3000).maxTtl(Duration.ofSeconds(10)).build();
    List<List<String>> views = new java.util.concurrent.CopyOnWriteArrayList<>();
    dev.fanout.spi.Discovery.Watch watch = discovery.watch(
        list -> views.add(list.stream().map(Endpoint::address).toList()));
    await().atMost(10, TimeUnit.SECONDS).until(() -> views.size() == 1);
    assertThat(scheduler.nextDelay()).as("asked again at the 3 s TTL").isEqualTo(Duration.ofSeconds(3));

    dns.replace(WEB, WEB + " 3 A 127.0.0.2", WEB + " 3 A 127.0.0.3");
    scheduler.advance(Duration.ofSeconds(3));
    await().atMost(10, TimeUnit.SECONDS).until(() -> views.size() == 2);
    assertThat(views.get(1)).containsExactly("127.0.0.2", "127.0.0.3");

    watch.close();
    scheduler.advance(Duration.ofSeconds(30));
    assertThat(views).hasSize(2);
    assertThat(dns.count("udp", WEB, Type.A)).isEqualTo(2);
  }
}
