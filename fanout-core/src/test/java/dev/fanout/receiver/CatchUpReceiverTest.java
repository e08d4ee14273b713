package dev.fanout.receiver;

import static dev.fanout.receiver.Fixtures.SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.catchup.CatchUpWire;
import dev.fanout.receiver.Fixtures.Recorder;
import dev.fanout.spi.CatchUpSignal;
import dev.fanout.testing.ManualClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The receiver's side of catch-up: the signals, fresh-since, and readiness held until caught up. */
class CatchUpReceiverTest {
  private final ManualClock clock = new ManualClock();
  private final Recorder handler = new Recorder();
  private final Instant built = Instant.parse("2026-12-01T08:00:00Z");

  private InvalidationReceiver.Builder receiver() {
    return InvalidationReceiver.builder().secret(SECRET).handler(handler).clock(clock);
  }

  private InvalidationReceiver.Response signal(InvalidationReceiver r, String id, CatchUpSignal s) {
    return signal(r, id, s, null);
  }

  private InvalidationReceiver.Response signal(InvalidationReceiver r, String id, CatchUpSignal s, String nonce) {
    return Fixtures.handle(r, Fixtures.signed(SECRET, id, clock.instant().getEpochSecond(),
        CatchUpWire.body(id, s, nonce)));
  }

  /** A start, then a done that carries the start's nonce back, as the sender does. */
  private void catchUp(InvalidationReceiver r, String id) {
    String nonce = CatchUpWire.readAnswer(signal(r, id + ":start", CatchUpSignal.START).body()).nonce();
    assertThat(nonce).isNotNull();
    assertThat(signal(r, id + ":done", CatchUpSignal.DONE, nonce).status()).isEqualTo(200);
  }

  @Test
  void aStartSignalIsAnsweredWithFreshSinceAndInvalidatesNothing() {
    InvalidationReceiver r = receiver().freshSince(built).build();
    InvalidationReceiver.Response answer = signal(r, "catchup_1:start", CatchUpSignal.START);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(CatchUpWire.freshSince(answer.body())).contains(built);
    assertThat(handler.seen).isEmpty();
    assertThat(r.isCaughtUp()).isFalse();
  }

  @Test
  void freshSinceDefaultsToTheProcessStart() {
    InvalidationReceiver r = receiver().build();
    Instant start = ProcessHandle.current().info().startInstant().orElseThrow();
    assertThat(r.freshSince()).isEqualTo(start);
    assertThat(CatchUpWire.freshSince(signal(r, "catchup_2:start", CatchUpSignal.START).body()))
        .contains(start);
  }

  @Test
  void anUnsignedOrMalformedSignalIsRefused() {
    InvalidationReceiver r = receiver().build();
    Fixtures.Req forged = Fixtures.signed(Fixtures.OTHER_SECRET, "catchup_3:done",
        clock.instant().getEpochSecond(), CatchUpWire.body("catchup_3:done", CatchUpSignal.DONE));
    assertThat(Fixtures.handle(r, forged).status()).isEqualTo(401);
    assertThat(r.isCaughtUp()).isFalse();

    assertThat(Fixtures.handle(r, Fixtures.signedJson("x", "{\"id\":\"x\",\"catchUp\":\"later\"}", clock))
        .status()).isEqualTo(400);
    assertThat(Fixtures.handle(r, Fixtures.signedJson("x", "{\"id\":\"x y\",\"catchUp\":\"done\"}", clock))
        .status()).isEqualTo(400);
  }

  @Test
  void readinessIsHeldUntilTheFirstCatchUpArrives() {
    InvalidationReceiver r = receiver().holdReadinessUntilCaughtUp(Duration.ofMinutes(2)).build();
    assertThat(r.readiness().status()).isEqualTo(503);
    String nonce = CatchUpWire.readAnswer(signal(r, "catchup_4:start", CatchUpSignal.START).body()).nonce();
    assertThat(r.readiness().status()).as("not before the end of the catch-up").isEqualTo(503);

    signal(r, "catchup_4:done", CatchUpSignal.DONE, nonce);
    assertThat(r.isCaughtUp()).isTrue();
    assertThat(r.readiness().status()).isEqualTo(200);
    assertThat(r.readiness().body()).contains("\"caughtUp\":true");
  }

