package dev.fanout.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fanout.Invalidation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The wire form of an invalidation: {@code {"id":..,"paths":[..],"tags":[..],"entity":..,
 * "version":..}}, the body {@code HttpNotifier} sends and {@code InvalidationReceiver} reads. Not
 * part of the public API.
 */
public final class InvalidationJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private InvalidationJson() {}

  /**
   * Encodes an invalidation as compact UTF-8 JSON.
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
    ObjectNode root = MAPPER.createObjectNode();
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
      return MAPPER.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode invalidation " + invalidation.id(), e);
    }
  }

  /**
   * Decodes the wire form. Types are checked strictly; unknown fields are ignored.
   *
   * @param json the JSON bytes
   * @return the invalidation
   * @throws IllegalArgumentException if the JSON is malformed, has wrong types, or the invalidation
   *     is invalid
   */
  public static Invalidation decode(byte[] json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("malformed JSON");
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("body must be a JSON object");
    }
    JsonNode id = root.get("id");
    if (id == null || !id.isTextual()) {
      throw new IllegalArgumentException("'id' must be a string");
    }
    Invalidation.Builder b = Invalidation.builder().id(id.asText());
    b.paths(strings(root, "paths"));
    b.tags(strings(root, "tags"));
    JsonNode entity = root.get("entity");
    JsonNode version = root.get("version");
    if (entity != null && !entity.isNull()) {
      if (!entity.isTextual()) {
        throw new IllegalArgumentException("'entity' must be a string");
      }
      if (version != null && !version.isNull()) {
        if (!version.canConvertToLong() || !version.isIntegralNumber()) {
          throw new IllegalArgumentException("'version' must be an integer");
        }
        b.entity(entity.asText(), version.asLong());
      } else {
        b.entity(entity.asText());
      }
    }
    return b.build();
  }

  private static List<String> strings(JsonNode root, String field) {
    JsonNode node = root.get(field);
    List<String> out = new ArrayList<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isArray()) {
      throw new IllegalArgumentException("'" + field + "' must be an array of strings");
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
