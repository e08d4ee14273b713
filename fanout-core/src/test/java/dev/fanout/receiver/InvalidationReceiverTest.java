package dev.fanout.receiver;

import static dev.fanout.receiver.Fixtures.OLD_SECRET;
import static dev.fanout.receiver.Fixtures.OTHER_SECRET;
import static dev.fanout.receiver.Fixtures.SECRET;
import static dev.fanout.receiver.Fixtures.SECRET_PLAIN;
import static dev.fanout.receiver.Fixtures.handle;
import static dev.fanout.receiver.Fixtures.signed;
import static dev.fanout.receiver.Fixtures.signedJson;
import static dev.fanout.receiver.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.fanout.Invalidation;
import dev.fanout.http.WebhookSigner;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.receiver.Fixtures.Recorder;
import dev.fanout.receiver.Fixtures.Req;
import dev.fanout.spi.Discovery;
import dev.fanout.testing.ManualClock;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tests for {@link InvalidationReceiver}: what it accepts, what it rejects and with which status
 * (fault-matrix rows A1 to A8, A11 to A14, F5). Time comes from a manual clock.
 */
class InvalidationReceiverTest {
  private final ManualClock clock = new ManualClock();
  private final Recorder recorder = new Recorder();
  private final InvalidationReceiver receiver = InvalidationReceiver.builder()
      .secret(SECRET)
      .handler(recorder)
      .clock(clock)
      .build();
  private final Invalidation inv = Invalidation.builder().id("inv_1").path("/blog/hello")
      .tag("post:42").entity("post:42", 7).build();

  private long now() {
    return clock.instant().getEpochSecond();
  }

  // ---- A1: the happy path