  @Test
  void aDoneReplayedFromAnEarlierLifeOfTheReplicaReleasesNothing() {
    // The replica's earlier life: a catch-up whose signed done an attacker recorded.
    InvalidationReceiver before = receiver().holdReadinessUntilCaughtUp(Duration.ofMinutes(2)).build();
    String oldNonce = CatchUpWire.readAnswer(signal(before, "catchup_6:start", CatchUpSignal.START).body()).nonce();
    Fixtures.Req recorded = Fixtures.signed(SECRET, "catchup_6:done", clock.instant().getEpochSecond(),
        CatchUpWire.body("catchup_6:done", CatchUpSignal.DONE, oldNonce));
    assertThat(Fixtures.handle(before, recorded).status()).isEqualTo(200);
    assertThat(before.readiness().status()).isEqualTo(200);

    // Restarted (empty replay cache), within the signature's tolerance: the replay is answered but
    // counts for nothing, and neither does a done without a nonce or with one never issued.
    clock.advance(Duration.ofSeconds(30));
    InvalidationReceiver after = receiver().holdReadinessUntilCaughtUp(Duration.ofMinutes(2)).build();
    assertThat(Fixtures.handle(after, recorded).status()).isEqualTo(200);
    signal(after, "catchup_7:start", CatchUpSignal.START);
    signal(after, "catchup_7:done", CatchUpSignal.DONE);
    signal(after, "catchup_8:done", CatchUpSignal.DONE, CatchUpWire.newNonce());
    assertThat(after.isCaughtUp()).isFalse();
    assertThat(after.readiness().status()).isEqualTo(503);

    catchUp(after, "catchup_9");
    assertThat(after.readiness().status()).isEqualTo(200);
  }

  @Test
  void aNonceReleasesOnceAndOnlyTheNewestNoncesAreKept() {
    InvalidationReceiver r = receiver().build();
    String first = CatchUpWire.readAnswer(signal(r, "catchup_a0:start", CatchUpSignal.START).body()).nonce();
    for (int i = 1; i <= CatchUpState.NONCES_KEPT; i++) {
      signal(r, "catchup_a" + i + ":start", CatchUpSignal.START);
    }
    InvalidationReceiver.Response dropped = signal(r, "catchup_a0:done", CatchUpSignal.DONE, first);
    assertThat(CatchUpWire.readAnswer(dropped.body()).notCounted()).as("the answer says so").isTrue();
    assertThat(r.isCaughtUp()).as("the oldest nonce was dropped").isFalse();

    String kept = CatchUpWire.readAnswer(signal(r, "catchup_b:start", CatchUpSignal.START).body()).nonce();
    assertThat(kept).isNotEqualTo(first).matches("[A-Za-z0-9_-]{22}");
    signal(r, "catchup_b:done", CatchUpSignal.DONE, kept);
    assertThat(r.isCaughtUp()).isTrue();
  }

  @Test
  void aMalformedNonceIsRefused() {
    InvalidationReceiver r = receiver().build();
    assertThat(Fixtures.handle(r, Fixtures.signedJson("x",
        "{\"id\":\"x\",\"catchUp\":\"done\",\"nonce\":\"short\"}", clock)).status()).isEqualTo(400);
    assertThat(Fixtures.handle(r, Fixtures.signedJson("y",
        "{\"id\":\"y\",\"catchUp\":\"done\",\"nonce\":12345678901234567890}", clock)).status()).isEqualTo(400);
    assertThatThrownBy(() -> CatchUpWire.body("z", CatchUpSignal.DONE, "no spaces allowed here"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nonce");
  }

  @Test
  void readinessIsReleasedAtTheHoldTimeoutWhenNoCatchUpCame() {
    InvalidationReceiver r = receiver().holdReadinessUntilCaughtUp(Duration.ofMinutes(2)).build();
    clock.advance(Duration.ofMinutes(2).minusMillis(1));
    assertThat(r.readiness().status()).isEqualTo(503);
    clock.advance(Duration.ofMillis(1));
    assertThat(r.readiness().status()).isEqualTo(200);
    assertThat(r.isCaughtUp()).isFalse();
  }

  @Test
  void withoutAHoldTheReceiverIsReadyAtOnce() {
    assertThat(receiver().build().readiness().status()).isEqualTo(200);
    assertThatThrownBy(() -> receiver().holdReadinessUntilCaughtUp(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readiness hold");
  }

  @Test
  void theServerAnswersItsReadinessPathToGetRequests() throws IOException, InterruptedException {
    InvalidationReceiver r = InvalidationReceiver.builder().secret(SECRET).handler(handler)
        .holdReadinessUntilCaughtUp(Duration.ofMinutes(2)).build();
    try (ReceiverServer server = ReceiverServer.builder(r).readinessPath("/ready")
        .address(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0)).start()) {
      HttpClient client = HttpClient.newHttpClient();
      URI ready = URI.create("http://127.0.0.1:" + server.address().getPort() + "/ready");
      assertThat(client.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode()).isEqualTo(503);
      assertThat(client.send(HttpRequest.newBuilder(ready).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);

      Fixtures.Req start = Fixtures.signed(SECRET, "catchup_5:start", Instant.now().getEpochSecond(),
          CatchUpWire.body("catchup_5:start", CatchUpSignal.START));
      String nonce = CatchUpWire.readAnswer(r.handle(start.method(), start.headers(), start.body()).body()).nonce();
      Fixtures.Req done = Fixtures.signed(SECRET, "catchup_5:done", Instant.now().getEpochSecond(),
          CatchUpWire.body("catchup_5:done", CatchUpSignal.DONE, nonce));
      r.handle(done.method(), done.headers(), done.body());
      assertThat(client.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode()).isEqualTo(200);
    }
    assertThatThrownBy(() -> ReceiverServer.builder(receiver().build()).path("/r").readinessPath("/r")
        .address(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0)).start())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readinessPath");
  }
}
