package dev.fanout.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What one kind of content invalidates: path templates and tag templates, filled from the webhook's
 * body. A template that starts with {@code ?} is optional: when one of its fields is missing it is
 * left out. Any other template whose field is missing refuses the webhook (422), so a
 * configuration that no longer matches the CMS's payload shows at once instead of silently
 * invalidating less.
 */
final class Mapping {
  private record Entry(Template template, boolean optional) {}

  private final List<Entry> paths;
  private final List<Entry> tags;

  private Mapping(List<Entry> paths, List<Entry> tags) {
    this.paths = List.copyOf(paths);
    this.tags = List.copyOf(tags);
  }

  /**
   * Parses the templates of a mapping.
   *
   * @param paths path templates
   * @param tags tag templates
   * @return the mapping
   * @throws IllegalArgumentException if a template is malformed or there is none at all
   */
  static Mapping of(List<String> paths, List<String> tags) {
    List<Entry> p = entries(paths);
    List<Entry> t = entries(tags);
    if (p.isEmpty() && t.isEmpty()) {
      throw new IllegalArgumentException("a mapping needs at least one path or tag template");
    }
    return new Mapping(p, t);
  }

  private static List<Entry> entries(List<String> templates) {
    List<Entry> out = new ArrayList<>();
    if (templates != null) {
      for (String s : templates) {
        boolean optional = s != null && s.startsWith("?");
        out.add(new Entry(Template.parse(optional ? s.substring(1) : s), optional));
      }
    }
    return out;
  }

  /**
   * Fills every template.
   *
   * @param document the webhook's body
   * @return the paths and tags
   * @throws WebhookRejected 422 when a required template's field is missing, or nothing resolved
   */
  Resolved apply(JsonNode document) {
    List<String> p = fill(paths, document, true);
    List<String> t = fill(tags, document, false);
    if (p.isEmpty() && t.isEmpty()) {
      throw WebhookRejected.unprocessable("no path or tag template resolved for this payload");
    }
    return new Resolved(p, t);
  }

  private static List<String> fill(List<Entry> entries, JsonNode document, boolean path) {
    List<String> out = new ArrayList<>();
    for (Entry e : entries) {
      Template.Result r = e.template().resolve(document, path);
      if (r.resolved()) {
        out.add(r.value());
      } else if (!e.optional()) {
        throw WebhookRejected.unprocessable("template '" + e.template() + "' needs the field '"
            + r.missing() + "' (a string or number), which the payload lacks");
      }
    }
    return out;
  }

  /**
   * The filled templates.
   *
   * @param paths the paths, in template order
   * @param tags the tags, in template order
   */
  record Resolved(List<String> paths, List<String> tags) {}
}
