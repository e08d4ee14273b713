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
    return Fixtures.handle(r, Fixtures.signed(SECRET, id, clock.instant().getEpochSecond(),
        CatchUpWire.body(id, s)));
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
    signal(r, "catchup_4:start", CatchUpSignal.START);
    assertThat(r.readiness().status()).as("not before the end of the catch-up").isEqualTo(503);

    signal(r, "catchup_4:done", CatchUpSignal.DONE);
    assertThat(r.isCaughtUp()).isTrue();
    assertThat(r.readiness().status()).isEqualTo(200);
    assertThat(r.readiness().body()).contains("\"caughtUp\":true");
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

      Fixtures.Req done = Fixtures.signed(SECRET, "catchup_5:done", Instant.now().getEpochSecond(),
          CatchUpWire.body("catchup_5:done", CatchUpSignal.DONE));
      r.handle(done.method(), done.headers(), done.body());
      assertThat(client.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode()).isEqualTo(200);
    }
    assertThatThrownBy(() -> ReceiverServer.builder(receiver().build()).path("/r").readinessPath("/r")
        .address(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0)).start())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readinessPath");
  }
}
