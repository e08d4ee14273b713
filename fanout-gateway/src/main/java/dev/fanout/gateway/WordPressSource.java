package dev.fanout.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Objects;

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
  private final Authenticator authenticator;
  private final Map<String, Mapping> postTypes;
  private final Map<String, Mapping> taxonomies;

  WordPressSource(Authenticator authenticator, Map<String, Mapping> postTypes,
      Map<String, Mapping> taxonomies) {
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    this.postTypes = Map.copyOf(postTypes);
    this.taxonomies = Map.copyOf(taxonomies);
  }

  @Override
  public Authenticator authenticator() {
    return authenticator;
  }

  @Override
  public Change read(JsonNode body) {
    String kind = WebhookSource.required(body, "kind", "");
    String event = WebhookSource.required(body, "event", "");
    String change = event.equals("delete") ? "delete" : "change";
    switch (kind) {
      case "post" -> {
        if (!event.equals("save") && !event.equals("transition") && !event.equals("delete")) {
          throw WebhookRejected.unprocessable("unknown post event '" + event + "'");
        }
        JsonNode post = WebhookSource.object(body, "post");
        String type = WebhookSource.required(post, "type", "post.");
        String id = WebhookSource.required(post, "id", "post.");
        Mapping m = postTypes.get(type);
        if (m == null) {
          throw WebhookRejected.unprocessable("unknown post type '" + type
              + "': add it under fanout.gateway.wordpress.post-types");
        }
        Mapping.Resolved r = m.apply(body);
        return new Change("wordpress", type, id, WebhookSource.optional(post, "modified_gmt"),
            change, r.paths(), r.tags());
      }
      case "term" -> {
        if (!event.equals("create") && !event.equals("edit") && !event.equals("delete")) {
          throw WebhookRejected.unprocessable("unknown term event '" + event + "'");
        }
        JsonNode term = WebhookSource.object(body, "term");
        String taxonomy = WebhookSource.required(term, "taxonomy", "term.");
        String id = WebhookSource.required(term, "id", "term.");
        Mapping m = taxonomies.get(taxonomy);
        if (m == null) {
          throw WebhookRejected.unprocessable("unknown taxonomy '" + taxonomy
              + "': add it under fanout.gateway.wordpress.taxonomies");
        }
        Mapping.Resolved r = m.apply(body);
        // Terms carry no modification time: each announcement is its own invalidation.
        return new Change("wordpress", taxonomy, id, null, change, r.paths(), r.tags());
      }
      default -> throw WebhookRejected.unprocessable("unknown kind '" + kind + "' (post or term)");
    }
  }
}
