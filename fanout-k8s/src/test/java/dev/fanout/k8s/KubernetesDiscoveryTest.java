package dev.fanout.k8s;

import static dev.fanout.k8s.FakeApiServer.list;
import static dev.fanout.k8s.FakeApiServer.status;
import static dev.fanout.k8s.Slices.endpoint;
import static dev.fanout.k8s.Slices.port;
import static dev.fanout.k8s.Slices.ready;
import static dev.fanout.k8s.Slices.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.DiscoveryException;
import dev.fanout.Endpoint;
import dev.fanout.testing.ManualScheduler;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tests for {@link KubernetesDiscovery} in list mode against a fake API server on loopback. */
class KubernetesDiscoveryTest {
  private static final String PATH = "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices";

  @TempDir
  Path dir;

  @AutoClose private ApiServerFixture k8s;

  @BeforeEach
  void start() throws IOException {
    k8s = new ApiServerFixture(dir, "token-one\n");
  }

  private KubernetesDiscovery.Builder builder() {
    return k8s.builder().scheduler(new ManualScheduler(k8s.clock)).random(new Random(3));
  }

  private static List<Endpoint> get(KubernetesDiscovery d) throws Exception {
    return d.discover().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Throwable failure(KubernetesDiscovery d) {
    return Outcomes.failure(d.discover().toCompletableFuture());
  }


  @Test
  void listFollowsContinuePagesMergesSlicesAndDropsDuplicates() throws Exception {
    k8s.api.onList(list("100", "page-2", slice("web-a", "90", ready("10.0.0.1", "web-1"),
            ready("10.0.0.2", "web-2"))))
        .onList(list("100", null, slice("web-b", "95", ready("10.0.0.2", "web-2"),
            ready("10.0.0.3", "web-3")),
            slice("web-v6", "96", "IPv6", port("http", 8080), ready("fd00::3", "web-3"))));
    KubernetesDiscovery discovery = k8s.build(builder().pageSize(2));

    List<Endpoint> endpoints = get(discovery);

    assertThat(endpoints).extracting(Endpoint::toString).containsExactlyInAnyOrder(
        "10.0.0.1:8080 (web-1)", "10.0.0.2:8080 (web-2)", "10.0.0.3:8080 (web-3)",
        "[fd00:0:0:0:0:0:0:3]:8080 (web-3)");
    List<FakeApiServer.Request> requests = k8s.api.listRequests();
    assertThat(requests).hasSize(2);
    assertThat(requests).allSatisfy(r -> {
      assertThat(r.path()).isEqualTo(PATH);
      assertThat(r.query()).containsEntry("labelSelector", "kubernetes.io/service-name=web")
          .containsEntry("limit", "2").doesNotContainKey("watch");
      // An equality selector, URL-encoded: set-based selectors are ignored by some fakes.
      assertThat(r.rawQuery()).contains("labelSelector=kubernetes.io%2Fservice-name%3Dweb");
    });
    assertThat(requests.get(0).query()).doesNotContainKey("continue");
    assertThat(requests.get(1).query()).containsEntry("continue", "page-2");
    assertThat(discovery.lastKnownGood()).isEqualTo(endpoints);
    assertThat(discovery.viewAge()).contains(Duration.ZERO);
  }

  @Test
  void terminatingEndpointsAreLeftOutUnlessServingAndThePolicyIsConfigurable() throws Exception {
    var s = slice("web-a", "1", ready("10.0.0.1", "web-1"),
        endpoint("10.0.0.2", "web-2", false, false, false),
        endpoint("10.0.0.3", "web-3", false, true, true),
        endpoint("10.0.0.4", "web-4", false, false, true));
    k8s.api.onList(list("1", null, s)).onList(list("1", null, s));

    List<Endpoint> byDefault = get(k8s.build(builder()));
    List<Endpoint> readyOnly = get(k8s.build(builder().states(Set.of(Endpoint.State.READY))));

    assertThat(byDefault).extracting(Endpoint::name).containsExactly("web-1", "web-2", "web-3");
    assertThat(readyOnly).extracting(Endpoint::name).containsExactly("web-1");
  }

  @Test
  void expiredContinueTokenRestartsTheListFromAFreshSnapshot() throws Exception {
    k8s.api.onList(list("100", "stale", slice("web-a", "1", ready("10.0.0.1", "web-1"))))
        .onList(status(410, "Expired", "The provided continue parameter is too old"))
        .onList(list("200", null, slice("web-b", "2", ready("10.0.0.2", "web-2"))));

    List<Endpoint> endpoints = get(k8s.build(builder()));

    assertThat(endpoints).extracting(Endpoint::name).containsExactly("web-2");
    assertThat(k8s.api.listRequests().get(2).query()).doesNotContainKey("continue");
  }

  @Test
  void rotatedTokenIsReReadAfter401AndTheRequestRetriedOnce() throws Exception {
    k8s.api.acceptTokens("token-one");
    k8s.api.onList(list("1", null, slice("web-a", "1", ready("10.0.0.1", "web-1"))));
    k8s.api.onList(list("2", null, slice("web-a", "2", ready("10.0.0.1", "web-1"))));
    k8s.api.onList(list("3", null, slice("web-a", "3", ready("10.0.0.1", "web-1"))));
    KubernetesDiscovery discovery = k8s.build(builder());
    get(discovery);

    Files.writeString(k8s.tokenFile, "token-two");
    k8s.api.acceptTokens("token-two");
    List<Endpoint> endpoints = get(discovery);
    // Without a 401, the file is read again once a minute.
    Files.writeString(k8s.tokenFile, "token-three");
    k8s.api.acceptTokens("token-three");
    k8s.clock.advance(TokenSource.REREAD_AFTER);
    get(discovery);

    assertThat(endpoints).hasSize(1);
    assertThat(k8s.api.requests()).extracting(FakeApiServer.Request::authorization).containsExactly(
        "Bearer token-one", "Bearer token-one", "Bearer token-two", "Bearer token-three");
  }

  @Test
  void a401AfterReReadingTheTokenFailsWithoutRetryingAgain() {
    k8s.api.acceptTokens("someone-else");

    Throwable error = failure(k8s.build(builder()));

    assertThat(error).isInstanceOf(DiscoveryException.class).hasMessageContaining("401")
        .hasMessageContaining(k8s.tokenFile.toString());
    assertThat(k8s.api.requests()).hasSize(2);
  }

  @Test
  void forbiddenNamesTheMissingVerbAndResource() {
    k8s.api.onList(status(403, "Forbidden", "endpointslices.discovery.k8s.io is forbidden: User"
        + " \"system:serviceaccount:shop:web\" cannot list resource \"endpointslices\""));

    Throwable error = failure(k8s.build(builder()));

    assertThat(error).isInstanceOf(DiscoveryException.class)
        .hasMessageContaining("403").hasMessageContaining("'list' verb")
        .hasMessageContaining("'endpointslices'").hasMessageContaining("discovery.k8s.io")
        .hasMessageContaining("namespace 'shop'").hasMessageContaining("cannot list resource");
  }

  @Test
  void serverErrorsFailTheDiscoveryWithTheStatus() {
    k8s.api.onList(status(503, "ServiceUnavailable", "etcd is unhappy"));

    Throwable error = failure(k8s.build(builder()));

    assertThat(error).isInstanceOf(DiscoveryException.class).hasMessageContaining("503")
        .hasMessageContaining("etcd is unhappy");
  }

  @Test
  void anUnreachableApiServerFailsWithAClearError() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    KubernetesDiscovery discovery =
        k8s.build(builder().apiServer(URI.create("http://127.0.0.1:" + port)));

    Throwable error = failure(discovery);

    assertThat(error).isInstanceOf(DiscoveryException.class)
        .hasMessageContaining("cannot list EndpointSlices of Service 'web' in namespace 'shop'")
        .hasMessageContaining("127.0.0.1:" + port);
    assertThat(discovery.lastError()).containsSame((DiscoveryException) error);
  }

