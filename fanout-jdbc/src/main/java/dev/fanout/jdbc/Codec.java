package dev.fanout.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.spi.Progress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The column encodings: the invalidation and the progress as JSON text, the state as one letter. */
final class Codec {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Codec() {}

  static String payload(Invalidation inv) {
    return new String(InvalidationJson.encode(inv), StandardCharsets.UTF_8);
  }

  static Invalidation invalidation(String payload) {
    return InvalidationJson.decodeWire(
        payload.getBytes(StandardCharsets.UTF_8), Integer.MAX_VALUE, Integer.MAX_VALUE).invalidation();
  }

  static String progress(Progress p) {
    if (p.isEmpty()) {
      return null;
    }
    ObjectNode root = JSON.createObjectNode();
    ObjectNode acked = root.putObject("acked");
    p.acked().forEach((stage, authorities) -> {
      ArrayNode a = acked.putArray(stage);
      authorities.stream().sorted().forEach(a::add);
    });
    ArrayNode done = root.putArray("done");
    p.stagesDone().stream().sorted().forEach(done::add);
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode progress", e);
    }
  }

  static Progress progress(String json) {
    if (json == null || json.isEmpty()) {
      return Progress.NONE;
    }
    try {
      JsonNode root = JSON.readTree(json);
      Map<String, Set<String>> acked = new LinkedHashMap<>();
      root.path("acked").fields().forEachRemaining(e -> {
        Set<String> s = new LinkedHashSet<>();
        e.getValue().forEach(n -> s.add(n.asText()));
        acked.put(e.getKey(), s);
      });
      Set<String> done = new LinkedHashSet<>();
      root.path("done").forEach(n -> done.add(n.asText()));
      return new Progress(acked, done);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored progress is not valid JSON", e);
    }
  }

  static String state(State s) {
    switch (s) {
      case PENDING:
        return "P";
      case DELIVERED:
        return "D";
      case FAILED:
        return "F";
      case SUPERSEDED:
        return "S";
      default:
        throw new IllegalArgumentException("not a stored state: " + s);
    }
  }

  static State state(String code) {
    switch (code.trim()) {
      case "P":
        return State.PENDING;
      case "D":
        return State.DELIVERED;
      case "F":
        return State.FAILED;
      case "S":
        return State.SUPERSEDED;
      default:
        throw new IllegalStateException("unknown stored state '" + code + "'");
    }
  }
}
