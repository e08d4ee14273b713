package dev.fanout.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;

/**
 * The payloads of fanout's WordPress plugin ({@code examples/wordpress}), signed the Standard
 * Webhooks way:
 *
 * <pre>
 * {"kind":"post","event":"save|transition|delete","post":{"id":42,"type":"post","status":"publish",
 *  "old_status":"draft","slug":"hello","path":"/2026/12/hello/","modified_gmt":"2026-12-04T11:00:00Z"}}
 * {"kind":"term","event":"create|edit|delete","term":{"id":7,"taxonomy":"category","slug":"news",
 *  "path":"/category/news/"}}
 * </pre>
 *
 * The post type (or taxonomy) selects the mapping. {@code save} and {@code transition} are one kind
 * of change (WordPress fires both for one save), {@code delete} another.
 */
final class WordPressSource implements WebhookSource {
  /**
   * One kind of WordPress object: the field that holds it, its events, the field that selects its
   * mapping and the mappings under {@code fanout.gateway.wordpress.<property>}, and the field of
   * its modification time (null: each announcement is its own invalidation).
   */
  private record Kind(String field, Set<String> events, String typeField, String typeName,
      String property, Map<String, Mapping> mappings, String modifiedField) {}

  private final Kind posts;
  private final Kind terms;

  WordPressSource(Map<String, Mapping> postTypes, Map<String, Mapping> taxonomies) {
    this.posts = new Kind("post", Set.of("save", "transition", "delete"), "type", "post type",
        "post-types", Map.copyOf(postTypes), "modified_gmt");
    // Terms carry no modification time.
    this.terms = new Kind("term", Set.of("create", "edit", "delete"), "taxonomy", "taxonomy",
        "taxonomies", Map.copyOf(taxonomies), null);
  }

  @Override
  public Change read(JsonNode body) {
    String kind = WebhookSource.required(body, "kind", "");
    String event = WebhookSource.required(body, "event", "");
    Kind k = switch (kind) {
      case "post" -> posts;
      case "term" -> terms;
      default -> throw WebhookRejected.unprocessable("unknown kind '" + kind + "' (post or term)");
    };
    if (!k.events().contains(event)) {
      throw WebhookRejected.unprocessable("unknown " + k.field() + " event '" + event + "'");
    }
    JsonNode item = WebhookSource.object(body, k.field());
    String type = WebhookSource.required(item, k.typeField(), k.field() + ".");
    String id = WebhookSource.required(item, "id", k.field() + ".");
    Mapping m = k.mappings().get(type);
    if (m == null) {
      throw WebhookRejected.unprocessable("unknown " + k.typeName() + " '" + type
          + "': add it under fanout.gateway.wordpress." + k.property());
    }
    Mapping.Resolved r = m.apply(body);
    String modified = k.modifiedField() == null ? null : WebhookSource.optional(item, k.modifiedField());
    return new Change("wordpress", type, id, modified, event.equals("delete") ? "delete" : "change",
        r.paths(), r.tags());
  }
}
