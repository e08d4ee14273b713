package dev.fanout.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.DeliveryException;
import dev.fanout.ErrorKind;
import dev.fanout.internal.RetryAfter;
import dev.fanout.spi.Ack;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Decides what an answer means: a 2xx acknowledges (and, with {@code ackWhen}, its JSON body must
 * say so); anything else is a {@link DeliveryException} with the status, a short printable excerpt
 * of the body, and any {@code Retry-After}.
 */
final class AckReader {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Predicate<JsonNode> ackWhen;
  private final Clock clock;

  /**
   * @param ackWhen what a 2xx body must satisfy, or null to accept any 2xx
   * @param clock for {@code Retry-After} given as a date
   */
  AckReader(Predicate<JsonNode> ackWhen, Clock clock) {
    this.ackWhen = ackWhen;
    this.clock = clock;
  }

  /**
   * Reads one answer.
   *
   * @return the acknowledgement
   * @throws DeliveryException if the answer does not acknowledge
   */
  Ack read(HttpTransport.Response response) {
    int status = response.status();
    byte[] body = response.body();
    if (status >= 200 && status < 300) {
      if (ackWhen != null) {
        JsonNode json;
        try {
          json = MAPPER.readTree(body);
        } catch (IOException e) {
          throw new DeliveryException(ErrorKind.BAD_ACK, status, null, "answer is not JSON", null);
        }
        if (json == null || !ackWhen.test(json)) {
          throw new DeliveryException(ErrorKind.BAD_ACK, status, null,
              "answer did not acknowledge: " + excerpt(body, 120), null);
        }
      }
      String detail = excerpt(body, 240);
      return new Ack(status, detail.isEmpty() ? null : detail);
    }
    Duration retryAfter = RetryAfter.parse(response.retryAfter(), clock).orElse(null);
    throw DeliveryException.ofStatus(status, retryAfter, reason(status, body));
  }

  private static String reason(int status, byte[] body) {
    String text = excerpt(body, 120);
    String base = status == 401 ? "unauthorized" : status == 403 ? "forbidden"
        : status == 404 ? "not found" : status == 429 ? "too many requests"
        : status >= 300 && status < 400 ? "redirect not followed" : "HTTP " + status;
    return text.isEmpty() ? base : base + ": " + text;
  }

  /** The first {@code max} bytes as printable text: a report line, never a raw body. */
  private static String excerpt(byte[] body, int max) {
    if (body == null || body.length == 0) {
      return "";
    }
    int n = Math.min(body.length, max);
    if (printable(body, n)) {
      // The usual short JSON answer: the text as it is, without decoding or rebuilding it.
      return new String(body, 0, n, StandardCharsets.ISO_8859_1);
    }
    String s = new String(body, 0, Math.min(body.length, max), StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    return sb.toString().trim();
  }

  /** Whether the first n bytes are printable ASCII with no space at either end (nothing to replace or trim). */
  private static boolean printable(byte[] body, int n) {
    if (body[0] == ' ' || body[n - 1] == ' ') {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (body[i] < 0x20 || body[i] > 0x7e) {
        return false;
      }
    }
    return true;
  }
}
