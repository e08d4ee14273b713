package dev.fanout.receiver;

import static dev.fanout.receiver.Fixtures.SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.standardwebhooks.Webhook;
import com.sun.net.httpserver.HttpServer;
import dev.fanout.Endpoint;
import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.TargetResult;
import dev.fanout.http.HttpNotifier;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.receiver.Fixtures.Recorder;
import dev.fanout.receiver.Fixtures.Req;
import dev.fanout.spi.Discovery;
import dev.fanout.testing.LoopbackPod;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for the relay topology: the sender reaches one replica through a load balancer, and that
 * replica's receiver relays to its peers and answers with the aggregated result. Three real
 * receivers on 127.0.0.2 to 127.0.0.4; every one of them is configured to relay, as in a real
 * deployment where any replica may be the one the load balancer picks.
 */
class RelayTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<Pod> pods = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** One replica: a JDK HttpServer with an InvalidationReceiver that relays to the others. */
  private static final class Pod {
    final String ip;
    final HttpServer server;
    final ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "test-relay-pod");
      t.setDaemon(true);
      return t;
    });
    final Recorder recorder = new Recorder();
    final AtomicInteger requests = new AtomicInteger();
    volatile Consumer<Invalidation> behaviour = inv -> { };
    InvalidationReceiver receiver;

    Pod(String ip) throws IOException {
      this.ip = ip;
      server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), 0), 64);
      server.setExecutor(threads);
    }

    Endpoint endpoint() {
      return Endpoint.of(ip, server.getAddress().getPort());
    }

    void start(Discovery peers, UnaryRelay options) {
      receiver = InvalidationReceiver.builder().secret(SECRET)
          .handler(inv -> {
            behaviour.accept(inv);
            recorder.accept(inv);
          })
          .relay(options.apply(InvalidationReceiver.Relay.to(peers).self(ip)))
          .build();
      server.createContext("/api/revalidate", exchange -> {
        requests.incrementAndGet();
        receiver.httpHandler().handle(exchange);
      });
      server.start();
    }

    void stop() {
      server.stop(0);
      threads.shutdownNow();
      receiver.close();
    }
  }

  /** Adjusts a relay's options. */
  private interface UnaryRelay {
    InvalidationReceiver.Relay apply(InvalidationReceiver.Relay relay);
  }

  /** Starts three relaying pods whose discovery lists all three plus {@code extra}. */
  private List<Pod> threePods(UnaryRelay options, Endpoint... extra) throws IOException {
    for (String ip : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
      pods.add(new Pod(ip));
    }
    List<Endpoint> all = new ArrayList<>();
    pods.forEach(p -> all.add(p.endpoint()));
    all.addAll(List.of(extra));
    Discovery discovery = Discovery.of(all);
    for (Pod p : pods) {
      p.start(discovery, options);
    }
    return pods;
  }

  @AfterEach
  void stop() throws Exception {
    pods.forEach(Pod::stop);
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  /** The backend: one fan-out stage whose only target is the pod the load balancer picked. */
  private Invalidator central(Endpoint loadBalancer, RetryPolicy retry) {
    Invalidator inv = Invalidator.builder()
        .stage(Stage.fanout("web", Discovery.of(loadBalancer),
                HttpNotifier.builder().signingSecret(SECRET).build())
            .attemptTimeout(Duration.ofSeconds(10))
            .retry(retry))
        .deadline(Duration.ofSeconds(30))
        .build();
    closeables.add(inv);
    return inv;
  }

  private HttpResponse<String> post(Endpoint to, Req req) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + to.authority() + "/api/revalidate"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(req.body()));
    req.headers().forEach((k, v) -> b.header(k, v.get(0)));
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Req signedNow(Invalidation inv, int hop) {
    byte[] body = hop == 0 ? InvalidationJson.encode(inv) : InvalidationJson.encode(inv, hop);
    return Fixtures.signed(SECRET, inv.id(), Instant.now().getEpochSecond(), body);
  }

  private static Map<String, JsonNode> byPeer(JsonNode answer) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    answer.path("peers").path("targets").forEach(t -> out.put(t.path("peer").asText(), t));
    return out;
  }

  @Test
  void everyReplicaAppliesOnceAndTheSenderHearsSuccess() throws Exception {
    List<Pod> p = threePods(r -> r);
    Invalidation inv = Invalidation.builder().id("inv_all").path("/blog/a").tag("post:1").build();

    InvalidationReport report = central(p.get(0).endpoint(), RetryPolicy.none()).invalidate(inv).join();

    assertThat(report.isComplete()).as(report.describe()).isTrue();
    for (Pod pod : p) {
      assertThat(pod.recorder.seen).as(pod.ip).containsExactly(inv);
      // One request each: the first from the backend, the others from the first pod's relay.
      // No pod sent to itself and no relayed request was relayed again.
      assertThat(pod.requests).as(pod.ip).hasValue(1);
    }
  }

  @Test
  void onePeerFailingMakesTheAnswerNon2xxWithPerPeerResults() throws Exception {
    List<Pod> p = threePods(r -> r);
    p.get(2).behaviour = inv -> {
      throw new IllegalStateException("disk full");
    };
    Invalidation inv = Invalidation.builder().id("inv_partial").path("/blog/b").build();

    HttpResponse<String> answer = post(p.get(0).endpoint(), signedNow(inv, 0));

    assertThat(answer.statusCode()).isEqualTo(502);
    JsonNode json = JSON.readTree(answer.body());
    assertThat(json.path("error").asText()).isEqualTo("1 of 2 peers failed");
    assertThat(json.path("result").asText()).isEqualTo("applied");
    assertThat(json.path("peers").path("acked").asInt()).isEqualTo(1);
    assertThat(json.path("peers").path("expected").asInt()).isEqualTo(2);
    Map<String, JsonNode> peers = byPeer(json);
    assertThat(peers).containsOnlyKeys(p.get(1).endpoint().authority(), p.get(2).endpoint().authority());
    assertThat(peers.get(p.get(1).endpoint().authority()).path("outcome").asText()).isEqualTo("acked");
    JsonNode failed = peers.get(p.get(2).endpoint().authority());
    assertThat(failed.path("outcome").asText()).isEqualTo("failed");
    assertThat(failed.path("status").asInt()).isEqualTo(500);
    assertThat(failed.path("kind").asText()).isEqualTo("server_error");
    assertThat(answer.body()).doesNotContain("disk full");
  }

  @Test
  void theSendersReportNamesTheRelayFailureAndHoldsTheGate() throws Exception {
    List<Pod> p = threePods(r -> r);
    p.get(1).behaviour = inv -> {
      throw new IllegalStateException("down");
    };
    Invalidation inv = Invalidation.builder().id("inv_report").tag("post:2").build();

    InvalidationReport report = central(p.get(0).endpoint(), RetryPolicy.none()).invalidate(inv).join();

    assertThat(report.isComplete()).isFalse();
    TargetResult relay = report.stage("web").targets().get(0);
    assertThat(relay.outcome()).isEqualTo(TargetResult.Outcome.FAILED);
    assertThat(relay.status()).isEqualTo(502);
    assertThat(relay.errorKind()).isEqualTo(ErrorKind.UNAVAILABLE);
    assertThat(relay.error()).contains("1 of 2 peers failed");
  }

  @Test
  void theSendersRetryReachesThePeerThatMissedTheFirstRelay() throws Exception {
    List<Pod> p = threePods(r -> r);
    AtomicInteger attempts = new AtomicInteger();
    p.get(2).behaviour = inv -> {
      if (attempts.incrementAndGet() == 1) {
        throw new IllegalStateException("first attempt fails");
      }
    };
    Invalidation inv = Invalidation.builder().id("inv_retry").path("/blog/c").build();

    InvalidationReport report = central(p.get(0).endpoint(),
        new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(50))).invalidate(inv).join();

    assertThat(report.isComplete()).as(report.describe()).isTrue();
    assertThat(report.stage("web").targets().get(0).attempts()).isEqualTo(2);
    // The relaying pod and the healthy peer applied once; the second relay found them as duplicates.
    assertThat(p.get(0).recorder.seen).hasSize(1);
    assertThat(p.get(1).recorder.seen).hasSize(1);
    assertThat(p.get(2).recorder.seen).hasSize(1);
    assertThat(attempts).hasValue(2);
    // The retry went only to the peer that had not acknowledged.
    assertThat(p.get(1).requests).hasValue(1);
    assertThat(p.get(2).requests).hasValue(2);
  }

  @Test
  void replaysAreAnsweredFromTheRecordedOutcomeWithoutRelayingAgain() throws Exception {
    List<Pod> p = threePods(r -> r);
    Invalidation inv = Invalidation.builder().id("inv_replayed").path("/r").build();
    Req req = signedNow(inv, 0);

    HttpResponse<String> first = post(p.get(0).endpoint(), req);
    List<HttpResponse<String>> replays = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      replays.add(post(p.get(0).endpoint(), req));
    }

    assertThat(first.statusCode()).isEqualTo(200);
    for (HttpResponse<String> replay : replays) {
      assertThat(replay.statusCode()).isEqualTo(200);
      assertThat(replay.body()).isEqualTo(first.body());
    }
    // One relayed request per peer, from the first request; none from the five replays.
    assertThat(p.get(1).requests).hasValue(1);
    assertThat(p.get(2).requests).hasValue(1);
    assertThat(p.get(0).recorder.seen).hasSize(1);
  }

  @Test
  void concurrentReplaysShareTheRelayInFlight() throws Exception {
    List<Pod> p = threePods(r -> r);
    java.util.concurrent.CountDownLatch slowPeer = new java.util.concurrent.CountDownLatch(1);
    p.get(2).behaviour = inv -> {
      try {
        slowPeer.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    Invalidation inv = Invalidation.builder().id("inv_concurrent").path("/c").build();
    Req req = signedNow(inv, 0);
    ExecutorService senders = Executors.newFixedThreadPool(5);
    try {
      List<java.util.concurrent.Future<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        answers.add(senders.submit(() -> post(p.get(0).endpoint(), req)));
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> p.get(0).requests.get() == 5);
      slowPeer.countDown();

      for (java.util.concurrent.Future<HttpResponse<String>> a : answers) {
        assertThat(a.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }
    } finally {
      senders.shutdownNow();
    }
    assertThat(p.get(1).requests).hasValue(1);
    assertThat(p.get(2).requests).hasValue(1);
  }

  @Test
  void aRelayedRequestIsNeverRelayedAgain() throws Exception {
    List<Pod> p = threePods(r -> r);
    Invalidation inv = Invalidation.builder().id("inv_hop1").path("/x").build();

    HttpResponse<String> answer = post(p.get(1).endpoint(), signedNow(inv, 1));

    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("{\"id\":\"inv_hop1\",\"result\":\"applied\"}");
    assertThat(p.get(1).recorder.seen).hasSize(1);
    assertThat(p.get(0).requests).hasValue(0);
    assertThat(p.get(2).requests).hasValue(0);
  }

  @Test
  void theRelayedRequestIsSignedAndCarriesTheHopMarker() throws Exception {
    LoopbackPod peer = LoopbackPod.start("127.0.0.6", LoopbackPod.ok());
    closeables.add(peer);
    Recorder recorder = new Recorder();
    InvalidationReceiver relay = InvalidationReceiver.builder().secret(SECRET).secret(Fixtures.OLD_SECRET)
        .handler(recorder)
        .relay(InvalidationReceiver.Relay.to(Discovery.of(peer.endpoint())).self("127.0.0.7")
            .path("/internal/fanout"))
        .build();
    closeables.add(relay);
    Invalidation inv = Invalidation.builder().id("inv_look").path("/a").tag("t").build();
    Req req = signedNow(inv, 0);

    InvalidationReceiver.Response r = relay.handle("POST", req.headers(), req.body());

    assertThat(r.status()).isEqualTo(200);
    assertThat(JSON.readTree(r.body()).path("peers").path("acked").asInt()).isEqualTo(1);
    LoopbackPod.Request sent = peer.requests().get(0);
    assertThat(sent.target()).isEqualTo("/internal/fanout");
    assertThat(sent.headers()).containsEntry("webhook-id", "inv_look");
    assertThat(sent.bodyText()).isEqualTo("{\"id\":\"inv_look\",\"paths\":[\"/a\"],\"tags\":[\"t\"],\"hop\":1}");
    Map<String, List<String>> h = new LinkedHashMap<>();
    sent.headers().forEach((k, v) -> h.put(k, List.of(v)));
    // Signed with the receiver's first secret, verifiable by the reference library.
    new Webhook(SECRET).verify(sent.bodyText(), h);
  }

  @Test
  void aPeerThatRefusesConnectionsIsReportedAsSuch() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.8"))) {
      closedPort = s.getLocalPort();
    }
    List<Pod> p = threePods(r -> r.retry(RetryPolicy.none()), Endpoint.of("127.0.0.8", closedPort));
    Invalidation inv = Invalidation.builder().id("inv_refused").path("/x").build();

    HttpResponse<String> answer = post(p.get(0).endpoint(), signedNow(inv, 0));

    assertThat(answer.statusCode()).isEqualTo(502);
    JsonNode json = JSON.readTree(answer.body());
    assertThat(json.path("error").asText()).isEqualTo("1 of 3 peers failed");
    assertThat(byPeer(json).get("127.0.0.8:" + closedPort).path("kind").asText()).isEqualTo("connect");
    // Failures are listed first.
    assertThat(json.path("peers").path("targets").get(0).path("outcome").asText()).isEqualTo("failed");
  }

  @Test
  void tooFewPeersFailsTheRelayWhenAMinimumIsSet() throws Exception {
    Recorder recorder = new Recorder();
    InvalidationReceiver alone = InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .relay(InvalidationReceiver.Relay.to(Discovery.of(Endpoint.of("127.0.0.9", 8080)))
            .self("127.0.0.9").minPeers(1))
        .build();
    InvalidationReceiver single = InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .relay(InvalidationReceiver.Relay.to(Discovery.of()).self("127.0.0.9"))
        .build();
    closeables.add(alone);
    closeables.add(single);
    Req req = signedNow(Invalidation.builder().id("inv_alone").path("/x").build(), 0);

    InvalidationReceiver.Response needsPeers = alone.handle("POST", req.headers(), req.body());
    InvalidationReceiver.Response noPeersNeeded = single.handle("POST", req.headers(), req.body());

    assertThat(needsPeers.status()).isEqualTo(502);
    assertThat(JSON.readTree(needsPeers.body()).path("error").asText()).startsWith("relay failed: ");
    assertThat(noPeersNeeded.status()).isEqualTo(200);
    assertThat(JSON.readTree(noPeersNeeded.body()).path("peers").path("expected").asInt()).isZero();
  }

  @Test
  void discoveryFailureIsA502NotA2xx() throws Exception {
    InvalidationReceiver broken = InvalidationReceiver.builder().secret(SECRET).handler(new Recorder())
        .relay(InvalidationReceiver.Relay.to(() -> {
          throw new IllegalStateException("dns down");
        }).self("127.0.0.9"))
        .build();
    closeables.add(broken);
    Req req = signedNow(Invalidation.builder().id("inv_nodns").path("/x").build(), 0);

    InvalidationReceiver.Response r = broken.handle("POST", req.headers(), req.body());

    assertThat(r.status()).isEqualTo(502);
    assertThat(r.body()).contains("discovery failed");
  }

  @Test
  void aClosedRelayAnswers503() {
    InvalidationReceiver closing = InvalidationReceiver.builder().secret(SECRET).handler(new Recorder())
        .relay(InvalidationReceiver.Relay.to(Discovery.of()).self("127.0.0.9"))
        .build();
    closing.close();
    Req req = signedNow(Invalidation.builder().id("inv_closed").path("/x").build(), 0);

    assertThat(closing.handle("POST", req.headers(), req.body()).status()).isEqualTo(503);
  }

  // ---- F4: nothing named in a request is ever contacted

  @Test
  void addressesNamedInTheRequestAreNeverContacted() throws Exception {
    LoopbackPod trap = LoopbackPod.start("127.0.0.10", LoopbackPod.ok());
    closeables.add(trap);
    List<Pod> p = threePods(r -> r);
    String url = "http://" + trap.endpoint().authority() + "/steal";
    Invalidation named = Invalidation.builder().id("inv_ssrf")
        .path("/go?to=" + url).tag(url).tag(trap.endpoint().authority()).entity(url).build();
    Req hostPath = Fixtures.signed(SECRET, "inv_ssrf2", Instant.now().getEpochSecond(),
        Fixtures.utf8("{\"id\":\"inv_ssrf2\",\"paths\":[\"//" + trap.endpoint().authority() + "/x\"]}"));

    HttpResponse<String> accepted = post(p.get(0).endpoint(), signedNow(named, 0));
    HttpResponse<String> refused = post(p.get(0).endpoint(), hostPath.with("x-forwarded-host",
        trap.endpoint().authority()).with("host-override", url));

    assertThat(accepted.statusCode()).isEqualTo(200);
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(p.get(1).recorder.seen).containsExactly(named);
    assertThat(trap.requests()).isEmpty();
  }

  @Test
  void closingARelayingReceiverStopsTheThreadsItsRelayStarted() {
    java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
    InvalidationReceiver receiver = InvalidationReceiver.builder().secret(Fixtures.SECRET).handler(i -> { })
        .relay(InvalidationReceiver.Relay.to(Discovery.of(Endpoint.of("127.0.0.9", 8080))).self("127.0.0.8"))
        .build();
    java.util.Set<Thread> started = new java.util.HashSet<>(Thread.getAllStackTraces().keySet());
    started.removeAll(before);
    started.removeIf(t -> !t.getName().startsWith("fanout-"));
    org.assertj.core.api.Assertions.assertThat(started).isNotEmpty();

    receiver.close();

    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> started.stream().noneMatch(Thread::isAlive));
  }
}
