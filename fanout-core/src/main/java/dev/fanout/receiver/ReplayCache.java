package dev.fanout.receiver;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code webhook-id}s whose invalidation was applied: bounded in size (oldest evicted first) and
 * in age (an entry older than the retention is dropped, by then the timestamp check already rejects
 * a replay of the signed request). Thread-safe.
 */
final class ReplayCache {
  final int capacity;
  private final Duration retention;
  private final Clock clock;
  /** Insertion order is recording order, so expired entries sit at the head. Guarded by this. */
  private final LinkedHashMap<String, Instant> seen = new LinkedHashMap<>();

  ReplayCache(int capacity, Duration retention, Clock clock) {
    this.capacity = capacity;
    this.retention = retention;
    this.clock = clock;
  }

  synchronized boolean contains(String id) {
    expire(clock.instant());
    return seen.containsKey(id);
  }

  synchronized void record(String id) {
    Instant now = clock.instant();
    expire(now);
    seen.remove(id);
    seen.put(id, now);
    Iterator<String> it = seen.keySet().iterator();
    while (seen.size() > capacity && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  synchronized int size() {
    return seen.size();
  }

  private void expire(Instant now) {
    Instant oldest = now.minus(retention);
    Iterator<Map.Entry<String, Instant>> it = seen.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Instant> e = it.next();
      if (!e.getValue().isBefore(oldest)) {
        return;
      }
      it.remove();
    }
  }
}
