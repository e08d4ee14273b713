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
import dev.fanout.WireContract;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The wire form of an invalidation: {@code {"id":..,"paths":[..],"tags":[..],"entity":..,
 * "version":..,"hop":..,"chunk":{"index":..,"count":..}}}, the body {@code HttpNotifier} sends and
 * {@code InvalidationReceiver} reads, and its split into chunks within {@link WireContract}'s
 * limits. Not part of the public API.
 *
 * <p>Decoding is strict and bounded, because a receiver parses what arrives over the network: the
 * parser limits nesting depth, string, number and name lengths, the document length and the token
 * count, and rejects duplicate keys; every field's type is checked; unknown fields are ignored.
 */
public final class InvalidationJson {
  /** Highest relay hop count accepted on the wire ({@link WireContract#MAX_HOP}). */
  public static final int MAX_HOP = WireContract.MAX_HOP;

  /**
   * Longest string value the parser accepts: far above the grammar's limits, so that a long path
   * or tag is refused with a message that says so, and still bounded.
   */
  private static final int MAX_STRING_LENGTH = 16 * 1024;

  private static final ObjectMapper WRITER = new ObjectMapper();

  private static final ObjectMapper READER = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          // The schema is two levels deep; anything deeper is hostile.
          .maxNestingDepth(8)
          .maxStringLength(MAX_STRING_LENGTH)
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
   * A decoded body: the invalidation, its relay hop count, and which chunk it is.
   *
   * @param invalidation the invalidation; for a chunk, its id is the chunk's id ({@link
   *     WireContract#chunkId(String, int, int)}), so that a relay passes each chunk on under an id
   *     of its own
   * @param hop the relay hop count, 0 when the sender is not a relay
   * @param chunk which chunk of a larger invalidation the body is, or null for a whole one
   */
  public record Wire(Invalidation invalidation, int hop, Chunk chunk) {
    /**
     * Checks the components.
     *
     * @param invalidation the invalidation
     * @param hop the relay hop count
     * @param chunk the chunk, or null
     */
    public Wire {
      Objects.requireNonNull(invalidation, "invalidation");
    }
  }

  /**
   * Which part of an invalidation sent as several requests a body carries.
   *
   * @param index 0-based, below {@code count}
   * @param count the number of chunks
   */
  public record Chunk(int index, int count) {
    /**
     * Checks the components.
     *
     * @param index 0-based, below {@code count}
     * @param count the number of chunks, at least 1
     * @throws IllegalArgumentException if out of range
     */
    public Chunk {
      if (count < 1 || index < 0 || index >= count) {
        throw new IllegalArgumentException("'chunk' must have 0 <= index < count");
      }
    }

    /**
     * Returns a description for logs, e.g. {@code chunk 2/11} (1-based).
     *
     * @return the description
     */
    @Override
    public String toString() {
      return "chunk " + (index + 1) + "/" + count;
    }
  }

  /**
   * One request's worth of an invalidation: the part it carries and its encoded body.
   *
   * @param invalidation the part: a copy of the invalidation (same id, entity and version) with
   *     the paths and tags of this chunk
   * @param chunk which chunk, or null when the invalidation travels whole
   * @param body the JSON body
   */
  public record Encoded(Invalidation invalidation, Chunk chunk, byte[] body) {
    /**
     * Checks the components.
     *
     * @param invalidation the part
     * @param chunk the chunk, or null
     * @param body the body
     */
    public Encoded {
      Objects.requireNonNull(invalidation, "invalidation");
      Objects.requireNonNull(body, "body");
    }

    /**
     * Returns the {@code webhook-id} this request is signed with: the invalidation's id, or the
     * chunk's id.
     *
     * @return the id
     */
    public String webhookId() {
      return chunk == null ? invalidation.id()
          : WireContract.chunkId(invalidation.id(), chunk.index(), chunk.count());
    }
  }

  /** A path refused by the grammar; its message is the grammar's reason, without the path. */
  public static final class BadPath extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    BadPath(String reason) {
      super(reason);
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
    return encode(invalidation, hop, null);
  }

  /**
   * Encodes an invalidation, or one chunk of it.
   *
   * @param invalidation the invalidation (or the part a chunk carries)
   * @param hop the relay hop count, 0 for a direct delivery
   * @param chunk which chunk, or null for a whole invalidation
   * @return the JSON bytes
   */
  public static byte[] encode(Invalidation invalidation, int hop, Chunk chunk) {
    return write(skeleton(invalidation, hop, chunk, invalidation.paths(), invalidation.tags()),
        invalidation);
  }

