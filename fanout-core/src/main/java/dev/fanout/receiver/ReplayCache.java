package dev.fanout.receiver;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the receiver remembers per {@code webhook-id}: bounded in size (oldest evicted first) and in
 * age (an entry older than the retention is dropped; by then the timestamp check already rejects a
 * replay of the signed request). Holds the ids whose invalidation was applied, and each relayed
 * id's {@link RelayRecord}. Thread-safe.
 *
 * @param <V> what is remembered per id
 */
final class ReplayCache<V> {
  final int capacity;
  private final Duration retention;
  private final Clock clock;
  /** Insertion order is recording order, so expired entries sit at the head. Guarded by this. */
  private final LinkedHashMap<String, Entry<V>> seen = new LinkedHashMap<>();

  private record Entry<V>(Instant at, V value) {}

  ReplayCache(int capacity, Duration retention, Clock clock) {
    this.capacity = capacity;
    this.retention = retention;
    this.clock = clock;
  }

  synchronized boolean contains(String id) {
    return get(id) != null;
  }

  /** Returns the value remembered for {@code id}, or null. */
  synchronized V get(String id) {
    expire(clock.instant());
    Entry<V> e = seen.get(id);
    return e == null ? null : e.value();
  }

  /** Remembers {@code value} for {@code id} from now on, as the newest entry. */
  synchronized void put(String id, V value) {
    Instant now = clock.instant();
    expire(now);
    seen.remove(id);
    seen.put(id, new Entry<>(now, value));
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
    Iterator<Map.Entry<String, Entry<V>>> it = seen.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Entry<V>> e = it.next();
      if (!e.getValue().at().isBefore(oldest)) {
        return;
      }
      it.remove();
    }
  }
}
