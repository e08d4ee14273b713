package dev.fanout.k8s;

import static dev.fanout.k8s.FakeApiServer.list;
import static dev.fanout.k8s.FakeApiServer.status;
import static dev.fanout.k8s.Slices.endpoint;
import static dev.fanout.k8s.Slices.ready;
import static dev.fanout.k8s.Slices.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fanout.DiscoveryException;
import dev.fanout.Endpoint;
import dev.fanout.testing.ManualScheduler;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link KubernetesDiscovery} in watch mode: a fake API server streams real watch events
 * while the test drives backoff and idle deadlines with a manual clock and scheduler.
 */
class KubernetesWatchTest {
  private static final Duration IDLE = Duration.ofMinutes(2);
  private static final Duration BACKOFF_BASE = Duration.ofSeconds(1);

  @TempDir
  Path dir;

  @AutoClose private ApiServerFixture k8s;
  private ManualScheduler scheduler;

  @BeforeEach
  void start() throws IOException {
    k8s = new ApiServerFixture(dir, "token-one");
    scheduler = new ManualScheduler(k8s.clock);
  }

  private static ConditionFactory eventually() {
    return await().atMost(10, TimeUnit.SECONDS);
  }

  private KubernetesDiscovery.Builder builder() {
    return k8s.builder().watch(true)
        .scheduler(scheduler).random(new Random(11)).idleTimeout(IDLE)
        .retry(KubernetesDiscovery.DEFAULT_RETRY.withDelays(BACKOFF_BASE, Duration.ofSeconds(30)));
  }

  private static List<String> names(KubernetesDiscovery d) throws Exception {
    return d.discover().toCompletableFuture().get(10, TimeUnit.SECONDS).stream()
        .map(Endpoint::name).toList();
  }

  /** Waits until a retry is scheduled no later than {@code within}, then runs it. */
  private void runRetry(Duration within) {
    eventually().until(() -> scheduler.nextDelay() != null
        && scheduler.nextDelay().compareTo(within) <= 0);
    scheduler.advance(scheduler.nextDelay());
  }

  private static ObjectNode a(String rv) {
    return slice("web-a", rv, ready("10.0.0.1", "web-1"));
  }

  private static ObjectNode b(String rv) {
    return slice("web-b", rv, ready("10.0.0.2", "web-2"));
  }

  @Test
  void watchFollowsAddedModifiedDeletedAndBookmarksWithoutFurtherCalls() throws Exception {
    k8s.api.onList(list("10", null, a("9")));
    FakeApiServer.WatchStream stream = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());
    eventually().until(stream::isOpen);

    assertThat(names(discovery)).containsExactly("web-1");
    stream.event("ADDED", b("11"));
    eventually().until(() -> names(discovery).contains("web-2"));
    stream.event("MODIFIED", slice("web-a", "12", endpoint("10.0.0.1", "web-1", false, false,
        true)));
    eventually().until(() -> !names(discovery).contains("web-1"));
    stream.event("DELETED", b("13"));
    eventually().until(() -> names(discovery).isEmpty());
    stream.event("ADDED", a("14")).bookmark("15");
    eventually().until(() -> "15".equals(discovery.resourceVersion()));

