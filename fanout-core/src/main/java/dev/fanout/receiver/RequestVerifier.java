package dev.fanout.receiver;

import dev.fanout.WireContract;
import dev.fanout.http.WebhookSigner;
import dev.fanout.internal.InvalidationJson;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Decides whether a request is a signed invalidation this receiver accepts: the Standard Webhooks
 * headers, the timestamp within the tolerance, a {@code v1} signature over the raw bytes for one of
 * the secrets, and only then the body, against {@link WireContract}'s grammar, the caps and the
 * allowed path prefixes. Stateless and thread-safe.
 */
final class RequestVerifier {
  private static final Pattern WEBHOOK_ID =
      Pattern.compile("[\\x21-\\x2d\\x2f-\\x7e]{1," + WireContract.MAX_WEBHOOK_ID_LENGTH + "}");
  private static final Pattern TIMESTAMP = Pattern.compile("[0-9]{1,15}");

  /** What the verifier checks against; the secrets are held as signers only. */
  record Settings(List<WebhookSigner> signers, Clock clock, Duration tolerance, int maxPaths,
      int maxTags, List<String> allowedPrefixes) {
    Settings {
      signers = List.copyOf(signers);
      allowedPrefixes = List.copyOf(allowedPrefixes);
    }
  }

  private final Settings settings;
  private final RequestReader reader;

  RequestVerifier(Settings settings, RequestReader reader) {
    this.settings = settings;
    this.reader = reader;
  }

  Settings settings() {
    return settings;
  }

  /**
   * Checks a request whose body was read whole.
   *
   * @return the verified request
   * @throws Rejection with the status and reason to answer
   */
  VerifiedRequest verify(String method, Map<String, List<String>> headers, byte[] body)
      throws Rejection {
    reader.checkRead(method, body);
    String id = single(headers, "webhook-id", 400);
    if (!WEBHOOK_ID.matcher(id).matches()) {
      throw new Rejection(400, "bad webhook-id header");
    }
    String ts = single(headers, "webhook-timestamp", 400);
    if (!TIMESTAMP.matcher(ts).matches()) {
      throw new Rejection(400, "bad webhook-timestamp header");
    }
    String signature = single(headers, "webhook-signature", 401);
    long timestamp = Long.parseLong(ts);
    long now = settings.clock().instant().getEpochSecond();
    if (Math.abs(now - timestamp) > settings.tolerance().getSeconds()) {
      throw new Rejection(401, "timestamp outside tolerance");
    }
    boolean valid = false;
    // Every secret is tried, so the time taken does not say which one matched.
    for (WebhookSigner signer : settings.signers()) {
      valid |= signer.verify(id, timestamp, body, signature);
    }
    if (!valid) {
      throw new Rejection(401, "bad signature");
    }
    java.util.Optional<dev.fanout.catchup.CatchUpWire.Signal> signal;
    try {
      signal = dev.fanout.catchup.CatchUpWire.parse(body);
    } catch (IllegalArgumentException e) {
      throw new Rejection(400, "bad body: " + shorten(e.getMessage()));
    }
    if (signal.isPresent()) {
      return new VerifiedRequest(id, null, 0, signal.get());
    }
    InvalidationJson.Wire wire;
    try {
      wire = InvalidationJson.decodeWire(body, settings.maxPaths(), settings.maxTags());
    } catch (InvalidationJson.BadPath e) {
      throw new Rejection(400, e.getMessage());
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new Rejection(400, "bad body: " + shorten(e.getMessage()));
    }
    List<String> prefixes = settings.allowedPrefixes();
    for (String path : wire.invalidation().paths()) {
      if (!prefixes.isEmpty() && prefixes.stream().noneMatch(path::startsWith)) {
        throw new Rejection(400, "path not allowed");
      }
    }
    return new VerifiedRequest(id, wire.invalidation(), wire.hop());
  }

  /**
   * Returns the single value of a header, matched case-insensitively.
   *
   * @param headers the headers (any case; null keys and values are ignored)
   * @param name the lower-case header name
   * @param missingStatus the status for an absent or empty header
   * @throws Rejection if the header is absent, empty or given more than once
   */
  static String single(Map<String, List<String>> headers, String name, int missingStatus)
      throws Rejection {
    String found = null;
    int count = 0;
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      String key = e.getKey();
      if (key == null || key.length() != name.length() || !key.toLowerCase(Locale.ROOT).equals(name)) {
        continue;
      }
      List<String> values = e.getValue();
      if (values == null) {
        continue;
      }
      for (String v : values) {
        if (v != null) {
          count++;
          found = v;
        }
      }
    }
    if (count > 1) {
      throw new Rejection(400, "duplicate " + name + " header");
    }
    if (found == null || found.isEmpty()) {
      throw new Rejection(missingStatus, "missing " + name + " header");
    }
    return found;
  }

  /** Keeps a reason short and printable; the input was signed, but answers stay small anyway. */
  static String shorten(String message) {
    if (message == null) {
      return "invalid";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < message.length() && sb.length() < 120; i++) {
      char c = message.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    if (message.length() > 120) {
      sb.append("...");
    }
    return sb.toString();
  }
}