  @Test
  void theTokenNeverAppearsInUrlsMessagesToStringOrLogs() throws Exception {
    String secret = "eyJhbGciOiJSUzI1NiJ9.very-secret-token-value";
    Files.writeString(k8s.tokenFile, secret);
    k8s.api.acceptTokens("another");
    k8s.api.onList(status(403, "Forbidden", "no"));
    KubernetesDiscovery discovery = k8s.build(builder());

    Throwable unauthorized = failure(discovery);
    k8s.api.acceptTokens(secret);
    Throwable forbidden = failure(discovery);

    // The token did travel, in the header only.
    assertThat(k8s.api.requests()).extracting(FakeApiServer.Request::authorization)
        .contains("Bearer " + secret);
    for (FakeApiServer.Request r : k8s.api.requests()) {
      assertThat(r.path() + "?" + r.rawQuery()).doesNotContain(secret).doesNotContain("very-secret");
    }
    for (Throwable t : List.of(unauthorized, forbidden)) {
      for (Throwable c = t; c != null; c = c.getCause()) {
        assertThat(String.valueOf(c.getMessage())).doesNotContain("very-secret");
        assertThat(c.toString()).doesNotContain("very-secret");
      }
    }
    assertThat(discovery.toString()).doesNotContain("very-secret");
    Path log = Path.of("target/fanout-k8s-test.log");
    assertThat(log).exists();
    assertThat(Files.readString(log, StandardCharsets.UTF_8)).doesNotContain("very-secret")
        .contains("GET " + k8s.api.uri());
  }

