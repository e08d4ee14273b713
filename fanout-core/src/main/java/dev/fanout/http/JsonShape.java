package dev.fanout.http;

import dev.fanout.Invalidation;
import dev.fanout.WireContract;
import dev.fanout.internal.InvalidationJson;
import java.util.ArrayList;
import java.util.List;

/**
 * The invalidation as a JSON body, the form {@code InvalidationReceiver} and a Standard Webhooks
 * receiver accept (signed unless the notifier is explicitly unsigned): one request, or chunks within
 * {@link WireContract}'s limits, each with its own {@code webhook-id}.
 */
final class JsonShape implements RequestShape {
  private final String path;
  private final int relayHop;

  JsonShape(String path, int relayHop) {
    this.path = path;
    this.relayHop = relayHop;
  }

  @Override
  public List<Part> parts(Invalidation invalidation) {
    List<InvalidationJson.Encoded> encoded = InvalidationJson.split(invalidation, relayHop,
        WireContract.MAX_PATHS_PER_REQUEST, WireContract.MAX_TAGS_PER_REQUEST, WireContract.MAX_BODY_BYTES);
    List<Part> parts = new ArrayList<>(encoded.size());
    for (InvalidationJson.Encoded e : encoded) {
      parts.add(new Part(e.invalidation(), path, e.body(), e.webhookId()));
    }
    return parts;
  }

  @Override
  public boolean chunks() {
    return true;
  }

  @Override
  public String describeTarget() {
    return path;
  }
}
