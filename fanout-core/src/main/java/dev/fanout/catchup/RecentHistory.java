package dev.fanout.catchup;

import dev.fanout.Invalidation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;

/**
 * A bounded in-memory record of what an invalidator ran, the catch-up's history when no journal is
 * configured: entries older than the retention are forgotten, and past the capacity (paths plus
 * tags) the oldest are dropped, which makes a history that reaches back to them {@linkplain
 * History#complete() incomplete}. It lives as long as the process: a backend that restarts starts
 * with an empty record (a journal keeps the history across restarts). Thread-safe.
 *
 * @since 0.2
 */
public final class RecentHistory implements HistorySource {
  /** Default capacity: 100,000 paths plus tags. */
  public static final int DEFAULT_CAPACITY = History.MAX_ITEMS;

  private record Entry(Instant at, Invalidation invalidation, int size) {}

  private final Clock clock;
  private final Duration retention;
  private final int capacity;
  private final Deque<Entry> entries = new ArrayDeque<>();
  private int size;
  /** The acceptance time of the newest entry dropped for room, or null. */
  private Instant droppedUpTo;

  /**
   * Creates a record.
   *
   * @param clock the clock that stamps entries
   * @param retention how long entries are kept, {@code > 0}
   * @param capacity most paths plus tags kept, {@code > 0}
   * @throws IllegalArgumentException if out of range
   */
  public RecentHistory(Clock clock, Duration retention, int capacity) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.retention = Objects.requireNonNull(retention, "retention");
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("retention must be > 0: " + retention);
    }
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be > 0: " + capacity);
    }
    this.capacity = capacity;
  }

  /**
   * Records an invalidation as run now.
   *
   * @param invalidation the invalidation
   */
  public void record(Invalidation invalidation) {
    Instant now = clock.instant();
    int n = invalidation.paths().size() + invalidation.tags().size();
    synchronized (this) {
      expire(now);
      entries.addLast(new Entry(now, invalidation, n));
      size += n;
      while (size > capacity && entries.size() > 1) {
        Entry dropped = entries.removeFirst();
        size -= dropped.size;
        droppedUpTo = dropped.at;
      }
    }
  }

  @Override
  public History since(Instant since) {
    History.Compactor history = new History.Compactor(since);
    synchronized (this) {
      expire(clock.instant());
      if (droppedUpTo != null && !droppedUpTo.isBefore(since)) {
        history.incomplete();
      }
      for (Entry e : entries) {
        if (!e.at.isBefore(since) && !history.add(e.invalidation)) {
          break;
        }
      }
    }
    return history.build();
  }

  /**
   * Returns how many invalidations are held.
   *
   * @return the count
   */
  public synchronized int size() {
    return entries.size();
  }

  private void expire(Instant now) {
    Instant oldest = now.minus(retention);
    while (!entries.isEmpty() && entries.peekFirst().at.isBefore(oldest)) {
      size -= entries.removeFirst().size;
    }
  }

  @Override
  public String toString() {
    return "RecentHistory[retention " + retention + ", capacity " + capacity + "]";
  }
}
