package dev.fanout.receiver;

import static dev.fanout.receiver.Fixtures.SECRET;
import static dev.fanout.receiver.Fixtures.handle;
import static dev.fanout.receiver.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import dev.fanout.Invalidation;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.receiver.Fixtures.Recorder;
import dev.fanout.testing.LoopbackPod;
import dev.fanout.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Interoperability with the Standard Webhooks reference library ({@code com.standardwebhooks}), in
 * both directions, and with the requests the real {@link HttpNotifier} sends (fault-matrix row A1).
 */
class StandardWebhooksInteropTest {
  private final Recorder recorder = new Recorder();

  private static Map<String, List<String>> headers(String id, long ts, String signature) {
    Map<String, List<String>> h = new LinkedHashMap<>();
    h.put("webhook-id", List.of(id));
    h.put("webhook-timestamp", List.of(Long.toString(ts)));
    h.put("webhook-signature", List.of(signature));
    return h;
  }

  @Test
  void specTestVectorVerifiesThenFailsOnlyAsABodyThatIsNoInvalidation() {
    // From the Standard Webhooks reference tests: this signature over this body is valid.
    ManualClock clock = new ManualClock(Instant.ofEpochSecond(1614265330));
    InvalidationReceiver receiver = InvalidationReceiver.builder()
        .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").handler(recorder).clock(clock).build();
    byte[] body = utf8("{\"test\": 2432232314}");
    Map<String, List<String>> h = headers("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

    InvalidationReceiver.Response r = receiver.handle("POST", h, body);

    // Past the signature check (not 401), stopped by the body check.
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("bad body");
    body[3] ^= 1;
    assertThat(receiver.handle("POST", h, body).status()).isEqualTo(401);
  }

  @Test
  void requestSignedByTheReferenceLibraryIsAccepted() throws Exception {
    ManualClock clock = new ManualClock();
    InvalidationReceiver receiver = InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .clock(clock).build();
    Invalidation inv = Invalidation.builder().id("inv_ref").path("/caf\u00e9").tag("post:1").build();
    String payload = new String(InvalidationJson.encode(inv), StandardCharsets.UTF_8);
    long ts = clock.instant().getEpochSecond();

    String signature = new Webhook(SECRET).sign("inv_ref", ts, payload);
    InvalidationReceiver.Response r = receiver.handle("POST", headers("inv_ref", ts, signature),
        payload.getBytes(StandardCharsets.UTF_8));

    assertThat(r.status()).isEqualTo(200);
    assertThat(recorder.seen).containsExactly(inv);
  }

  @Test
  void signatureMadeHereIsAcceptedByTheReferenceLibrary() {
    long ts = Instant.now().getEpochSecond();
    byte[] body = InvalidationJson.encode(Invalidation.builder().id("inv_x").path("/a").build(), 1);
    String signature = WebhookSigner.of(SECRET).sign("inv_x", ts, body);

    assertThatCode(() -> new Webhook(SECRET).verify(new String(body, StandardCharsets.UTF_8),
        headers("inv_x", ts, signature))).doesNotThrowAnyException();
    assertThatThrownBy(() -> new Webhook(Fixtures.OTHER_SECRET).verify(
        new String(body, StandardCharsets.UTF_8), headers("inv_x", ts, signature)))
        .isInstanceOf(WebhookVerificationException.class);
  }

  @Test
  void requestSentByHttpNotifierIsAcceptedByTheReceiverAndTheReferenceLibrary() throws Exception {
    Invalidation inv = Invalidation.builder().id("inv_wire").path("/blog/hello").path("/blog/caf\u00e9")
        .tag("post:42").entity("post:42", 9).build();
    HttpNotifier notifier = HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET)
        .clock(Clock.systemUTC()).build();
    LoopbackPod.Request sent;
    try (LoopbackPod pod = LoopbackPod.start("127.0.0.2", LoopbackPod.ok())) {
      notifier.deliver(pod.endpoint(), inv).toCompletableFuture().join();
      sent = pod.requests().get(0);
    }
    Map<String, List<String>> h = new LinkedHashMap<>();
    sent.headers().forEach((k, v) -> h.put(k, List.of(v)));
    InvalidationReceiver receiver = InvalidationReceiver.builder().secret(SECRET).handler(recorder).build();

    InvalidationReceiver.Response r = receiver.handle(sent.method(), h, sent.body());

    assertThat(sent.method()).isEqualTo("POST");
    assertThat(sent.target()).isEqualTo("/api/revalidate");
    assertThat(r.status()).isEqualTo(200);
    assertThat(recorder.seen).containsExactly(inv);
    assertThatCode(() -> new Webhook(SECRET).verify(sent.bodyText(), h)).doesNotThrowAnyException();
    // The receiver's secret only; a receiver with another secret refuses the same request.
    InvalidationReceiver other = InvalidationReceiver.builder().secret(Fixtures.OTHER_SECRET)
        .handler(recorder).build();
    assertThat(other.handle(sent.method(), h, sent.body()).status()).isEqualTo(401);
  }

  @Test
  void referenceLibraryAcceptsTheRelayedBodyWithItsHopMarker() {
    ManualClock clock = new ManualClock();
    Invalidation inv = Invalidation.builder().id("inv_hop").tag("t").build();
    byte[] body = InvalidationJson.encode(inv, 1);
    long ts = clock.instant().getEpochSecond();
    String signature = WebhookSigner.of(SECRET).sign("inv_hop", ts, body);
    InvalidationReceiver receiver = InvalidationReceiver.builder().secret(SECRET).handler(recorder)
        .clock(clock).build();

    assertThat(new String(body, StandardCharsets.UTF_8)).endsWith(",\"hop\":1}");
    assertThat(handle(receiver, new Fixtures.Req("POST", headers("inv_hop", ts, signature), body))
        .status()).isEqualTo(200);
    assertThat(new String(InvalidationJson.encode(inv), StandardCharsets.UTF_8)).doesNotContain("\"hop\"");
  }
}
