package dev.fanout;

import java.time.Instant;
import java.util.Objects;

/**
 * Where one accepted invalidation stands: what {@code Invalidator.status(id)} and
 * {@link dev.fanout.spi.Journal#status(String)} answer, so that a CMS can show an editor whether a
 * change is live on every replica.
 *
 * <p>The status names no host and no sender: it is safe to show to the people who made the change.
 * The summary is the last report's {@linkplain InvalidationReport#outcome() outcome} (counts per
 * stage, no host), with why it ended when it failed, at most {@link #MAX_SUMMARY_LENGTH}
 * characters.
 *
 * @param id the invalidation's id
 * @param state where it stands
 * @param acceptedAt when the journal accepted it
 * @param updatedAt when its state, attempts or summary last changed
 * @param attempts how many delivery attempts were started (claims, including one taken over after a
 *     sender stopped)
 * @param summary the last report's outcome, or an empty string when there is none yet
 * @since 0.2
 */
public record InvalidationStatus(
    String id, State state, Instant acceptedAt, Instant updatedAt, int attempts, String summary) {

  /** The longest summary kept; longer ones are cut and end with {@code ...}. */
  public static final int MAX_SUMMARY_LENGTH = 500;

  /**
   * Checks the components and bounds the summary.
   *
   * @param id see the record description
   * @param state see the record description
   * @param acceptedAt see the record description
   * @param updatedAt see the record description
   * @param attempts see the record description
   * @param summary see the record description; {@code null} is read as empty, a longer one is cut
   * @throws NullPointerException if {@code id}, {@code state}, {@code acceptedAt} or {@code
   *     updatedAt} is null
   * @throws IllegalArgumentException if {@code attempts} is negative
   */
  public InvalidationStatus {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(acceptedAt, "acceptedAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    if (attempts < 0) {
      throw new IllegalArgumentException("attempts must be >= 0: " + attempts);
    }
    summary = boundSummary(summary);
  }

  /**
   * Cuts a summary to {@link #MAX_SUMMARY_LENGTH} characters, and reads {@code null} as empty.
   * Journals store summaries through this, so what is stored is what a status shows.
   *
   * @param summary a summary, or {@code null}
   * @return the bounded summary, never null
   */
  public static String boundSummary(String summary) {
    if (summary == null) {
      return "";
    }
    if (summary.length() <= MAX_SUMMARY_LENGTH) {
      return summary;
    }
    return summary.substring(0, MAX_SUMMARY_LENGTH - 3) + "...";
  }

  /**
   * Returns whether the invalidation has reached a state it never leaves.
   *
   * @return true for {@link State#DELIVERED}, {@link State#FAILED} and {@link State#SUPERSEDED}
   */
  public boolean isFinished() {
    return state.isFinished();
  }

  /**
   * The states of an accepted invalidation.
   *
   * <pre>
   * PENDING --claim--&gt; IN_FLIGHT --complete--&gt; DELIVERED | FAILED
   *    ^                   |
   *    +---release / lease expired
   * (append of an older version than one already journaled) --&gt; SUPERSEDED
   * </pre>
   *
   * @since 0.2
   */
  public enum State {
    /** Accepted and waiting to be sent: never claimed yet, or released for a retry. */
    PENDING,
    /** Claimed by a sender whose lease has not ended. */
    IN_FLIGHT,
    /** Every stage met its gate; the summary is the report's. */
    DELIVERED,
    /** Given up (refused by the targets, or older than the maximum age); the summary says why. */
    FAILED,
    /**
     * Appended after a newer version of the same entity was journaled; it is never sent, because
     * the newer version's invalidation was or will be.
     */
    SUPERSEDED;

    /**
     * Returns whether this state is final.
     *
     * @return true for {@link #DELIVERED}, {@link #FAILED} and {@link #SUPERSEDED}
     */
    public boolean isFinished() {
      return this == DELIVERED || this == FAILED || this == SUPERSEDED;
    }
  }
}
