package dev.fanout.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.Set;

/**
 * A webhook of any CMS, mapped entirely by configuration ({@code fanout.gateway.hooks.<name>}):
 * templates for the paths and tags, and optionally for the model, the entry id, its modification
 * time and the event (the four identify duplicates), and the events handled.
 */
final class GenericSource implements WebhookSource {
  private final String name;
  private final Template model;
  private final Template id;
  private final Template updatedAt;
  private final Template event;
  private final Set<String> events;
  private final Mapping mapping;

  GenericSource(String name, Template model, Template id, Template updatedAt, Template event,
      Set<String> events, Mapping mapping) {
    this.name = Objects.requireNonNull(name, "name");
    this.model = model;
    this.id = id;
    this.updatedAt = updatedAt;
    this.event = event;
    this.events = Set.copyOf(events);
    this.mapping = Objects.requireNonNull(mapping, "mapping");
  }

  @Override
  public Change read(JsonNode body) {
    if (!body.isObject()) {
      throw WebhookRejected.malformed("the body is not a JSON object");
    }
    String ev = value(event, body);
    if (!events.isEmpty() && (ev == null || !events.contains(ev))) {
      throw WebhookRejected.unprocessable("event '" + ev + "' is not handled by hook '" + name
          + "'; handled: " + events.stream().sorted().toList());
    }
    Mapping.Resolved r = mapping.apply(body);
    return new Change("hook:" + name, value(model, body), value(id, body), value(updatedAt, body),
        ev, r.paths(), r.tags());
  }

  private static String value(Template t, JsonNode body) {
    return t == null ? null : t.resolve(body, false).value();
  }
}
