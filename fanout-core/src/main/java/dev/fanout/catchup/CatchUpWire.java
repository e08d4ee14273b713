package dev.fanout.catchup;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fanout.spi.CatchUpAnswer;
import dev.fanout.spi.CatchUpSignal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The catch-up signals on the wire, the one place both {@code HttpNotifier} and {@code
 * InvalidationReceiver} use (the Next.js receiver mirrors it):
 *
 * <ul>
 *   <li>Request: the signed JSON POST of any delivery, to the same path, with the body {@code
 *       {"id":"<id>","catchUp":"start"}} or {@code {"id":"<id>","catchUp":"done","nonce":"<n>"}};
 *       {@code webhook-id} is the id. A {@code done} carries the nonce of its {@code start}'s answer
 *       (none when that answer had none).
 *   <li>Answer: {@code 200 {"id":"<id>","result":"catch-up","freshSince":"<ISO-8601 instant>"}}:
 *       since when the replica's cache is fresh (a Java receiver: its process start by default; a
 *       Next.js replica: its build time). A receiver adds {@code "nonce":"<n>"}, fresh and random,
 *       to its answer to a {@code start}; a replayed {@code start} (a {@code webhook-id} it answered
 *       already) gets the same nonce again and takes no new place among the nonces kept. Nothing is
 *       invalidated; a receiver that holds its readiness until caught up becomes ready on a {@code
 *       done} carrying a nonce it issued in this process's life and has not seen a {@code done} for,
 *       so a signed {@code done} replayed from an earlier life of the replica releases nothing.
 *   <li>A receiver adds {@code "caughtUp":true} to its answer to a {@code done} that counted, and
 *       {@code "caughtUp":false} to one that did not (no nonce, or one it does not hold: it
 *       restarted since the {@code start}, or the nonce was pushed out). The sender treats the
 *       replica as not caught up and tries again from a fresh {@code start}; an answer without the
 *       field counts as caught up (a receiver that knows no nonces).
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

  /** The field of a {@code done}'s answer that says whether it counted. */
  public static final String CAUGHT_UP = "caughtUp";

  /** The answer's {@code result}. */
  public static final String RESULT = "catch-up";

  private static final byte[] MARKER = ("\"" + FIELD + "\"").getBytes(StandardCharsets.US_ASCII);
  /** The answer's and the done's field that binds a done to its start. */
  public static final String NONCE = "nonce";

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_:\\-]{1,128}");
  private static final Pattern NONCE_VALUE = Pattern.compile("[A-Za-z0-9_\\-]{16,128}");
  private static final SecureRandom NONCES = new SecureRandom();
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
   * @param nonce the nonce a {@code done} carries, or null
   */
  public record Signal(String id, CatchUpSignal signal, String nonce) {
    /**
     * A signal without a nonce.
     *
     * @param id the signal's id
     * @param signal which signal
     */
    public Signal(String id, CatchUpSignal signal) {
      this(id, signal, null);
    }
  }

  /**
   * Encodes a signal's body.
   *
   * @param id the id, {@code [A-Za-z0-9_:-]}, 1 to 128 characters
   * @param signal the signal
   * @return the JSON body
   * @throws IllegalArgumentException if the id is invalid
   */
  public static byte[] body(String id, CatchUpSignal signal) {
    return body(id, signal, null);
  }

  /**
   * Encodes a signal's body with the nonce of its start's answer.
   *
   * @param id the id, {@code [A-Za-z0-9_:-]}, 1 to 128 characters
   * @param signal the signal
   * @param nonce the nonce ({@code [A-Za-z0-9_-]}, 16 to 128 characters), or null for none
   * @return the JSON body
   * @throws IllegalArgumentException if the id or the nonce is invalid
   */
  public static byte[] body(String id, CatchUpSignal signal, String nonce) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("catch-up signal id must be 1 to 128 characters of [A-Za-z0-9_:-]");
    }
    if (nonce != null && !NONCE_VALUE.matcher(nonce).matches()) {
      throw new IllegalArgumentException("catch-up nonce must be 16 to 128 characters of [A-Za-z0-9_-]");
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("id", id);
    root.put(FIELD, signal.wireName());
    if (nonce != null) {
      root.put(NONCE, nonce);
    }
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Returns a fresh random nonce for a start's answer: 128 bits, URL-safe Base64 without padding.
   *
   * @return the nonce
   */
  public static String newNonce() {
    byte[] bytes = new byte[16];
    NONCES.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
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
    String nonce = null;
    if (root.has(NONCE)) {
      nonce = root.path(NONCE).asText("");
      if (!root.path(NONCE).isTextual() || !NONCE_VALUE.matcher(nonce).matches()) {
        throw new IllegalArgumentException("'" + NONCE + "' must be 16 to 128 characters of [A-Za-z0-9_-]");
      }
    }
    String name = root.path(FIELD).asText("");
    for (CatchUpSignal s : CatchUpSignal.values()) {
      if (root.path(FIELD).isTextual() && s.wireName().equals(name)) {
        return Optional.of(new Signal(id, s, nonce));
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
    return answer(id, freshSince, null);
  }

  /**
   * Encodes a receiver's answer to a signal, with the nonce a start's answer carries.
   *
   * @param id the signal's id
   * @param freshSince since when the receiver is fresh
   * @param nonce the nonce the matching done must carry, or null
   * @return the JSON answer
   */
  public static String answer(String id, Instant freshSince, String nonce) {
    ObjectNode root = answerNode(id, freshSince);
    if (nonce != null) {
      root.put(NONCE, nonce);
    }
    return root.toString();
  }

  private static ObjectNode answerNode(String id, Instant freshSince) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", id);
    root.put("result", RESULT);
    root.put(FRESH_SINCE, freshSince.toString());
    return root;
  }

  /**
   * Encodes a receiver's answer to a {@code done}: whether it counted.
   *
   * @param id the signal's id
   * @param freshSince since when the receiver is fresh
   * @param caughtUp whether the done carried a nonce the receiver held
   * @return the JSON answer
   */
  public static String doneAnswer(String id, Instant freshSince, boolean caughtUp) {
    ObjectNode root = answerNode(id, freshSince);
    root.put(CAUGHT_UP, caughtUp);
    return root.toString();
  }

  /**
   * Reads a receiver's answer: its {@code freshSince} and its {@code nonce}, each when present and
   * well formed, and whether it says {@code "caughtUp":false}.
   *
   * @param answer the answer body, or null
   * @return the answer ({@link CatchUpAnswer#NONE} when it says neither, or is not JSON)
   */
  public static CatchUpAnswer readAnswer(String answer) {
    return answer == null ? CatchUpAnswer.NONE : readAnswer(answer.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads a receiver's answer from its raw body, as {@link #readAnswer(String)} does.
   *
   * @param answer the whole answer body as received, or null
   * @return the answer ({@link CatchUpAnswer#NONE} when it says neither, or is not JSON)
   */
  public static CatchUpAnswer readAnswer(byte[] answer) {
    if (answer == null || answer.length == 0) {
      return CatchUpAnswer.NONE;
    }
    JsonNode root;
    try {
      root = JSON.readTree(answer);
    } catch (IOException e) {
      return CatchUpAnswer.NONE;
    }
    if (root == null) {
      return CatchUpAnswer.NONE;
    }
    JsonNode n = root.path(NONCE);
    String nonce = n.isTextual() && NONCE_VALUE.matcher(n.asText()).matches() ? n.asText() : null;
    boolean notCounted = root.path(CAUGHT_UP).isBoolean() && !root.path(CAUGHT_UP).booleanValue();
    return new CatchUpAnswer(freshSince(root).orElse(null), nonce, notCounted);
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
      return freshSince(JSON.readTree(answer));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<Instant> freshSince(JsonNode root) {
    JsonNode node = root == null ? null : root.path(FRESH_SINCE);
    try {
      return node != null && node.isTextual() ? Optional.of(Instant.parse(node.asText())) : Optional.empty();
    } catch (DateTimeParseException e) {
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
