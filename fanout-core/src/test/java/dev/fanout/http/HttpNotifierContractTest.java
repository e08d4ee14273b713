package dev.fanout.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.standardwebhooks.Webhook;
import dev.fanout.DeliveryException;
import dev.fanout.Endpoint;
import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.spi.Ack;
import dev.fanout.testing.LoopbackPod;
import dev.fanout.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link HttpNotifier} against real servers on loopback, run once per transport by the
 * subclasses.
 */
abstract class HttpNotifierContractTest {
  private static final String SECRET = WebhookSigner.generateSecret();
  private final List<LoopbackPod> pods = new ArrayList<>();
  private final List<RawPod> rawPods = new ArrayList<>();
  private final Invalidation inv =
      Invalidation.builder().path("/blog/hello").tag("post:42").tag("home").entity("post:42", 7).build();

  abstract HttpNotifier.Transport transport();

  private HttpNotifier.Builder builder() {
    return HttpNotifier.builder().transport(transport());
  }

  private HttpNotifier.Builder varnish(HttpNotifier.Builder preset) {
    return preset.transport(transport());
  }

  @AfterEach
  void stop() throws Exception {
    pods.forEach(LoopbackPod::close);
    for (RawPod p : rawPods) {
      p.close();
    }
  }

  private LoopbackPod pod(String ip, LoopbackPod.Behaviour b) throws Exception {
    LoopbackPod p = LoopbackPod.start(ip, b);
    pods.add(p);
    return p;
  }

  private static Ack deliver(HttpNotifier n, Endpoint e, Invalidation i) throws Exception {
    return n.deliver(e, i).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static DeliveryException failure(HttpNotifier n, Endpoint e) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(
        () -> n.deliver(e, Invalidation.ofPaths("/x")).toCompletableFuture().join());
    assertThat(t).isInstanceOf(CompletionException.class);
    assertThat(t.getCause()).isInstanceOf(DeliveryException.class);
    return (DeliveryException) t.getCause();
  }

