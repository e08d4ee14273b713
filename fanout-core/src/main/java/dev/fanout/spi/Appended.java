package dev.fanout.spi;

import java.util.Objects;

/**
 * What {@link Journal#append} did with an invalidation.
 *
 * @param outcome whether it was accepted, was already there, or arrived after a newer version
 * @param entry the entry now in the journal: the new one, or for a {@link Outcome#DUPLICATE} the
 *     existing one (whose id differs from the appended invalidation's when it matched by entity
 *     key and version)
 * @param newerVersion for {@link Outcome#SUPERSEDED}, the newest version of the entity already
 *     journaled; otherwise {@code null}
 * @since 0.2
 */
public record Appended(Outcome outcome, JournalEntry entry, Long newerVersion) {

  /**
   * Checks the components.
   *
   * @param outcome see the record description
   * @param entry see the record description
   * @param newerVersion see the record description
   * @throws NullPointerException if {@code outcome} or {@code entry} is null
   * @throws IllegalArgumentException if {@code newerVersion} is given exactly when the outcome is
   *     not {@link Outcome#SUPERSEDED}
   */
  public Appended {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(entry, "entry");
    if ((outcome == Outcome.SUPERSEDED) != (newerVersion != null)) {
      throw new IllegalArgumentException("newerVersion is set exactly for SUPERSEDED");
    }
  }

  /**
   * Returns whether the append found the invalidation already journaled.
   *
   * @return true for {@link Outcome#DUPLICATE}
   */
  public boolean isDuplicate() {
    return outcome == Outcome.DUPLICATE;
  }

  /**
   * Returns whether the appending sender holds the new entry and should send it itself: the append
   * asked for a lease, the entry was accepted, and no other unfinished entry of the same entity
   * stood in the way (see {@link Journal#append}).
   *
   * @return true if the entry is accepted and leased
   */
  public boolean claimed() {
    return outcome == Outcome.ACCEPTED && entry.lease() != null;
  }

  /**
   * What an append did.
   *
   * @since 0.2
   */
  public enum Outcome {
    /** A new entry, pending (or leased to the appender when it asked and could be). */
    ACCEPTED,
    /**
     * The journal already held an entry with the same id, or with the same entity key and version;
     * nothing new was recorded and the existing entry is returned.
     */
    DUPLICATE,
    /**
     * A newer version of the same entity was already journaled: the entry is recorded as {@link
     * dev.fanout.InvalidationStatus.State#SUPERSEDED} and is never sent.
     */
    SUPERSEDED
  }
}