    assertThat(names(discovery)).containsExactly("web-1");
    assertThat(k8s.api.listRequests()).hasSize(1);
    assertThat(k8s.api.watchRequests()).hasSize(1);
    FakeApiServer.Request watch = k8s.api.watchRequests().get(0);
    assertThat(watch.query()).containsEntry("watch", "1").containsEntry("resourceVersion", "10")
        .containsEntry("allowWatchBookmarks", "true")
        .containsEntry("labelSelector", "kubernetes.io/service-name=web");
    assertThat(Long.parseLong(watch.query().get("timeoutSeconds"))).isBetween(300L, 600L);
    assertThat(watch.authorization()).isEqualTo("Bearer token-one");
  }

  @Test
  void anErrorEvent410InsideA200StreamClearsTheViewAndRelists() throws Exception {
    k8s.api.onList(list("10", null, a("9"), b("9"))).onList(list("20", null, b("19")));
    FakeApiServer.WatchStream first = k8s.api.nextWatch();
    FakeApiServer.WatchStream second = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());
    eventually().until(first::isOpen);

    first.expired();
    runRetry(BACKOFF_BASE);
    eventually().until(second::isOpen);

    assertThat(names(discovery)).containsExactly("web-2");
    assertThat(k8s.api.listRequests()).hasSize(2);
    assertThat(k8s.api.watchRequests().get(1).query()).containsEntry("resourceVersion", "20");
  }

  @Test
  void anHttp410OnTheWatchRelists() throws Exception {
    k8s.api.onList(list("10", null, a("9"))).onList(list("30", null, b("29")));
    k8s.api.onWatch(status(410, "Expired", "too old resource version: 10 (25)"));
    FakeApiServer.WatchStream stream = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());

    eventually().until(() -> k8s.api.watchRequests().size() == 1);
    runRetry(BACKOFF_BASE);
    eventually().until(stream::isOpen);

    assertThat(names(discovery)).containsExactly("web-2");
    assertThat(k8s.api.watchRequests().get(1).query()).containsEntry("resourceVersion", "30");
  }

  @Test
  void aCleanEndReWatchesFromTheLastVersionWithoutRelisting() throws Exception {
    k8s.api.onList(list("10", null, a("9")));
    FakeApiServer.WatchStream first = k8s.api.nextWatch();
    FakeApiServer.WatchStream second = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());
    eventually().until(first::isOpen);

    first.event("ADDED", b("11")).end();
    eventually().until(second::isOpen);

    assertThat(k8s.api.listRequests()).hasSize(1);
    assertThat(k8s.api.watchRequests().get(1).query()).containsEntry("resourceVersion", "11");
    assertThat(names(discovery)).containsExactlyInAnyOrder("web-1", "web-2");
  }

  @Test
  void aStreamCutMidLineDropsTheFragmentBacksOffAndReWatches() throws Exception {
    k8s.api.onList(list("10", null, a("9")));
    FakeApiServer.WatchStream first = k8s.api.nextWatch();
    FakeApiServer.WatchStream second = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());
    eventually().until(first::isOpen);

    first.event("ADDED", b("11")).raw("{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"na").cut();
    eventually().until(() -> discovery.lastError().isPresent());
    assertThat(discovery.lastError().get()).hasMessageContaining("watch");
    runRetry(BACKOFF_BASE);
    eventually().until(second::isOpen);

    assertThat(k8s.api.watchRequests().get(1).query()).containsEntry("resourceVersion", "11");
    assertThat(names(discovery)).containsExactlyInAnyOrder("web-1", "web-2");
    assertThat(k8s.api.listRequests()).hasSize(1);
  }

  @Test
  void theMembershipRecheckAnswersFromTheLiveViewAndListsWhileTheWatchIsFailing() throws Exception {
    k8s.api.onList(list("10", null, a("9")));
    FakeApiServer.WatchStream stream = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());
    eventually().until(stream::isOpen);

    // A healthy watch: the view is live, no API call
    assertThat(fresh(discovery)).containsExactly("web-1");
    assertThat(k8s.api.listRequests()).hasSize(1);

    // The watch breaks, the API server refuses the next one, the watch waits out its backoff;
    // meanwhile web-2 joins
    k8s.api.onList(list("20", null, a("9"), b("19")));
    k8s.api.onWatch(status(503, "ServiceUnavailable", "apiserver is restarting"));
    stream.cut();
    eventually().until(() -> discovery.lastError().isPresent());

    // discover() keeps serving the last good view; the re-check lists instead
    assertThat(names(discovery)).containsExactly("web-1");
    assertThat(fresh(discovery)).containsExactlyInAnyOrder("web-1", "web-2");
    assertThat(k8s.api.listRequests()).hasSize(2);
  }

  private static List<String> fresh(KubernetesDiscovery d) throws Exception {
    return d.discoverFresh().toCompletableFuture().get(10, TimeUnit.SECONDS).stream()
        .map(Endpoint::name).toList();
  }

  @Test
  void aSilentStreamIsDroppedAtTheIdleDeadlineAndNotBefore() throws Exception {
    k8s.api.onList(list("10", null, a("9")));
    FakeApiServer.WatchStream first = k8s.api.nextWatch();
    FakeApiServer.WatchStream second = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());
    eventually().until(first::isOpen);

    scheduler.advance(IDLE.minusSeconds(1));
    first.bookmark("12");
    eventually().until(() -> "12".equals(discovery.resourceVersion()));
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(k8s.api.watchRequests()).hasSize(1);
    assertThat(discovery.viewAge()).contains(Duration.ofSeconds(2));

    scheduler.advance(IDLE);
    eventually().until(second::isOpen);

    assertThat(k8s.api.watchRequests().get(1).query()).containsEntry("resourceVersion", "12");
    assertThat(k8s.api.listRequests()).hasSize(1);
  }

  @Test
  void repeatedCleanClosesWithoutEventsAreTreatedAsExpired() throws Exception {
    k8s.api.onList(list("10", null, a("9"))).onList(list("40", null, b("39")));
    k8s.api.nextWatch().end();
    k8s.api.nextWatch().end();
    k8s.api.nextWatch().end();
    FakeApiServer.WatchStream fourth = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());

    eventually().until(() -> k8s.api.watchRequests().size() == 3);
    runRetry(BACKOFF_BASE);
    eventually().until(fourth::isOpen);

    assertThat(k8s.api.listRequests()).hasSize(2);
    assertThat(k8s.api.watchRequests().get(3).query()).containsEntry("resourceVersion", "40");
    assertThat(names(discovery)).containsExactly("web-2");
  }

  @Test
  void throttlingAndServerErrorsBackOffWithJitterAndKeepTheLastGoodView() throws Exception {
    k8s.api.onList(list("10", null, a("9")));
    k8s.api.onWatch(status(503, "ServiceUnavailable", "try later"));
    k8s.api.onWatch(status(429, "TooManyRequests", "slow down", "Retry-After", "7"));
    FakeApiServer.WatchStream stream = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());

    eventually().until(() -> discovery.lastError().isPresent());
    assertThat(discovery.lastError().get()).hasMessageContaining("503");
    assertThat(scheduler.nextDelay()).isLessThanOrEqualTo(BACKOFF_BASE);
    assertThat(names(discovery)).containsExactly("web-1");
    scheduler.advance(scheduler.nextDelay());

    eventually().until(() -> discovery.lastError().map(e -> e.getMessage().contains("429"))
        .orElse(false));
    // Retry-After is honoured (it is above the backoff ceiling of the second failure, 2 s).
    assertThat(scheduler.nextDelay()).isEqualTo(Duration.ofSeconds(7));
    assertThat(names(discovery)).containsExactly("web-1");
    assertThat(discovery.viewAge().orElseThrow()).isGreaterThan(Duration.ZERO);
    scheduler.advance(Duration.ofSeconds(7));

    eventually().until(stream::isOpen);
    eventually().until(() -> discovery.lastError().isEmpty());
    assertThat(discovery.viewAge()).contains(Duration.ZERO);
    assertThat(k8s.api.listRequests()).hasSize(1);
  }

  @Test
  void forbiddenWatchNamesTheWatchVerbAndKeepsServingTheView() throws Exception {
    k8s.api.onList(list("10", null, a("9")));
    k8s.api.onWatch(status(403, "Forbidden", "cannot watch resource \"endpointslices\""));
    KubernetesDiscovery discovery = k8s.build(builder());

    eventually().until(() -> discovery.lastError().isPresent());

    assertThat(discovery.lastError().get()).hasMessageContaining("403")
        .hasMessageContaining("'watch' verb").hasMessageContaining("'endpointslices'");
    assertThat(names(discovery)).containsExactly("web-1");
  }

  @Test
  void aRotatedTokenIsReReadWhenTheWatchGets401() throws Exception {
    k8s.api.acceptTokens("token-one");
    k8s.api.onList(list("10", null, a("9")));
    // The list is answered, then the token rotates before the watch.
    k8s.api.onWatch(exchange -> {
      Files.writeString(k8s.tokenFile, "token-two");
      k8s.api.acceptTokens("token-two");
      FakeApiServer.status(401, "Unauthorized", "Unauthorized").send(exchange);
    });
    FakeApiServer.WatchStream stream = k8s.api.nextWatch();
    k8s.build(builder());

    eventually().until(stream::isOpen);

    assertThat(k8s.api.watchRequests()).extracting(FakeApiServer.Request::authorization)
        .containsExactly("Bearer token-one", "Bearer token-two");
  }

  @Test
  void anUnreachableApiServerAtStartupFailsDiscoverWithAClearErrorAndRetries() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    KubernetesDiscovery discovery =
        k8s.build(builder().apiServer(URI.create("http://127.0.0.1:" + port)));
    CompletableFuture<List<Endpoint>> waiting = discovery.discover().toCompletableFuture();

    ExecutionException error = org.junit.jupiter.api.Assertions.assertThrows(
        ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));

    assertThat(error.getCause()).isInstanceOf(DiscoveryException.class)
        .hasMessageContaining("cannot list EndpointSlices of Service 'web'");
    assertThat(discovery.discover().toCompletableFuture()).isCompletedExceptionally();
    assertThat(discovery.viewAge()).isEmpty();
    assertThat(discovery.lastKnownGood()).isEmpty();
    assertThat(scheduler.nextDelay()).isLessThanOrEqualTo(BACKOFF_BASE);
  }

  @Test
  void aViewOlderThanMaxStalenessIsNotServed() throws Exception {
    k8s.api.onList(list("10", null, a("9")));
    k8s.api.onWatch(status(503, "ServiceUnavailable", "down"));
    KubernetesDiscovery discovery = k8s.build(builder().maxStaleness(Duration.ofMinutes(5)));
    eventually().until(() -> discovery.lastError().isPresent());

    k8s.clock.advance(Duration.ofMinutes(6));
    CompletableFuture<List<Endpoint>> f = discovery.discover().toCompletableFuture();

    assertThat(f).isCompletedExceptionally();
    assertThat(f.handle((v, e) -> e.getMessage()).join()).contains("360 s old")
        .contains("maxStaleness").contains("503");
    assertThat(discovery.lastKnownGood()).extracting(Endpoint::name).containsExactly("web-1");
  }

  @Test
  void fiveThousandEndpointsInFiftySlicesAreOneTargetEach() throws Exception {
    ObjectNode[] slices = new ObjectNode[50];
    for (int s = 0; s < 50; s++) {
      ObjectNode[] eps = new ObjectNode[100];
      for (int e = 0; e < 100; e++) {
        eps[e] = ready("10.1." + s + "." + (e + 1), "web-" + s + "-" + e);
      }
      slices[s] = slice("web-" + s, "5", eps);
    }
    // The last slice repeats the first one's endpoints, as slices do while the controller moves them.
    ObjectNode duplicate = slice("web-dup", "5", ready("10.1.0.1", "web-0-0"));
    k8s.api.onList(list("10", "more", slices)).onList(list("10", null, duplicate));
    FakeApiServer.WatchStream stream = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());
    eventually().until(stream::isOpen);

    assertThat(names(discovery)).hasSize(5000).doesNotHaveDuplicates();
    stream.event("DELETED", slice("web-49", "11"));
    eventually().until(() -> names(discovery).size() == 4900);
  }

  @Test
  void closeStopsTheWatch() throws Exception {
    k8s.api.onList(list("10", null, a("9")));
    FakeApiServer.WatchStream stream = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());
    eventually().until(stream::isOpen);

    discovery.close();
    stream.end();
    eventually().until(stream::isFinished);
    scheduler.advance(IDLE.multipliedBy(2));

    assertThat(k8s.api.watchRequests()).hasSize(1);
    assertThat(discovery.discover().toCompletableFuture()).isCompletedExceptionally();
  }

  @Test
  void aMembershipWatchIsToldEveryEventAsItArrivesNotReadyPodsIncluded() throws Exception {
    k8s.api.onList(list("10", null, a("9")));
    FakeApiServer.WatchStream stream = k8s.api.nextWatch();
    KubernetesDiscovery discovery = k8s.build(builder());
    eventually().until(stream::isOpen);
    List<List<Endpoint>> views = new java.util.concurrent.CopyOnWriteArrayList<>();
    dev.fanout.spi.Discovery.Watch watch = discovery.watch(views::add);
    assertThat(views).as("the current view at once").hasSize(1);

    stream.event("ADDED", slice("web-b", "11", endpoint("10.0.0.2", "web-2", false, false, false)));
    eventually().until(() -> views.size() == 2);
    assertThat(views.get(1)).extracting(Endpoint::name, Endpoint::state)
        .contains(org.assertj.core.groups.Tuple.tuple("web-2", Endpoint.State.NOT_READY));

    watch.close();
    stream.event("DELETED", b("12"));
    eventually().until(() -> names(discovery).equals(List.of("web-1")));
    assertThat(views).hasSize(2);
  }

  @Test
  void aListModeDiscoveryCannotReportChanges() {
    KubernetesDiscovery discovery = k8s.build(builder().watch(false));
    assertThat(discovery.watch(v -> { })).isSameAs(dev.fanout.spi.Discovery.Watch.UNSUPPORTED);
  }
}