  @Test
  void signedPostVerifiesWithTheReferenceLibrary() throws Exception {
    LoopbackPod pod = pod("127.0.0.2", LoopbackPod.ok());
    HttpNotifier n = builder().path("/api/revalidate").signingSecret(SECRET).build();

    Ack ack = deliver(n, pod.endpoint(), inv);

    assertThat(ack.status()).isEqualTo(200);
    LoopbackPod.Request r = pod.requests().get(0);
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.target()).isEqualTo("/api/revalidate");
    assertThat(r.headers()).containsEntry("content-type", "application/json")
        .containsEntry("webhook-id", inv.id());
    assertThat(r.bodyText()).isEqualTo("{\"id\":\"" + inv.id()
        + "\",\"paths\":[\"/blog/hello\"],\"tags\":[\"post:42\",\"home\"],\"entity\":\"post:42\",\"version\":7}");
    // The reference implementation accepts what we sent, byte for byte.
    new Webhook(SECRET).verify(r.bodyText(), Map.of(
        "webhook-id", List.of(r.headers().get("webhook-id")),
        "webhook-timestamp", List.of(r.headers().get("webhook-timestamp")),
        "webhook-signature", List.of(r.headers().get("webhook-signature"))));
    // And no secret travels anywhere but in the signature.
    String raw = SECRET.substring("whsec_".length());
    assertThat(r.target()).doesNotContain(raw);
    assertThat(r.headers().values()).noneMatch(v -> v.contains(raw));
    assertThat(n.toString()).doesNotContain(raw).contains("signed");
  }

  @Test
  void signerAgreesWithTheReferenceLibraryBothWays() throws Exception {
    WebhookSigner ours = WebhookSigner.of(SECRET);
    Webhook theirs = new Webhook(SECRET);
    byte[] body = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);

    assertThat(ours.sign("msg_1", 1_700_000_000L, body))
        .isEqualTo(theirs.sign("msg_1", 1_700_000_000L, "{\"id\":\"x\"}"));
    String theirSig = theirs.sign("msg_2", 1_700_000_001L, "{\"id\":\"x\"}");
    assertThat(ours.verify("msg_2", 1_700_000_001L, body, "v1a,xyz " + theirSig)).isTrue();
    assertThat(ours.verify("msg_2", 1_700_000_002L, body, theirSig)).isFalse();
    assertThat(ours.verify("msg_2", 1_700_000_001L, body, "v1,%%%notbase64")).isFalse();
    // The same secret without the prefix is the same key.
    assertThat(WebhookSigner.of(SECRET.substring(6)).sign("m", 1, body)).isEqualTo(ours.sign("m", 1, body));
  }

  @Test
  void shortOrMalformedSecretsAreRefusedWithoutEchoingThem() {
    assertThatThrownBy(() -> WebhookSigner.of("whsec_c2hvcnQ=")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("24").hasMessageNotContaining("c2hvcnQ");
    assertThatThrownBy(() -> WebhookSigner.of("not base64 !!")).hasMessageNotContaining("!!");
    assertThatThrownBy(() -> WebhookSigner.of("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> builder().build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unsigned()");
  }

  @Test
  void statusesBecomeClassifiedFailuresWithRetryAfter() throws Exception {
    ManualClock clock = new ManualClock(Instant.parse("2026-03-01T12:00:00Z"));
    HttpNotifier n = builder().unsigned().clock(clock).build();
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        Instant.parse("2026-03-01T12:00:07Z").atOffset(ZoneOffset.UTC));
    LoopbackPod throttled = pod("127.0.0.2", (ex, i) -> {
      ex.getResponseHeaders().set("Retry-After", "3");
      LoopbackPod.respond(ex, 429, "slow down");
    });
    LoopbackPod unavailable = pod("127.0.0.3", (ex, i) -> {
      ex.getResponseHeaders().set("Retry-After", date);
      LoopbackPod.respond(ex, 503, "");
    });
    LoopbackPod garbage = pod("127.0.0.4", (ex, i) -> {
      ex.getResponseHeaders().set("Retry-After", "soon-ish");
      LoopbackPod.respond(ex, 502, "");
    });
    LoopbackPod forbidden = pod("127.0.0.5", LoopbackPod.statuses(403));

    DeliveryException d1 = failure(n, throttled.endpoint());
    assertThat(d1.kind()).isEqualTo(ErrorKind.THROTTLED);
    assertThat(d1.retryAfter()).contains(Duration.ofSeconds(3));
    assertThat(d1.getMessage()).isEqualTo("too many requests: slow down");
    assertThat(failure(n, unavailable.endpoint()).retryAfter()).contains(Duration.ofSeconds(7));
    assertThat(failure(n, garbage.endpoint()).retryAfter()).isEmpty();
    DeliveryException d4 = failure(n, forbidden.endpoint());
    assertThat(d4.kind()).isEqualTo(ErrorKind.UNAUTHORIZED);
    assertThat(d4.status()).isEqualTo(403);
  }

  @Test
  void redirectsAreNeverFollowed() throws Exception {
    LoopbackPod elsewhere = pod("127.0.0.3", LoopbackPod.ok());
    LoopbackPod redirecting = pod("127.0.0.2", (ex, i) -> {
      ex.getResponseHeaders().set("Location", "http://" + elsewhere.endpoint().authority() + "/steal");
      LoopbackPod.respond(ex, 307, "");
    });

    DeliveryException d = failure(builder().unsigned().build(), redirecting.endpoint());

    assertThat(d.kind()).isEqualTo(ErrorKind.REDIRECT);
    assertThat(elsewhere.requests()).isEmpty();
  }

  @Test
  void aHugeResponseBodyIsReadOnlyUpToTheCap() throws Exception {
    byte[] chunk = new byte[64 * 1024];
    LoopbackPod big = pod("127.0.0.2", (ex, i) -> {
      ex.sendResponseHeaders(200, 0);
      try (var out = ex.getResponseBody()) {
        for (int k = 0; k < 1600; k++) { // 100 MiB if fully read
          out.write(chunk);
        }
      } catch (java.io.IOException expected) {
        // the client stops reading and closes
      }
    });

    Ack ack = deliver(builder().unsigned().maxResponseBytes(1024).build(), big.endpoint(), inv);

    assertThat(ack.status()).isEqualTo(200);
  }

  @Test
  void ackPredicateChecksTheJsonAnswer() throws Exception {
    LoopbackPod yes = pod("127.0.0.2", (ex, i) -> LoopbackPod.respond(ex, 200, "{\"revalidated\":true}"));
    LoopbackPod no = pod("127.0.0.3", (ex, i) -> LoopbackPod.respond(ex, 200, "{\"revalidated\":false}"));
    HttpNotifier n = builder().unsigned().ackWhen(j -> j.path("revalidated").asBoolean()).build();

    assertThat(deliver(n, yes.endpoint(), inv).status()).isEqualTo(200);
    assertThat(failure(n, no.endpoint()).kind()).isEqualTo(ErrorKind.BAD_ACK);
  }

  @Test
  void varnishPresetsPurgeEachPathAndTheTagsAsXkeys() throws Exception {
    LoopbackPod varnish = pod("127.0.0.2", LoopbackPod.ok());
    Invalidation two = Invalidation.builder().path("/a|b").path("/caf\u00e9?x=1").tag("post:1").tag("home").build();

    deliver(varnish(HttpNotifier.varnishPurge()).build(), varnish.endpoint(), two);
    deliver(varnish(HttpNotifier.varnishXkey()).build(), varnish.endpoint(), two);
    Ack none = deliver(varnish(HttpNotifier.varnishXkey()).build(), varnish.endpoint(), Invalidation.ofPaths("/only-a-path"));

    List<LoopbackPod.Request> rs = varnish.requests();
    assertThat(rs).hasSize(3);
    assertThat(rs.subList(0, 2)).extracting(LoopbackPod.Request::method).containsOnly("PURGE");
    assertThat(rs.subList(0, 2)).extracting(LoopbackPod.Request::target)
        .containsExactlyInAnyOrder("/a%7Cb", "/caf%C3%A9?x=1");
    assertThat(rs.get(2).method()).isEqualTo("PURGE");
    assertThat(rs.get(2).headers()).containsEntry("xkey-purge", "post:1 home").doesNotContainKey("webhook-signature");
    assertThat(none.detail()).isEqualTo("nothing to send");
  }

  @Test
  void ipv6EndpointsAreBracketedEndToEnd() throws Exception {
    LoopbackPod v6 = pod("::1", LoopbackPod.ok());
    Endpoint e = v6.endpoint();
    assertThat(e.isIpv6()).isTrue();
    assertThat(e.authority()).startsWith("[0:0:0:0:0:0:0:1]:");

    assertThat(deliver(builder().unsigned().build(), e, inv).status()).isEqualTo(200);
  }

  @Test
  void headersMayBeComputedFromTheInvalidation() throws Exception {
    LoopbackPod pod = pod("127.0.0.2", LoopbackPod.ok());
    HttpNotifier n = builder().unsigned().method("BAN").path("/ban")
        .header("x-ban-tags", i -> String.join("|", i.tags())).header("x-static", "1").build();

    deliver(n, pod.endpoint(), inv);

    LoopbackPod.Request r = pod.requests().get(0);
    assertThat(r.method()).isEqualTo("BAN");
    assertThat(r.headers()).containsEntry("x-ban-tags", "post:42|home").containsEntry("x-static", "1");
    assertThatThrownBy(() -> builder().header("webhook-id", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder().header("x", "a\r\nb"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void chunkedAndConnectionCloseAnswersAreRead() throws Exception {
    LoopbackPod chunked = pod("127.0.0.2", (ex, i) -> {
      ex.sendResponseHeaders(200, 0); // chunked
      try (var out = ex.getResponseBody()) {
        out.write("{\"revalidated\":".getBytes(StandardCharsets.UTF_8));
        out.flush();
        out.write("true}".getBytes(StandardCharsets.UTF_8));
      }
    });
    HttpNotifier n = builder().unsigned().ackWhen(j -> j.path("revalidated").asBoolean()).build();

    for (int k = 0; k < 3; k++) {
      assertThat(deliver(n, chunked.endpoint(), inv).status()).isEqualTo(200);
    }
    assertThat(chunked.requests()).hasSize(3);
  }

  @Test
  void aPooledConnectionClosedByThePodIsReplacedTransparently() throws Exception {
    LoopbackPod pod = pod("127.0.0.2", (ex, i) -> {
      // Every answer asks to close: the next request must open a new connection, not fail.
      ex.getResponseHeaders().set("connection", "close");
      LoopbackPod.respond(ex, 200, "{}");
    });
    HttpNotifier n = builder().unsigned().build();

    for (int k = 0; k < 5; k++) {
      assertThat(deliver(n, pod.endpoint(), inv).status()).isEqualTo(200);
    }
    assertThat(pod.requests()).hasSize(5);
  }

  @Test
  void refusedConnectionsFailAsConnectErrors() throws Exception {
    LoopbackPod pod = pod("127.0.0.2", LoopbackPod.ok());
    Endpoint gone = pod.endpoint();
    pod.close();

    Throwable t = org.assertj.core.api.Assertions.catchThrowable(
        () -> builder().unsigned().build().deliver(gone, inv).toCompletableFuture().join());

    assertThat(t.getCause()).isInstanceOf(java.net.ConnectException.class);
  }

  @Test
  void nonAsciiHeaderValuesAreRefusedRatherThanMangled() throws Exception {
    LoopbackPod varnish = pod("127.0.0.2", LoopbackPod.ok());
    Invalidation unicode = Invalidation.builder().tag("product:caf\u00e9").build();

    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> varnish(HttpNotifier.varnishXkey()).build()
        .deliver(varnish.endpoint(), unicode).toCompletableFuture().join());

    assertThat(t.getCause()).isInstanceOf(DeliveryException.class);
    assertThat(((DeliveryException) t.getCause()).kind()).isEqualTo(ErrorKind.INTERNAL);
    assertThat(t.getCause().getMessage()).contains("xkey-purge").contains("non-ASCII");
    assertThat(varnish.requests()).isEmpty();
  }

  @Test
  void perPathRequestsToOneReplicaAreWindowed() throws Exception {
    java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger max = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.Semaphore answers = new java.util.concurrent.Semaphore(0);
    LoopbackPod varnish = pod("127.0.0.2", (ex, i) -> {
      max.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      answers.acquire();
      inFlight.decrementAndGet();
      LoopbackPod.respond(ex, 200, "");
    });
    Invalidation.Builder many = Invalidation.builder();
    for (int k = 0; k < 10; k++) {
      many.path("/p/" + k);
    }

    java.util.concurrent.CompletableFuture<Ack> f =
        varnish(HttpNotifier.varnishPurge()).build().deliver(varnish.endpoint(), many.build()).toCompletableFuture();
    for (int remaining = 10; remaining > 0; remaining--) {
      int expected = Math.min(4, remaining);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> inFlight.get() == expected);
      answers.release();
    }

    assertThat(f.get(10, TimeUnit.SECONDS).detail()).isEqualTo("10 requests");
    assertThat(max.get()).isEqualTo(4);
    assertThat(varnish.requests()).hasSize(10);
  }

  // ---- Response framing: each case decided once, the same on both transports

  private RawPod raw(String response) throws Exception {
    RawPod p = RawPod.start("127.0.0.2", RawPod.answering(response));
    rawPods.add(p);
    return p;
  }

  /** Delivers and returns the IO failure; a transport that waits instead of deciding fails the test. */
  private static Throwable ioFailure(HttpNotifier n, Endpoint e) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(
        () -> n.deliver(e, Invalidation.ofPaths("/x")).toCompletableFuture().get(5, TimeUnit.SECONDS));
    assertThat(t).isInstanceOf(java.util.concurrent.ExecutionException.class);
    return t.getCause();
  }

  @Test
  void aResponseHeadOfTwentyKilobytesIsRead() throws Exception {
    // A framework's cookies or debug headers can make a head large; the status decides the ack.
    RawPod pod = raw("HTTP/1.1 200 OK\r\nx-big: " + "a".repeat(20_000) + "\r\ncontent-length: 2\r\n\r\nok");

    Ack ack = builder().unsigned().build().deliver(pod.endpoint(), inv).toCompletableFuture()
        .get(5, TimeUnit.SECONDS);

    assertThat(ack.status()).isEqualTo(200);
    assertThat(ack.detail()).isEqualTo("ok");
  }

  @Test
  void aResponseHeadOverTheLimitIsAProtocolError() throws Exception {
    RawPod pod = raw("HTTP/1.1 200 OK\r\n" + ("x-big: " + "a".repeat(10_000) + "\r\n").repeat(50)
        + "content-length: 2\r\n\r\nok");

    assertThat(ioFailure(builder().unsigned().build(), pod.endpoint())).isInstanceOf(java.io.IOException.class);
  }

  @Test
  void bareLineFeedsEndLinesAsCarriageReturnLineFeedDoes() throws Exception {
    RawPod pod = raw("HTTP/1.1 200 OK\ncontent-length: 2\n\nok");

    Ack ack = builder().unsigned().build().deliver(pod.endpoint(), inv).toCompletableFuture()
        .get(5, TimeUnit.SECONDS);

    assertThat(ack.status()).isEqualTo(200);
    assertThat(ack.detail()).isEqualTo("ok");
  }

  @Test
  void a204ThatDeclaresABodyIsAProtocolErrorAtOnce() throws Exception {
    RawPod bad = raw("HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n");
    RawPod fine = RawPod.start("127.0.0.3", RawPod.answering("HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"));
    rawPods.add(fine);
    HttpNotifier n = builder().unsigned().build();

    assertThat(ioFailure(n, bad.endpoint())).isInstanceOf(java.io.IOException.class);
    assertThat(n.deliver(fine.endpoint(), inv).toCompletableFuture().get(5, TimeUnit.SECONDS).status())
        .isEqualTo(204);
  }

  @Test
  void conflictingFramingHeadersAreAProtocolError() throws Exception {
    // Content-Length next to Transfer-Encoding, or two different lengths: the body's end is
    // ambiguous, the classic request-smuggling shape. Neither transport guesses.
    RawPod both = raw("HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    RawPod twoLengths = RawPod.start("127.0.0.3",
        RawPod.answering("HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nokk"));
    rawPods.add(twoLengths);
    HttpNotifier n = builder().unsigned().build();

    assertThat(ioFailure(n, both.endpoint())).isInstanceOf(java.io.IOException.class);
    assertThat(ioFailure(n, twoLengths.endpoint())).isInstanceOf(java.io.IOException.class);
  }

  @Test
  void closeStopsTheThreadsTheNotifierStarted() throws Exception {
    LoopbackPod pod = pod("127.0.0.2", LoopbackPod.ok());
    java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
    HttpNotifier n = builder().unsigned().build();
    deliver(n, pod.endpoint(), inv);
    java.util.Set<Thread> started = new java.util.HashSet<>(Thread.getAllStackTraces().keySet());
    started.removeAll(before);
    started.removeIf(t -> !t.getName().startsWith("fanout-"));
    assertThat(started).isNotEmpty();

    n.close();

    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> started.stream().noneMatch(Thread::isAlive));
  }

  @Test
  void aCatchUpAnswerIsReadFromTheWholeBodyNotTheReportExcerpt() throws Exception {
    // A third-party receiver that puts other fields first: valid JSON, the nonce past 300 bytes.
    String other = "{\"id\":\"catchup_1:start\",\"result\":\"catch-up\",\"about\":\"" + "x".repeat(300) + "\",";
    String nonce = "n0nce-after-300-bytes_0123456789";
    LoopbackPod pod = pod("127.0.0.2", (ex, i) -> LoopbackPod.respond(ex, 200, i == 0
        ? other + "\"freshSince\":\"2026-12-01T08:00:00Z\",\"nonce\":\"" + nonce + "\"}"
        : other + "\"caughtUp\":false}"));
    HttpNotifier n = builder().signingSecret(SECRET).build();

    dev.fanout.spi.CatchUpAnswer start = n.catchUp(pod.endpoint(), "catchup_1:start",
        dev.fanout.spi.CatchUpSignal.START, null).toCompletableFuture().get(10, TimeUnit.SECONDS);
    dev.fanout.spi.CatchUpAnswer done = n.catchUp(pod.endpoint(), "catchup_1:done",
        dev.fanout.spi.CatchUpSignal.DONE, nonce).toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(start.nonce()).isEqualTo(nonce);
    assertThat(start.freshSince()).isEqualTo(Instant.parse("2026-12-01T08:00:00Z"));
    assertThat(done.notCounted()).as("a done the replica did not count").isTrue();
    n.close();
  }

  @Test
  void cancellingADeliveryAbandonsItsConnection() throws Exception {
    // Given: a replica that reads the request and never answers
    java.util.concurrent.CountDownLatch received = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch dropped = new java.util.concurrent.CountDownLatch(1);
    RawPod silent = RawPod.start("127.0.0.2", (socket, i) -> {
      java.io.InputStream in = socket.getInputStream();
      RawPod.readRequest(in);
      received.countDown();
      if (in.read() < 0) {
        dropped.countDown();
      }
    });
    rawPods.add(silent);
    HttpNotifier n = builder().unsigned().build();
    java.util.concurrent.CompletableFuture<Ack> attempt = n.deliver(silent.endpoint(), inv).toCompletableFuture();
    assertThat(received.await(5, TimeUnit.SECONDS)).isTrue();

    // When: the engine's attempt timeout cancels the delivery
    attempt.cancel(true);

    // Then: the transport closes the connection instead of waiting for an answer nobody reads
    assertThat(dropped.await(5, TimeUnit.SECONDS)).isTrue();
    n.close();
  }
}
