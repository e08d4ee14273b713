package dev.fanout.gateway;

import dev.fanout.WireContract;
import dev.fanout.http.WebhookSigner;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Standard Webhooks authentication ({@code webhook-id}, {@code webhook-timestamp}, {@code
 * webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>}), with fanout-core's {@link
 * WebhookSigner}: the same signing as every request fanout sends to replicas, and as the WordPress
 * plugin's. Several secrets may be configured so that one can be rotated.
 */
final class SignatureAuthenticator implements Authenticator {
  private final List<WebhookSigner> signers;
  private final Clock clock;
  private final Duration tolerance;

  SignatureAuthenticator(List<String> secrets, Clock clock, Duration tolerance) {
    this.signers = secrets.stream().map(WebhookSigner::of).toList();
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tolerance = Objects.requireNonNull(tolerance, "tolerance");
    if (signers.isEmpty()) {
      throw new IllegalArgumentException("no signing secret");
    }
  }

  @Override
  public String authenticate(InboundRequest request) {
    String id = request.single("webhook-id");
    String timestamp = request.single("webhook-timestamp");
    String signature = request.single("webhook-signature");
    if (id == null || timestamp == null || signature == null) {
      throw WebhookRejected.unauthorized(
          "unsigned: webhook-id, webhook-timestamp and webhook-signature are required");
    }
    if (id.isEmpty() || id.length() > WireContract.MAX_WEBHOOK_ID_LENGTH
        || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '.')) {
      throw WebhookRejected.unauthorized("malformed webhook-id");
    }
    long seconds;
    try {
      seconds = Long.parseLong(timestamp.trim());
    } catch (NumberFormatException e) {
      throw WebhookRejected.unauthorized("malformed webhook-timestamp");
    }
    long now = clock.instant().getEpochSecond();
    if (Math.abs(now - seconds) > tolerance.toSeconds()) {
      throw WebhookRejected.unauthorized("webhook-timestamp is outside the tolerance of "
          + tolerance.toSeconds() + " s (check the sender's clock)");
    }
    for (WebhookSigner signer : signers) {
      if (signer.verify(id, seconds, request.body(), signature)) {
        return id;
      }
    }
    throw WebhookRejected.unauthorized("bad signature");
  }

  @Override
  public String toString() {
    return "SignatureAuthenticator[" + signers.size() + " secret(s)]";
  }
}
