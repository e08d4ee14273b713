package dev.fanout.cloudflare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fanout.internal.PurgeRequests;
import java.util.List;

/**
 * One purge request to make (and retry) for an invalidation: {@code POST
 * /zones/{zone_id}/purge_cache} with one kind of item.
 *
 * @param kind what the items are
 * @param items the values sent, in order
 * @param covers the paths and tags of the invalidation that stay stale if this request fails
 * @param label a short, secret-free description for logs and reports
 */
record PurgeOp(Kind kind, List<String> items, List<String> covers, String label)
    implements PurgeRequests.Request {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The purge types of the API, each its own body field; one request carries one of them. */
  enum Kind {
    /** {@code {"tags":[...]}}: objects whose {@code Cache-Tag} header holds one of the tags. */
    TAGS("tags"),
    /** {@code {"hosts":[...]}}: every object of the host names. */
    HOSTS("hosts"),
    /** {@code {"prefixes":[...]}}: objects whose URL, without scheme, starts with a prefix. */
    PREFIXES("prefixes"),
    /** {@code {"files":[...]}}: single-file purges of full URLs. */
    FILES("files");

    final String field;

    Kind(String field) {
      this.field = field;
    }
  }

  PurgeOp {
    items = List.copyOf(items);
    covers = List.copyOf(covers);
  }

  /** How many single-file purge URLs this request spends. */
  int urlCount() {
    return kind == Kind.FILES ? items.size() : 0;
  }

  /** The JSON request body, e.g. {@code {"tags":["post:42"]}}. */
  byte[] body() {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode array = root.putArray(kind.field);
    items.forEach(array::add);
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + label, e);
    }
  }
}
