package dev.fanout.http;

import dev.fanout.Invalidation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A Varnish xkey purge: bodiless requests to one path, each part carrying a group of tags that,
 * joined by spaces, fits one {@code xkey-purge} header of at most {@link
 * HttpNotifier#MAX_XKEY_HEADER_BYTES}; the header itself is computed from each part's invalidation.
 * An invalidation without tags is no request at all.
 */
final class XkeyShape implements RequestShape {
  private static final byte[] NO_BODY = new byte[0];
  private final String path;

  XkeyShape(String path) {
    this.path = path;
  }

  @Override
  public List<Part> parts(Invalidation invalidation) {
    List<Part> parts = new ArrayList<>();
    for (List<String> group : groups(invalidation.tags())) {
      Invalidation part = group.size() == invalidation.tags().size() ? invalidation
          : new Invalidation(invalidation.id(), List.of(), group, invalidation.entity(), invalidation.version());
      parts.add(new Part(part, path, NO_BODY, invalidation.id()));
    }
    return parts;
  }

  @Override
  public String describeTarget() {
    return path;
  }

  /** Tags in order, grouped so that each group joined by spaces fits one header. */
  static List<List<String>> groups(List<String> tags) {
    List<List<String>> groups = new ArrayList<>();
    List<String> current = new ArrayList<>();
    int length = 0;
    for (String tag : tags) {
      int add = tag.getBytes(StandardCharsets.UTF_8).length + (current.isEmpty() ? 0 : 1);
      if (!current.isEmpty() && length + add > HttpNotifier.MAX_XKEY_HEADER_BYTES) {
        groups.add(current);
        current = new ArrayList<>();
        length = 0;
        add = tag.getBytes(StandardCharsets.UTF_8).length;
      }
      current.add(tag);
      length += add;
    }
    if (!current.isEmpty()) {
      groups.add(current);
    }
    return groups;
  }
}
