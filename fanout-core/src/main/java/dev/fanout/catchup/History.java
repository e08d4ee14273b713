package dev.fanout.catchup;

import dev.fanout.Invalidation;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The compacted history of a window: every path and every tag invalidated in it, united and
 * deduplicated in the order first seen. A catch-up sends it as one invalidation, which {@code
 * HttpNotifier} chunks within the wire contract's limits.
 *
 * @param since the start of the window it covers
 * @param paths the paths, unmodifiable
 * @param tags the tags, unmodifiable
 * @param entries how many invalidations it unites
 * @param complete false when the source no longer held all of the window (an in-memory record
 *     that dropped its oldest entries, or more than {@link #MAX_ITEMS} paths and tags); the catch-up
 *     is then reported as partial
 * @since 0.2
 */
public record History(Instant since, List<String> paths, List<String> tags, int entries, boolean complete) {

  /** Most paths plus tags one catch-up carries: 100 requests of the wire contract's size. */
  public static final int MAX_ITEMS = 100_000;

  /**
   * Validates and copies the components.
   *
   * @param since see the record description
   * @param paths see the record description
   * @param tags see the record description
   * @param entries see the record description
   * @param complete see the record description
   */
  public History {
    Objects.requireNonNull(since, "since");
    paths = List.copyOf(paths);
    tags = List.copyOf(tags);
    if (entries < 0) {
      throw new IllegalArgumentException("entries must be >= 0: " + entries);
    }
  }

  /**
   * Returns whether there is nothing to send.
   *
   * @return true if no path and no tag
   */
  public boolean isEmpty() {
    return paths.isEmpty() && tags.isEmpty();
  }

  /**
   * Returns the history as one invalidation, for the notifier.
   *
   * @param id the invalidation's id
   * @return the invalidation
   * @throws IllegalStateException if the history is empty
   */
  public Invalidation toInvalidation(String id) {
    if (isEmpty()) {
      throw new IllegalStateException("an empty history is not sent");
    }
    return new Invalidation(id, paths, tags, null, null);
  }

  /**
   * Unites invalidations into a {@link History}. Not thread-safe.
   *
   * @since 0.2
   */
  public static final class Compactor {
    private final Instant since;
    private final Set<String> paths = new LinkedHashSet<>();
    private final Set<String> tags = new LinkedHashSet<>();
    private int entries;
    private boolean complete = true;

    /**
     * Starts a history of the window beginning at {@code since}.
     *
     * @param since the start of the window
     */
    public Compactor(Instant since) {
      this.since = Objects.requireNonNull(since, "since");
    }

    /**
     * Adds an invalidation's paths and tags. Past {@link #MAX_ITEMS} nothing more is added and the
     * history is marked incomplete.
     *
     * @param invalidation the invalidation
     * @return false once the history is full
     */
    public boolean add(Invalidation invalidation) {
      entries++;
      for (String p : invalidation.paths()) {
        if (!room()) {
          return false;
        }
        paths.add(p);
      }
      for (String t : invalidation.tags()) {
        if (!room()) {
          return false;
        }
        tags.add(t);
      }
      return true;
    }

    private boolean room() {
      if (paths.size() + tags.size() < MAX_ITEMS) {
        return true;
      }
      complete = false;
      return false;
    }

    /** Marks the history incomplete: the source did not hold all of the window. */
    public void incomplete() {
      complete = false;
    }

    /**
     * Returns the history.
     *
     * @return the history
     */
    public History build() {
      return new History(since, List.copyOf(paths), List.copyOf(tags), entries, complete);
    }
  }
}
