package dev.fanout.catchup;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fanout.spi.CatchUpSignal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The catch-up signals on the wire, the one place both {@code HttpNotifier} and {@code
 * InvalidationReceiver} use (the Next.js receiver mirrors it):
 *
 * <ul>
 *   <li>Request: the signed JSON POST of any delivery, to the same path, with the body {@code
 *       {"id":"<id>","catchUp":"start"}} or {@code "done"}; {@code webhook-id} is the id.
 *   <li>Answer: {@code 200 {"id":"<id>","result":"catch-up","freshSince":"<ISO-8601 instant>"}}:
 *       since when the replica's cache is fresh (a Java receiver: its process start by default; a
 *       Next.js replica: its build time). Nothing is invalidated; on {@code done} a receiver that
 *       holds its readiness until caught up becomes ready.
 *   <li>A receiver that does not know the signals refuses them with 400 (no paths and no tags):
 *       the sender then sends the whole window and does not wait for readiness.
 * </ul>
 *
 * @since 0.2
 */
public final class CatchUpWire {
  /** The body field that marks a catch-up signal. */
  public static final String FIELD = "catchUp";

  /** The answer field that says since when the replica is fresh. */
  public static final String FRESH_SINCE = "freshSince";

  /** The answer's {@code result}. */
  public static final String RESULT = "catch-up";

  private static final byte[] MARKER = ("\"" + FIELD + "\"").getBytes(StandardCharsets.US_ASCII);
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_:\\-]{1,128}");
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build());

  private CatchUpWire() {}

  /**
   * A decoded signal.
   *
   * @param id the signal's id
   * @param signal which signal
   */
  public record Signal(String id, CatchUpSignal signal) {}

  /**
   * Encodes a signal's body.
   *
   * @param id the id, {@code [A-Za-z0-9_:-]}, 1 to 128 characters
   * @param signal the signal
   * @return the JSON body
   * @throws IllegalArgumentException if the id is invalid
   */
  public static byte[] body(String id, CatchUpSignal signal) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("catch-up signal id must be 1 to 128 characters of [A-Za-z0-9_:-]");
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("id", id);
    root.put(FIELD, signal.wireName());
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Decodes a verified body if it is a signal.
   *
   * @param body the raw body (already verified and within the receiver's size limit)
   * @return the signal, or empty when the body is not one (an invalidation)
   * @throws IllegalArgumentException if it is a malformed signal (answer 400)
   */
  public static Optional<Signal> parse(byte[] body) {
    if (!contains(body, MARKER)) {
      return Optional.empty();
    }
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      return Optional.empty();   // not JSON: the invalidation decoder says what is wrong
    }
    if (root == null || !root.isObject() || !root.has(FIELD)) {
      return Optional.empty();
    }
    String id = root.path("id").asText("");
    if (!root.path("id").isTextual() || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("'id' must be 1 to 128 characters of [A-Za-z0-9_:-]");
    }
    String name = root.path(FIELD).asText("");
    for (CatchUpSignal s : CatchUpSignal.values()) {
      if (root.path(FIELD).isTextual() && s.wireName().equals(name)) {
        return Optional.of(new Signal(id, s));
      }
    }
    throw new IllegalArgumentException("'" + FIELD + "' must be \"start\" or \"done\"");
  }

  /**
   * Encodes a receiver's answer to a signal.
   *
   * @param id the signal's id
   * @param freshSince since when the receiver is fresh
   * @return the JSON answer
   */
  public static String answer(String id, Instant freshSince) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", id);
    root.put("result", RESULT);
    root.put(FRESH_SINCE, freshSince.toString());
    return root.toString();
  }

  /**
   * Reads {@code freshSince} from a receiver's answer.
   *
   * @param answer the answer body, or null
   * @return the moment, or empty when the answer does not say one (or is not JSON)
   */
  public static Optional<Instant> freshSince(String answer) {
    if (answer == null || answer.isEmpty()) {
      return Optional.empty();
    }
    try {
      JsonNode node = JSON.readTree(answer).path(FRESH_SINCE);
      return node.isTextual() ? Optional.of(Instant.parse(node.asText())) : Optional.empty();
    } catch (IOException | DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static boolean contains(byte[] body, byte[] marker) {
    outer:
    for (int i = 0; i + marker.length <= body.length; i++) {
      for (int j = 0; j < marker.length; j++) {
        if (body[i + j] != marker[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