  @Test
  void inClusterConfigComesFromTheEnvironmentAndServiceAccountFiles() throws IOException {
    Path sa = Files.createDirectories(dir.resolve("sa"));
    Files.writeString(sa.resolve("token"), "t");
    Files.writeString(sa.resolve("ca.crt"), "not used here");
    Files.writeString(sa.resolve("namespace"), "shop\n");

    InClusterConfig v4 = InClusterConfig.detect(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1",
        "KUBERNETES_SERVICE_PORT", "443"), sa);
    InClusterConfig v6 = InClusterConfig.detect(Map.of("KUBERNETES_SERVICE_HOST", "fd00::1",
        "KUBERNETES_SERVICE_PORT", "443", "KUBERNETES_SERVICE_PORT_HTTPS", "6443"), sa);

    assertThat(v4).isEqualTo(new InClusterConfig(URI.create("https://10.96.0.1:443"),
        sa.resolve("token"), sa.resolve("ca.crt"), "shop"));
    assertThat(v6.apiServer()).isEqualTo(URI.create("https://[fd00::1]:6443"));
    assertThatThrownBy(() -> InClusterConfig.detect(Map.of(), sa))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("KUBERNETES_SERVICE_HOST");
    assertThatThrownBy(() -> InClusterConfig.detect(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1",
        "KUBERNETES_SERVICE_PORT", "443"), dir.resolve("missing")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("token");
  }

  @Test
  void builderRejectsMissingAndConflictingSettings() {
    assertThatThrownBy(() -> KubernetesDiscovery.builder().service("web").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("apiServer");
    assertThatThrownBy(() -> builder().port(80).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("not both");
    assertThatThrownBy(() -> KubernetesDiscovery.builder().apiServer(k8s.api.uri()).service("web")
        .portName("http").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("namespace");
    assertThatThrownBy(() -> builder().apiServer(URI.create("http://10.96.0.1")).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("plain http");
    assertThatThrownBy(() -> builder().service("Web_1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("service");
    assertThatThrownBy(() -> builder().apiServer(URI.create("ftp://x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("apiServer");
    assertThatThrownBy(() -> builder().retry(null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("retry");
    assertThatThrownBy(() -> builder().attemptTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attemptTimeout");
    assertThatThrownBy(() -> builder().states(Set.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("states");
    assertThatThrownBy(() -> builder().caCertificate(dir.resolve("none.pem")).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("CA file");
    assertThat(k8s.build(builder()).toString())
        .isEqualTo("KubernetesDiscovery[shop/web port 'http' at " + k8s.api.uri() + ", list]");
  }
}
