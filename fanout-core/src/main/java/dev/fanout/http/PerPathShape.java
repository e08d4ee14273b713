package dev.fanout.http;

import dev.fanout.Invalidation;
import java.util.ArrayList;
import java.util.List;

/** Varnish {@code PURGE} by URL: one bodiless request per path, to that path; tags are ignored. */
final class PerPathShape implements RequestShape {
  private static final byte[] NO_BODY = new byte[0];

  @Override
  public List<Part> parts(Invalidation invalidation) {
    List<Part> parts = new ArrayList<>(invalidation.paths().size());
    for (String p : invalidation.paths()) {
      parts.add(new Part(invalidation, p, NO_BODY, invalidation.id()));
    }
    return parts;
  }

  @Override
  public String describeTarget() {
    return "<path>";
  }
}