  @Test
  void validRequestRunsTheHandlerOnceAndAnswers200() {
    InvalidationReceiver.Response r = handle(receiver, signed(inv, clock));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.isSuccess()).isTrue();
    assertThat(r.body()).isEqualTo("{\"id\":\"inv_1\",\"result\":\"applied\"}");
    assertThat(recorder.seen).containsExactly(inv);
  }

  @Test
  void secretWithOrWithoutPrefixIsTheSameKey() {
    InvalidationReceiver plain = InvalidationReceiver.builder().secret(SECRET_PLAIN)
        .handler(recorder).clock(clock).build();

    assertThat(handle(plain, signed(inv, clock)).status()).isEqualTo(200);
  }

  // ---- A3: secrets at build time

  @Test
  void buildRefusesMissingSecretOrHandler() {
    assertThatThrownBy(() -> InvalidationReceiver.builder().handler(recorder).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("secret");
    assertThatThrownBy(() -> InvalidationReceiver.builder().secret(SECRET).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("handler");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "whsec_", "whsec_c2hvcnQ=", "not base64 at all!", "whsec_%%%%"})
  void emptyShortOrMalformedSecretsAreRefusedWithoutQuotingThem(String secret) {
    assertThatThrownBy(() -> InvalidationReceiver.builder().secret(secret))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> {
          if (secret.trim().length() > 6) {
            assertThat(e.getMessage()).doesNotContain(secret.trim());
          }
        });
  }

  @Test
  void wrongSecretIs401AndTheHandlerDoesNotRun() {
    Req req = signed(OTHER_SECRET, inv.id(), now(), InvalidationJson.encode(inv));

    InvalidationReceiver.Response r = handle(receiver, req);

    assertThat(r.status()).isEqualTo(401);
    assertThat(r.body()).isEqualTo("{\"error\":\"bad signature\"}");
    assertThat(recorder.seen).isEmpty();
  }

  // ---- F5: no secret in toString or exceptions

  @Test
  void toStringNamesNoSecret() {
    InvalidationReceiver r = InvalidationReceiver.builder().secret(SECRET).secret(OLD_SECRET)
        .handler(recorder).build();

    assertThat(r.toString())
        .contains("2 secrets", "tolerance PT5M", "maxBodyBytes 65536")
        .doesNotContain(SECRET_PLAIN, OLD_SECRET.substring(6), SECRET_PLAIN.substring(0, 8));
  }

  @Test
  void optionsAreValidated() {
    InvalidationReceiver.Builder b = InvalidationReceiver.builder();
    assertThatThrownBy(() -> b.tolerance(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.tolerance(Duration.ofHours(2))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maxBodyBytes(10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maxPaths(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maxTags(100_001)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.replayCacheSize(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.handlerTimeout(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.allowedPathPrefix("blog/")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.allowedPathPrefix("/../")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .relay(InvalidationReceiver.Relay.to(Discovery.of())).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("self");
    assertThatThrownBy(() -> InvalidationReceiver.Relay.to(Discovery.of()).self("not an address!"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> InvalidationReceiver.Relay.to(Discovery.of()).deadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---- A4: headers

  @Test
  void methodOtherThanPostIs405() {
    assertThat(handle(receiver, signed(inv, clock).method("GET")).status()).isEqualTo(405);
    assertThat(handle(receiver, signed(inv, clock).method("post")).status()).isEqualTo(405);
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void missingHeadersAre400ForIdAndTimestampAnd401ForSignature() {
    Req ok = signed(inv, clock);
    assertThat(handle(receiver, ok.without("webhook-id"))).isEqualTo(
        new InvalidationReceiver.Response(400, "{\"error\":\"missing webhook-id header\"}"));
    assertThat(handle(receiver, ok.without("webhook-timestamp")).status()).isEqualTo(400);
    assertThat(handle(receiver, ok.without("webhook-signature"))).isEqualTo(
        new InvalidationReceiver.Response(401, "{\"error\":\"missing webhook-signature header\"}"));
    assertThat(handle(receiver, ok.with("webhook-id", "")).status()).isEqualTo(400);
    assertThat(handle(receiver, ok.with("webhook-timestamp", "")).status()).isEqualTo(400);
    assertThat(handle(receiver, ok.with("webhook-signature", "")).status()).isEqualTo(401);
    assertThat(handle(receiver, ok.with("webhook-signature")).status()).isEqualTo(401);
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void duplicatedHeadersAre400EvenWhenOneIsValid() {
    Req ok = signed(inv, clock);
    assertThat(handle(receiver, ok.with("webhook-id", "inv_1", "inv_1")).status()).isEqualTo(400);
    assertThat(handle(receiver, ok.with("Webhook-Timestamp", ok.header("webhook-timestamp"))).status())
        .isEqualTo(400);
    assertThat(handle(receiver, ok.with("WEBHOOK-SIGNATURE", ok.header("webhook-signature"))).body())
        .isEqualTo("{\"error\":\"duplicate webhook-signature header\"}");
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void headerNamesMatchInAnyCase() {
    Req ok = signed(inv, clock);
    Req mixed = ok.without("webhook-id").without("webhook-signature")
        .with("Webhook-Id", ok.header("webhook-id"))
        .with("WEBHOOK-SIGNATURE", ok.header("webhook-signature"));

    assertThat(handle(receiver, mixed).status()).isEqualTo(200);
  }

  // ---- A8: webhook-id shape

  @ParameterizedTest
  @ValueSource(strings = {"inv.1", "inv 1", "inv\r\n1", "inv\n1", "inv\u00e91", "inv\u00001"})
  void idsWithDotsSpacesControlOrNonAsciiAre400(String id) {
    Req req = signed(SECRET, "inv_1", now(), InvalidationJson.encode(inv)).with("webhook-id", id);

    assertThat(handle(receiver, req)).isEqualTo(
        new InvalidationReceiver.Response(400, "{\"error\":\"bad webhook-id header\"}"));
  }

  @Test
  void idLongerThan256Is400() {
    String id = "a".repeat(257);
    assertThat(handle(receiver, signed(SECRET, id, now(), InvalidationJson.encode(inv))).status())
        .isEqualTo(400);
    String max = "a".repeat(256);
    assertThat(handle(receiver, signed(SECRET, max, now(), InvalidationJson.encode(inv))).status())
        .isEqualTo(200);
  }

  // ---- A5: timestamps

  @ParameterizedTest
  @ValueSource(longs = {-300, 300, 0, -1, 1})
  void timestampsWithinToleranceBoundaryIncludedAreAccepted(long offset) {
    Req req = signed(SECRET, "inv_" + (offset + 1000), now() + offset, InvalidationJson.encode(inv));

    assertThat(handle(receiver, req).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(longs = {-301, 301, -86_400, 86_400})
  void timestampsOutsideToleranceAre401InBothDirections(long offset) {
    Req req = signed(SECRET, inv.id(), now() + offset, InvalidationJson.encode(inv));

    assertThat(handle(receiver, req)).isEqualTo(
        new InvalidationReceiver.Response(401, "{\"error\":\"timestamp outside tolerance\"}"));
    assertThat(recorder.seen).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1e9", "-1", "+1767225600", " 1767225600", "1767225600 ", "12345678901234567890",
      "1767225600.0", "0x69558680", "١٧٦٧٢٢٥٦٠٠"})
  void unparseableTimestampsAre400(String ts) {
    Req req = signed(inv, clock).with("webhook-timestamp", ts);

    assertThat(handle(receiver, req)).isEqualTo(
        new InvalidationReceiver.Response(400, "{\"error\":\"bad webhook-timestamp header\"}"));
  }

  @Test
  void customToleranceApplies() {
    InvalidationReceiver strict = InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .clock(clock).tolerance(Duration.ofSeconds(30)).build();
    byte[] body = InvalidationJson.encode(inv);

    assertThat(handle(strict, signed(SECRET, "a", now() - 31, body)).status()).isEqualTo(401);
    assertThat(handle(strict, signed(SECRET, "b", now() + 30, body)).status()).isEqualTo(200);
  }

  // ---- A2: raw bytes are verified before parsing

  @Test
  void oneFlippedBitIs401() {
    Req ok = signed(inv, clock);
    byte[] tampered = ok.body().clone();
    tampered[tampered.length / 2] ^= 0x01;

    assertThat(handle(receiver, ok.body(tampered)).status()).isEqualTo(401);
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void reserialisedJsonIs401EvenThoughItMeansTheSame() {
    Req ok = signed(inv, clock);
    String spaced = new String(ok.body(), java.nio.charset.StandardCharsets.UTF_8).replace(",", ", ");
    String reordered = "{\"paths\":[\"/blog/hello\"],\"id\":\"inv_1\",\"tags\":[\"post:42\"],"
        + "\"entity\":\"post:42\",\"version\":7}";

    assertThat(handle(receiver, ok.body(utf8(spaced))).status()).isEqualTo(401);
    assertThat(handle(receiver, ok.body(utf8(reordered))).status()).isEqualTo(401);
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void signatureOverAnotherIdOrTimestampIs401() {
    Req ok = signed(inv, clock);
    assertThat(handle(receiver, ok.with("webhook-id", "inv_2")).status()).isEqualTo(401);
    assertThat(handle(receiver, ok.with("webhook-timestamp", Long.toString(now() - 1))).status())
        .isEqualTo(401);
  }

  // ---- A6: rotation and signature lists

  @Test
  void anyMatchingV1SignaturePassesDuringRotation() {
    byte[] body = InvalidationJson.encode(inv);
    String oldSig = WebhookSigner.of(OLD_SECRET).sign("inv_1", now(), body);
    String newSig = WebhookSigner.of(SECRET).sign("inv_1", now(), body);
    InvalidationReceiver both = InvalidationReceiver.builder().secret(SECRET).secret(OLD_SECRET)
        .handler(recorder).clock(clock).build();

    // The sender signs with both keys; the receiver knows only the new one.
    Req twoSigs = signed(inv, clock).with("webhook-signature", oldSig + " " + newSig);
    assertThat(handle(receiver, twoSigs).status()).isEqualTo(200);
    // The sender still signs with the old key only; the receiver accepts both keys.
    Req oldOnly = signed(OLD_SECRET, "inv_2", now(), InvalidationJson.encode(inv.withId("inv_2")));
    assertThat(handle(both, oldOnly).status()).isEqualTo(200);
    assertThat(handle(receiver, oldOnly).status()).isEqualTo(401);
  }

  @Test
  void unknownVersionsAndBadBase64AreSkipped() {
    Req ok = signed(inv, clock);
    String good = ok.header("webhook-signature");
    String mixed = "v1a,AAAA v2," + good.substring(3) + " v1,!!!notbase64!!! " + good;

    assertThat(handle(receiver, ok.with("webhook-signature", mixed)).status()).isEqualTo(200);
    assertThat(handle(receiver, ok.with("webhook-signature", "v2," + good.substring(3))).status())
        .isEqualTo(401);
    assertThat(handle(receiver, ok.with("webhook-signature", good.substring(3))).status())
        .isEqualTo(401);
  }

  @Test
  void moreThan16EntriesAreRejectedEvenWithAMatchAndHugeHeadersDoNotCostMuch() {
    Req ok = signed(inv, clock);
    String good = ok.header("webhook-signature");
    String sixteen = "v1,AAAA ".repeat(15) + good;
    String seventeen = "v1,AAAA ".repeat(16) + good;
    String tenThousand = "v1,AAAA ".repeat(10_000) + good;

    assertThat(handle(receiver, ok.with("webhook-signature", sixteen)).status()).isEqualTo(200);
    assertThat(handle(receiver, signed(inv.withId("inv_2"), clock)
        .with("webhook-signature", seventeen)).status()).isEqualTo(401);
    assertThat(handle(receiver, signed(inv.withId("inv_3"), clock)
        .with("webhook-signature", tenThousand)).status()).isEqualTo(401);
  }

  // ---- A7: replays

  @Test
  void replayedIdAnswers200WithoutRunningTheHandlerAgain() {
    Req first = signed(inv, clock);
    assertThat(handle(receiver, first).status()).isEqualTo(200);

    // The very same request again, then a retry with a fresh timestamp and signature.
    InvalidationReceiver.Response again = handle(receiver, first);
    clock.advance(Duration.ofSeconds(30));
    InvalidationReceiver.Response retry = handle(receiver, signed(inv, clock));

    assertThat(again).isEqualTo(
        new InvalidationReceiver.Response(200, "{\"id\":\"inv_1\",\"result\":\"duplicate\"}"));
    assertThat(retry.body()).contains("duplicate");
    assertThat(recorder.seen).hasSize(1);
  }

  @Test
  void afterTheRetentionTheTimestampCheckRejectsTheReplayAndAFreshRequestRunsAgain() {
    Req first = signed(inv, clock);
    assertThat(handle(receiver, first).status()).isEqualTo(200);

    clock.advance(Duration.ofMinutes(10).plusSeconds(1));

    assertThat(handle(receiver, first).status()).isEqualTo(401);
    assertThat(handle(receiver, signed(inv, clock)).body()).contains("applied");
    assertThat(recorder.seen).hasSize(2);
  }

  @Test
  void aFailedHandlerDoesNotRecordTheIdSoARetryRunsItAgain() {
    AtomicInteger calls = new AtomicInteger();
    InvalidationReceiver flaky = InvalidationReceiver.builder().secret(SECRET).clock(clock)
        .handler(i -> {
          if (calls.incrementAndGet() == 1) {
            throw new IllegalStateException("cache backend down: password=hunter2");
          }
        }).build();

    InvalidationReceiver.Response failed = handle(flaky, signed(inv, clock));
    InvalidationReceiver.Response retried = handle(flaky, signed(inv, clock));
    InvalidationReceiver.Response replayed = handle(flaky, signed(inv, clock));

    assertThat(failed).isEqualTo(new InvalidationReceiver.Response(500, "{\"error\":\"handler failed\"}"));
    assertThat(retried.body()).contains("applied");
    assertThat(replayed.body()).contains("duplicate");
    assertThat(calls).hasValue(2);
  }

  @Test
  void concurrentDuplicatesShareOneRunOfTheHandler() {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    AtomicInteger calls = new AtomicInteger();
    InvalidationReceiver slow = InvalidationReceiver.builder().secret(SECRET).clock(clock)
        .asyncHandler(i -> {
          calls.incrementAndGet();
          return gate;
        }).build();
    Req req = signed(inv, clock);

    CompletableFuture<InvalidationReceiver.Response> a = slow.handleAsync(req.method(), req.headers(), req.body());
    CompletableFuture<InvalidationReceiver.Response> b = slow.handleAsync(req.method(), req.headers(), req.body());
    assertThat(a).isNotDone();
    assertThat(b).isNotDone();
    gate.complete(null);

    assertThat(a.join().body()).contains("applied");
    assertThat(b.join().body()).contains("duplicate");
    assertThat(calls).hasValue(1);
  }

  @Test
  void aConcurrentDuplicateOfAFailingRunFailsTooAndALaterRetryRunsAgain() {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    AtomicInteger calls = new AtomicInteger();
    InvalidationReceiver slow = InvalidationReceiver.builder().secret(SECRET).clock(clock)
        .asyncHandler(i -> calls.incrementAndGet() == 1 ? gate : CompletableFuture.completedFuture(null))
        .build();
    Req req = signed(inv, clock);

    CompletableFuture<InvalidationReceiver.Response> a = slow.handleAsync(req.method(), req.headers(), req.body());
    CompletableFuture<InvalidationReceiver.Response> b = slow.handleAsync(req.method(), req.headers(), req.body());
    gate.completeExceptionally(new RuntimeException("boom"));

    assertThat(a.join().status()).isEqualTo(500);
    assertThat(b.join().status()).isEqualTo(500);
    assertThat(handle(slow, req).body()).contains("applied");
    assertThat(calls).hasValue(2);
  }

  @Test
  void replayCacheIsBounded() {
    InvalidationReceiver small = InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .clock(clock).replayCacheSize(3).build();
    for (int i = 0; i < 10; i++) {
      assertThat(handle(small, signed(inv.withId("inv_" + i), clock)).status()).isEqualTo(200);
    }

    assertThat(small.replayCacheSize()).isEqualTo(3);
    // The oldest ids were evicted: a retry of inv_0 runs the handler again (harmless), inv_9 does not.
    assertThat(handle(small, signed(inv.withId("inv_9"), clock)).body()).contains("duplicate");
    assertThat(handle(small, signed(inv.withId("inv_0"), clock)).body()).contains("applied");
  }

  // ---- handler outcomes

  @Test
  void handlerExceptionIs500WithoutDetail() {
    InvalidationReceiver failing = InvalidationReceiver.builder().secret(SECRET).clock(clock)
        .handler(i -> {
          throw new IllegalStateException("jdbc:postgresql://db/app?password=hunter2");
        }).build();

    InvalidationReceiver.Response r = handle(failing, signed(inv, clock));

    assertThat(r.status()).isEqualTo(500);
    assertThat(r.body()).isEqualTo("{\"error\":\"handler failed\"}");
  }

  @Test
  void asyncHandlerAnswersOnlyAfterItsStageCompleted() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    InvalidationReceiver async = InvalidationReceiver.builder().secret(SECRET).clock(clock)
        .asyncHandler(i -> done).build();
    Req req = signed(inv, clock);

    CompletableFuture<InvalidationReceiver.Response> answer =
        async.handleAsync(req.method(), req.headers(), req.body());
    assertThat(answer).isNotDone();
    done.complete(null);

    assertThat(answer.join().status()).isEqualTo(200);
  }

  @Test
  void asyncHandlerFailureOrNullIs500() {
    InvalidationReceiver failing = InvalidationReceiver.builder().secret(SECRET).clock(clock)
        .asyncHandler(i -> CompletableFuture.failedFuture(new RuntimeException("x"))).build();
    InvalidationReceiver nulls = InvalidationReceiver.builder().secret(SECRET).clock(clock)
        .asyncHandler(i -> null).build();

    assertThat(handle(failing, signed(inv, clock)).status()).isEqualTo(500);
    assertThat(handle(nulls, signed(inv, clock)).status()).isEqualTo(500);
  }

  @Test
  void handlerThatNeverFinishesIs503AfterTheTimeoutAndItsIdStaysInFlight() {
    CompletableFuture<Void> never = new CompletableFuture<>();
    AtomicInteger calls = new AtomicInteger();
    InvalidationReceiver hung = InvalidationReceiver.builder().secret(SECRET).clock(clock)
        .handlerTimeout(Duration.ofMillis(50))
        .asyncHandler(i -> {
          calls.incrementAndGet();
          return never;
        }).build();
    Req req = signed(inv, clock);

    CompletableFuture<InvalidationReceiver.Response> first = hung.handleAsync(req.method(), req.headers(), req.body());
    await().atMost(Duration.ofSeconds(10)).until(first::isDone);
    CompletableFuture<InvalidationReceiver.Response> retry = hung.handleAsync(req.method(), req.headers(), req.body());
    await().atMost(Duration.ofSeconds(10)).until(retry::isDone);

    assertThat(first.join()).isEqualTo(new InvalidationReceiver.Response(503, "{\"error\":\"handler timed out\"}"));
    assertThat(retry.join().status()).isEqualTo(503);
    assertThat(calls).hasValue(1);
  }

  // ---- A12: size

  @Test
  void bodyOverTheLimitIs413() {
    InvalidationReceiver small = InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .clock(clock).maxBodyBytes(1024).build();
    String big = "{\"id\":\"inv_1\",\"paths\":[\"/" + "a".repeat(1100) + "\"]}";

    assertThat(handle(small, signedJson("inv_1", big, clock)))
        .isEqualTo(new InvalidationReceiver.Response(413, "{\"error\":\"body too large\"}"));
    assertThat(handle(receiver, signedJson("inv_1", "{\"id\":\"x\",\"paths\":[\"/" + "a".repeat(70_000)
        + "\"]}", clock)).status()).isEqualTo(413);
  }

  @Test
  void streamedBodyIsReadOnlyUpToTheLimit() {
    AtomicLong served = new AtomicLong();
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        served.incrementAndGet();
        return 'a';
      }

      @Override
      public int read(byte[] b, int off, int len) {
        java.util.Arrays.fill(b, off, off + len, (byte) 'a');
        served.addAndGet(len);
        return len;
      }
    };
    Req req = signed(inv, clock);

    InvalidationReceiver.Response r = receiver.handle("POST", req.headers(), endless);

    assertThat(r.status()).isEqualTo(413);
    assertThat(served.get()).isLessThanOrEqualTo(InvalidationReceiver.DEFAULT_MAX_BODY_BYTES + 1);
    assertThat(receiver.handle("POST", req.with("content-length", "99999999").headers(),
        new ByteArrayInputStream(req.body())).status()).isEqualTo(413);
    assertThat(receiver.handle("POST", req.headers(), new ByteArrayInputStream(req.body())).status())
        .isEqualTo(200);
  }

  // ---- A13: malformed bodies

  @ParameterizedTest
  @ValueSource(strings = {
      "", "null", "[]", "\"x\"", "{", "{\"id\":\"inv_1\",\"paths\":[\"/a\"]", "not json",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"]} trailing",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"]}{}",
      "{\"id\":5,\"paths\":[\"/a\"]}",
      "{\"paths\":[\"/a\"]}",
      "{\"id\":\"inv_1\",\"paths\":\"/a\"}",
      "{\"id\":\"inv_1\",\"paths\":[1]}",
      "{\"id\":\"inv_1\",\"paths\":[null]}",
      "{\"id\":\"inv_1\",\"paths\":[[\"/a\"]]}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"tags\":{\"a\":1}}",
      "{\"id\":\"inv_1\",\"paths\":[]}",
      "{\"id\":\"inv_1\"}",
      "{\"id\":\"inv 1\",\"paths\":[\"/a\"]}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"entity\":1}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"entity\":\"e\",\"version\":\"7\"}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"entity\":\"e\",\"version\":7.5}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"entity\":\"e\",\"version\":-1}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"entity\":\"e\",\"version\":99999999999999999999999}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"version\":7}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"hop\":\"1\"}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"hop\":-1}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"hop\":99}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"hop\":1.5}",
      "{\"id\":\"inv_1\",\"id\":\"inv_2\",\"paths\":[\"/a\"]}",
      "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"paths\":[\"/b\"]}",
      "{\"id\":\"inv_1\",\"tags\":[\"a\\u0000b\"]}",
      "{\"id\":\"inv_1\",\"tags\":[\" \"]}",
      "\u00ef\u00bb\u00bf{\"id\":\"inv_1\",\"paths\":[\"/a\"]}",
  })
  void malformedOrMistypedBodiesAre400(String json) {
    InvalidationReceiver.Response r = handle(receiver, signedJson("inv_1", json, clock));

    assertThat(r.status()).as(json).isEqualTo(400);
    assertThat(r.body()).startsWith("{\"error\":\"bad body: ").doesNotContain("Exception", "\tat ");
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void deepNestingHugeStringsAndManyEntriesAre400WithoutBlowingUp() {
    String deep = "{\"id\":\"inv_1\",\"paths\":" + "[".repeat(20_000) + "]".repeat(20_000) + "}";
    String hugeString = "{\"id\":\"inv_1\",\"tags\":[\"" + "x".repeat(60_000) + "\"]}";
    StringBuilder many = new StringBuilder("{\"id\":\"inv_1\",\"tags\":[");
    for (int i = 0; i < 1001; i++) {
      many.append(i == 0 ? "" : ",").append("\"t").append(i).append('"');
    }
    many.append("]}");
    InvalidationReceiver big = InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .clock(clock).maxBodyBytes(1 << 20).build();

    assertThat(handle(big, signedJson("inv_1", deep, clock)).status()).isEqualTo(400);
    assertThat(handle(receiver, signedJson("inv_1", hugeString, clock)).status()).isEqualTo(400);
    assertThat(handle(receiver, signedJson("inv_1", many.toString(), clock)).body())
        .contains("too many tags");
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void pathAndTagCountsFollowTheLimits() {
    InvalidationReceiver two = InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .clock(clock).maxPaths(2).maxTags(2).build();

    assertThat(handle(two, signed(Invalidation.builder().id("a").path("/1").path("/2").tag("x").tag("y")
        .build(), clock)).status()).isEqualTo(200);
    assertThat(handle(two, signed(Invalidation.builder().id("b").path("/1").path("/2").path("/3")
        .build(), clock)).body()).contains("too many paths");
    assertThat(handle(two, signed(Invalidation.builder().id("c").tag("1").tag("2").tag("3")
        .build(), clock)).body()).contains("too many tags");
  }

  @Test
  void unknownFieldsAreIgnored() {
    String json = "{\"id\":\"inv_1\",\"paths\":[\"/a\"],\"future\":{\"x\":[1,2]},\"hop\":0}";

    assertThat(handle(receiver, signedJson("inv_1", json, clock)).status()).isEqualTo(200);
    assertThat(recorder.seen).extracting(Invalidation::paths).containsExactly(List.of("/a"));
  }

  // ---- A14: paths that are not plain absolute paths

  @ParameterizedTest
  @ValueSource(strings = {
      "http://169.254.169.254/latest/meta-data", "//169.254.169.254/x", "/\\evil.example/x",
      "https:/x", "relative/path", "/a/../b", "/..", "/a/./b", "/a/%2e%2e/b", "/a/%2E%2E/b",
      "/a%2F..%2Fb", "/a/.%2e/b", "/a/..;/b", "/a\\b", "/a#frag", "/a b", "/a\tb", "/a%0d%0aSet-Cookie:x",
      "/a%00", "/%zz", "/a%", "/a%2", "/%c0%ae%c0%ae/", "/%2F%2Fevil.example", "/a\u2028b", "/a\u200bb",
      "/a\u202eb", "/a\u0085b", "/\ud800x"})
  void pathsThatAreNotPlainAbsolutePathsAre400(String path) {
    // Every non-ASCII character is escaped, so that each path reaches the receiver exactly as written.
    String json = "{\"id\":\"inv_1\",\"paths\":[" + Fixtures.jsonString(path) + "]}";

    InvalidationReceiver.Response r = handle(receiver, signedJson("inv_1", json, clock));

    assertThat(r.status()).as(path).isEqualTo(400);
    assertThat(r.body()).doesNotContain("169.254", "evil");
    assertThat(recorder.seen).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/blog/hello", "/blog/caf%C3%A9", "/blog/caf\u00e9", "/search?q=a/../b",
      "/posts/*", "/a..b/c.d", "/.well-known/x", "/a/b/", "/\ud83d\ude00", "/a:b@c;d=e,f"})
  void plainPathsAreAccepted(String path) {
    Invalidation i = Invalidation.builder().id("inv_ok").path(path).build();

    assertThat(handle(receiver, signed(i, clock)).status()).as(path).isEqualTo(200);
    assertThat(recorder.seen).extracting(Invalidation::paths).containsExactly(List.of(path));
  }

  @Test
  void allowedPrefixesRestrictPaths() {
    InvalidationReceiver blogOnly = InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .clock(clock).allowedPathPrefix("/blog/").allowedPathPrefix("/news/").build();

    assertThat(handle(blogOnly, signed(Invalidation.builder().id("a").path("/blog/x").path("/news/y")
        .build(), clock)).status()).isEqualTo(200);
    assertThat(handle(blogOnly, signed(Invalidation.builder().id("b").path("/blog/x").path("/admin")
        .build(), clock))).isEqualTo(new InvalidationReceiver.Response(400, "{\"error\":\"path not allowed\"}"));
    assertThat(handle(blogOnly, signed(Invalidation.builder().id("c").tag("only-tags").build(), clock))
        .status()).isEqualTo(200);
  }

  @Test
  void tagsAreHandedOverAsGiven() {
    Invalidation tags = Invalidation.builder().id("inv_t").tag("post:42").tag("http://not-a-url-here")
        .tag("caf\u00e9").build();

    assertThat(handle(receiver, signed(tags, clock)).status()).isEqualTo(200);
    assertThat(recorder.seen.get(0).tags()).containsExactly("post:42", "http://not-a-url-here", "caf\u00e9");
  }

  // ---- A11: secrets in the query string are not a thing here; logs carry no secret

  @Test
  void logsCarryNoSecretNorSignature() {
    CapturingLogger logger = new CapturingLogger();
    InvalidationReceiver logged = InvalidationReceiver.builder().secret(SECRET).secret(OLD_SECRET)
        .clock(clock).logger(logger)
        .handler(i -> {
          if (i.id().equals("inv_fail")) {
            throw new IllegalStateException("handler broke");
          }
        }).build();
    List<Req> requests = new ArrayList<>();
    requests.add(signed(inv, clock));
    requests.add(signed(inv, clock));
    requests.add(signed(inv.withId("inv_fail"), clock));
    requests.add(signed(OTHER_SECRET, "inv_x", now(), InvalidationJson.encode(inv)));
    requests.add(signed(inv, clock).with("webhook-timestamp", "nope"));
    requests.add(signedJson("inv_b", "{\"id\":\"inv_b\",\"paths\":[\"//evil\"]}", clock));
    List<String> signatures = new ArrayList<>();
    for (Req r : requests) {
      signatures.add(r.header("webhook-signature").substring(3));
      handle(logged, r);
    }

    String all = String.join("\n", logger.lines);
    assertThat(logger.lines).hasSizeGreaterThanOrEqualTo(requests.size());
    assertThat(all).contains("inv_1", "bad signature", "handler failed")
        .doesNotContain(SECRET_PLAIN, OLD_SECRET.substring(6), OTHER_SECRET.substring(6),
            Base64.getEncoder().encodeToString(Base64.getDecoder().decode(SECRET_PLAIN)).substring(0, 12));
    for (String sig : signatures) {
      assertThat(all).doesNotContain(sig);
    }
  }

  @Test
  void answersAreAlwaysShortJsonObjects() {
    for (Map.Entry<String, Req> e : Map.of(
        "bad sig", signed(OTHER_SECRET, "a", now(), InvalidationJson.encode(inv)),
        "bad body", signedJson("a", "{\"id\":\"" + "x".repeat(5000) + "\",\"paths\":[\"/a\"]}", clock),
        "ok", signed(inv, clock)).entrySet()) {
      InvalidationReceiver.Response r = handle(receiver, e.getValue());
      assertThat(r.body()).as(e.getKey()).startsWith("{").endsWith("}").hasSizeLessThan(300);
    }
  }
}