  /**
   * Splits an invalidation into requests that each carry at most {@code maxPaths} paths, {@code
   * maxTags} tags and {@code maxBytes} bytes of body, paths first, then tags, each in order. An
   * invalidation within the limits is one request without a chunk field. The split depends only on
   * the arguments, so the same invalidation always yields the same chunks.
   *
   * @param invalidation the invalidation
   * @param hop the relay hop count
   * @param maxPaths the most paths per request, at least 1
   * @param maxTags the most tags per request, at least 1
   * @param maxBytes the largest body, at least 16 KiB (any single path or tag of the grammar fits)
   * @return the requests' parts, at least one
   */
  public static List<Encoded> split(Invalidation invalidation, int hop, int maxPaths, int maxTags,
      int maxBytes) {
    List<String> paths = invalidation.paths();
    List<String> tags = invalidation.tags();
    if (paths.size() <= maxPaths && tags.size() <= maxTags) {
      byte[] whole = encode(invalidation, hop);
      if (whole.length <= maxBytes) {
        return List.of(new Encoded(invalidation, null, whole));
      }
    }
    // Upper bounds: the skeleton with the widest chunk numbers, and each entry's escaped size
    // plus a comma. Every chunk is encoded for real and checked below.
    int base = write(skeleton(invalidation, hop, new Chunk(Integer.MAX_VALUE - 1, Integer.MAX_VALUE),
        List.of(), List.of()), invalidation).length;
    List<int[]> bounds = new ArrayList<>();
    int total = paths.size() + tags.size();
    int start = 0;
    while (start < total) {
      int end = start;
      int bytes = base;
      int p = 0;
      int t = 0;
      while (end < total) {
        boolean isPath = end < paths.size();
        int size = jsonBytes(isPath ? paths.get(end) : tags.get(end - paths.size())) + 1;
        if ((isPath ? p + 1 > maxPaths : t + 1 > maxTags) || (end > start && bytes + size > maxBytes)) {
          break;
        }
        bytes += size;
        if (isPath) {
          p++;
        } else {
          t++;
        }
        end++;
      }
      bounds.add(new int[] {start, end});
      start = end;
    }
    List<Encoded> out = new ArrayList<>(bounds.size());
    for (int i = 0; i < bounds.size(); i++) {
      int from = bounds.get(i)[0];
      int to = bounds.get(i)[1];
      List<String> ps = paths.subList(Math.min(from, paths.size()), Math.min(to, paths.size()));
      List<String> ts = tags.subList(Math.max(from, paths.size()) - paths.size(),
          Math.max(to, paths.size()) - paths.size());
      Invalidation part = new Invalidation(invalidation.id(), ps, ts, invalidation.entity(),
          invalidation.version());
      Chunk chunk = new Chunk(i, bounds.size());
      byte[] body = encode(part, hop, chunk);
      if (body.length > maxBytes) {
        throw new IllegalStateException("chunk " + i + " of " + invalidation.id() + " is "
            + body.length + " bytes, more than " + maxBytes);
      }
      out.add(new Encoded(part, chunk, body));
    }
    return List.copyOf(out);
  }

  /** An upper bound of a string's size in the JSON this class writes, quotes included. */
  static int jsonBytes(String s) {
    int n = 2;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        n += 2;
      } else if (c < 0x20) {
        n += 6;
      } else if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isSurrogate(c)) {
        // Jackson writes a character outside the BMP as two \\u escapes, six bytes per char.
        n += 6;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static ObjectNode skeleton(Invalidation invalidation, int hop, Chunk chunk,
      List<String> pathList, List<String> tagList) {
    ObjectNode root = WRITER.createObjectNode();
    root.put("id", invalidation.id());
    ArrayNode paths = root.putArray("paths");
    pathList.forEach(paths::add);
    ArrayNode tags = root.putArray("tags");
    tagList.forEach(tags::add);
    if (invalidation.entity() != null) {
      root.put("entity", invalidation.entity());
    }
    if (invalidation.version() != null) {
      root.put("version", invalidation.version());
    }
    if (hop > 0) {
      root.put("hop", hop);
    }
    if (chunk != null) {
      ObjectNode c = root.putObject("chunk");
      c.put("index", chunk.index());
      c.put("count", chunk.count());
    }
    return root;
  }

  private static byte[] write(ObjectNode root, Invalidation invalidation) {
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
   * @return the invalidation, hop count and chunk
   * @throws BadPath if a path does not follow the grammar ({@link WireContract#pathProblem})
   * @throws IllegalArgumentException if the JSON is malformed, has wrong types, too many entries, a
   *     hop count or chunk out of range, or the invalidation is invalid
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
    for (String path : paths) {
      String problem = WireContract.pathProblem(path);
      if (problem != null) {
        throw new BadPath(problem);
      }
    }
    Chunk chunk = chunk(root);
    String invalidationId = chunk == null ? id.asText()
        : WireContract.chunkId(id.asText(), chunk.index(), chunk.count());
    try {
      return new Wire(build(root, invalidationId, paths, tags), hop(root), chunk);
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

  private static Chunk chunk(JsonNode root) {
    JsonNode c = root.get("chunk");
    if (c == null || c.isNull()) {
      return null;
    }
    JsonNode index = c.get("index");
    JsonNode count = c.get("count");
    if (!c.isObject() || index == null || count == null || !index.isIntegralNumber()
        || !count.isIntegralNumber() || !index.canConvertToInt() || !count.canConvertToInt()) {
      throw new IllegalArgumentException("'chunk' must be {\"index\":i,\"count\":n}");
    }
    return new Chunk(index.asInt(), count.asInt());
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
