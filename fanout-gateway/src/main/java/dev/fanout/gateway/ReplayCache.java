package dev.fanout.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code webhook-id}s of recently accepted signed requests, with the invalidation each led to,
 * so that a replayed request is refused (409) and its sender still learns which invalidation it
 * was. An id is remembered only once its request was accepted, so a retry after a 503 is not a
 * replay. The oldest ids are forgotten first; a replay older than that is still recognised as a
 * duplicate change when its payload identifies one.
 */
final class ReplayCache {
  private final Map<String, String> seen;

  ReplayCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
    }
    this.seen = new LinkedHashMap<>(16, 0.75f, false) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
        return size() > capacity;
      }
    };
  }

  /** Returns the invalidation id an earlier request with this delivery id led to, or null. */
  synchronized String find(String deliveryId) {
    return seen.get(deliveryId);
  }

  /** Remembers an accepted request's delivery id. */
  synchronized void remember(String deliveryId, String invalidationId) {
    seen.put(deliveryId, invalidationId == null ? "" : invalidationId);
  }
}
