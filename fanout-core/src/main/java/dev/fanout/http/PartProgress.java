package dev.fanout.http;

import dev.fanout.Invalidation;
import java.lang.ref.WeakReference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Which requests of a multi-request delivery each target has acknowledged, so that a retry sends
 * only the rest. Forgetting is always safe (the retry resends what it forgot, and receivers drop
 * replays by {@code webhook-id}); remembering wrongly is not, so an entry applies only to the very
 * invalidation object it was opened for.
 *
 * <p>Memory is bounded three ways: an entry is removed when its target acknowledged everything or
 * failed for good; it holds its invalidation only weakly and goes once the engine let go of it; and
 * at most {@code maxEntries} entries, each at most {@code retention} after its last use, are kept
 * (the least recently used go first). Thread-safe.
 */
final class PartProgress {
  private final int maxEntries;
  private final Duration retention;
  private final Clock clock;
  /** Least recently used first: {@link #open} re-inserts what it touches. Guarded by this. */
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>();

  private record Key(String invalidationId, String authority) {}

  /** The acknowledged parts of one invalidation at one target. */
  static final class Entry {
    final Key key;
    final WeakReference<Invalidation> invalidation;
    final int parts;
    final BitSet acked;
    Instant expires;

    Entry(Key key, Invalidation invalidation, int parts) {
      this.key = key;
      this.invalidation = new WeakReference<>(invalidation);
      this.parts = parts;
      this.acked = new BitSet(parts);
    }
  }

  PartProgress(int maxEntries, Duration retention, Clock clock) {
    this.maxEntries = maxEntries;
    this.retention = retention;
    this.clock = clock;
  }

  /** Returns the entry of this invalidation at this target, opening one if there is none. */
  synchronized Entry open(Invalidation invalidation, String authority, int parts) {
    Objects.requireNonNull(invalidation, "invalidation");
    Instant now = clock.instant();
    sweep(now);
    Key key = new Key(invalidation.id(), authority);
    Entry e = entries.remove(key);
    if (e == null || e.invalidation.get() != invalidation || e.parts != parts) {
      // Another invalidation under the same id (a reused id): nothing it acknowledged counts.
      e = new Entry(key, invalidation, parts);
    }
    e.expires = now.plus(retention);
    entries.put(key, e);
    Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator();
    while (entries.size() > maxEntries && it.hasNext()) {
      it.next();
      it.remove();
    }
    return e;
  }

  /** Returns a copy of what the entry's target acknowledged. */
  synchronized BitSet acked(Entry e) {
    return (BitSet) e.acked.clone();
  }

  /** Records that the entry's target acknowledged one part. */
  synchronized void ack(Entry e, int index) {
    e.acked.set(index);
  }

  /** Forgets the entry (if it is still the current one for its key). */
  synchronized void close(Entry e) {
    entries.remove(e.key, e);
  }

  /** How many parts of this invalidation this target acknowledged so far (tests). */
  synchronized int acknowledged(Invalidation invalidation, String authority) {
    Entry e = entries.get(new Key(invalidation.id(), authority));
    return e == null || e.invalidation.get() != invalidation ? 0 : e.acked.cardinality();
  }

  /** How many entries are kept (tests). */
  synchronized int size() {
    sweep(clock.instant());
    return entries.size();
  }

  /** Drops expired entries and those whose invalidation is gone, from the least recently used. */
  private void sweep(Instant now) {
    Iterator<Entry> it = entries.values().iterator();
    while (it.hasNext()) {
      Entry e = it.next();
      if (e.invalidation.get() != null && now.isBefore(e.expires)) {
        // Entries behind this one were used later, so they expire later too; those whose
        // invalidation is gone are caught when they reach the front or by the size bound.
        return;
      }
      it.remove();
    }
  }
}
