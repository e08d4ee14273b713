package dev.fanout.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;

/**
 * Strapi's built-in webhooks: {@code {"event":"entry.update","createdAt":..,"model":"article",
 * "uid":"api::article.article","entry":{"id":..,"documentId":..,"updatedAt":..,...}}}, authenticated
 * by a header secret. The model selects the mapping; the entry is identified by its {@code
 * documentId} (Strapi 5), or its {@code id} (Strapi 4), and versioned by its {@code updatedAt}.
 */
final class StrapiSource implements WebhookSource {
  /** Strapi's "Trigger" button in the webhook settings sends this event. */
  static final String TEST_EVENT = "trigger-test";

  private final Set<String> events;
  private final Map<String, Mapping> models;

  StrapiSource(Set<String> events, Map<String, Mapping> models) {
    this.events = Set.copyOf(events);
    this.models = Map.copyOf(models);
  }

  @Override
  public Change read(JsonNode body) {
    String event = WebhookSource.required(body, "event", "");
    if (TEST_EVENT.equals(event)) {
      throw new WebhookIgnored("Strapi test event: authenticated, nothing to invalidate");
    }
    if (!events.contains(event)) {
      throw WebhookRejected.unprocessable("event '" + event + "' is not handled; handled: "
          + events.stream().sorted().toList());
    }
    String model = WebhookSource.required(body, "model", "");
    JsonNode entry = WebhookSource.object(body, "entry");
    Mapping mapping = models.get(model);
    if (mapping == null) {
      throw WebhookRejected.unprocessable("unknown model '" + model
          + "': add it under fanout.gateway.strapi.models");
    }
    String id = WebhookSource.optional(entry, "documentId");
    if (id == null) {
      id = WebhookSource.required(entry, "id", "entry.");
    }
    Mapping.Resolved r = mapping.apply(body);
    return new Change("strapi", model, id, WebhookSource.optional(entry, "updatedAt"), event,
        r.paths(), r.tags());
  }
}
