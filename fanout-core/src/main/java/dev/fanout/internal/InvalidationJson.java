package dev.fanout.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fanout.Invalidation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The wire form of an invalidation: {@code {"id":..,"paths":[..],"tags":[..],"entity":..,
 * "version":..,"hop":..}}, the body {@code HttpNotifier} sends and {@code InvalidationReceiver}
 * reads. Not part of the public API.
 *
 * <p>Decoding is strict and bounded, because a receiver parses what arrives over the network: the
 * parser limits nesting depth, string, number and name lengths, the document length and the token
 * count, and rejects duplicate keys; every field's type is checked; unknown fields are ignored.
 */
public final class InvalidationJson {
  /** Highest relay hop count accepted on the wire. */
  public static final int MAX_HOP = 16;

  private static final ObjectMapper WRITER = new ObjectMapper();

  private static final ObjectMapper READER = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          // The schema is two levels deep; anything deeper is hostile.
          .maxNestingDepth(8)
          // A path is at most Invalidation.MAX_PATH_LENGTH characters.
          .maxStringLength(Invalidation.MAX_PATH_LENGTH + 1)
          .maxNumberLength(24)
          .maxNameLength(256)
          .maxDocumentLength(16L << 20)
          .maxTokenCount(1_000_000L)
          .build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

  private InvalidationJson() {}

  /**
   * A decoded body: the invalidation and its relay hop count.
   *
   * @param invalidation the invalidation
   * @param hop the relay hop count, 0 when the sender is not a relay
   */
  public record Wire(Invalidation invalidation, int hop) {
    /**
     * Checks the components.
     *
     * @param invalidation the invalidation
     * @param hop the relay hop count
     */
    public Wire {
      Objects.requireNonNull(invalidation, "invalidation");
    }
  }

  /**
   * Encodes an invalidation as compact UTF-8 JSON, without a hop count.
   *
   * @param invalidation the invalidation
   * @return the JSON bytes
   */
  public static byte[] encode(Invalidation invalidation) {
    return encode(invalidation, 0);
  }

  /**
   * Encodes an invalidation, with a relay hop count when {@code hop > 0}.
   *
   * @param invalidation the invalidation
   * @param hop the relay hop count, 0 for a direct delivery
   * @return the JSON bytes
   */
  public static byte[] encode(Invalidation invalidation, int hop) {
    ObjectNode root = WRITER.createObjectNode();
    root.put("id", invalidation.id());
    ArrayNode paths = root.putArray("paths");
    invalidation.paths().forEach(paths::add);
    ArrayNode tags = root.putArray("tags");
    invalidation.tags().forEach(tags::add);
    if (invalidation.entity() != null) {
      root.put("entity", invalidation.entity());
    }
    if (invalidation.version() != null) {
      root.put("version", invalidation.version());
    }
    if (hop > 0) {
      root.put("hop", hop);
    }
    try {
      return WRITER.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode invalidation " + invalidation.id(), e);
    }
  }

  /**
   * Decodes the wire form with its hop count, refusing more than the given numbers of paths and
   * tags before building anything from them. Exception messages are short and never quote more
   * than a few characters of the input.
   *
   * @param json the JSON bytes
   * @param maxPaths the most paths accepted
   * @param maxTags the most tags accepted
   * @return the invalidation and hop count
   * @throws IllegalArgumentException if the JSON is malformed, has wrong types, too many entries, a
   *     hop count out of range, or the invalidation is invalid
   */
  public static Wire decodeWire(byte[] json, int maxPaths, int maxTags) {
    Objects.requireNonNull(json, "json");
    JsonNode root;
    try (JsonParser parser = READER.createParser(json)) {
      root = READER.readTree(parser);
      if (parser.nextToken() != null) {
        throw new IllegalArgumentException("malformed JSON: trailing content");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("malformed JSON");
    } catch (RuntimeException e) {
      // Jackson reports constraint violations as IllegalState/IllegalArgument in a few places.
      throw new IllegalArgumentException("malformed JSON");
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("body must be a JSON object");
    }
    JsonNode id = root.get("id");
    if (id == null || !id.isTextual()) {
      throw new IllegalArgumentException("'id' must be a string");
    }
    List<String> paths = strings(root, "paths", maxPaths);
    List<String> tags = strings(root, "tags", maxTags);
    try {
      return new Wire(build(root, id.asText(), paths, tags), hop(root));
    } catch (IllegalArgumentException e) {
      // The invalidation's own messages quote the offending value; an answer should not echo it.
      String m = String.valueOf(e.getMessage());
      int quote = m.indexOf(": '");
      throw new IllegalArgumentException(quote < 0 ? m : m.substring(0, quote));
    }
  }

  private static Invalidation build(JsonNode root, String id, List<String> paths, List<String> tags) {
    Invalidation.Builder b = Invalidation.builder().id(id).paths(paths).tags(tags);
    JsonNode entity = root.get("entity");
    JsonNode version = root.get("version");
    if (entity != null && !entity.isNull()) {
      if (!entity.isTextual()) {
        throw new IllegalArgumentException("'entity' must be a string");
      }
      if (version != null && !version.isNull()) {
        if (!version.isIntegralNumber() || !version.canConvertToLong()) {
          throw new IllegalArgumentException("'version' must be an integer");
        }
        b.entity(entity.asText(), version.asLong());
      } else {
        b.entity(entity.asText());
      }
    } else if (version != null && !version.isNull()) {
      throw new IllegalArgumentException("'version' needs 'entity'");
    }
    return b.build();
  }

  private static int hop(JsonNode root) {
    JsonNode h = root.get("hop");
    if (h == null || h.isNull()) {
      return 0;
    }
    if (!h.isIntegralNumber() || !h.canConvertToInt() || h.asInt() < 0 || h.asInt() > MAX_HOP) {
      throw new IllegalArgumentException("'hop' must be an integer from 0 to " + MAX_HOP);
    }
    return h.asInt();
  }

  private static List<String> strings(JsonNode root, String field, int max) {
    JsonNode node = root.get(field);
    List<String> out = new ArrayList<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isArray()) {
      throw new IllegalArgumentException("'" + field + "' must be an array of strings");
    }
    if (node.size() > max) {
      throw new IllegalArgumentException("too many " + field + ": " + node.size() + " > " + max);
    }
    for (JsonNode n : node) {
      if (!n.isTextual()) {
        throw new IllegalArgumentException("'" + field + "' must be an array of strings");
      }
      out.add(n.asText());
    }
    return out;
  }
}
