package dev.fanout.spi;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.InvalidationStatus.State;
import java.time.Instant;
import java.util.Objects;

/**
 * One accepted invalidation as a {@link Journal} holds it: a snapshot, taken when the journal
 * answered.
 *
 * @param seq the append sequence number: unique in the journal, increasing in the order entries
 *     were committed (gaps are allowed)
 * @param invalidation the invalidation, as appended
 * @param state the state recorded for it: {@link State#PENDING}, {@link State#DELIVERED}, {@link
 *     State#FAILED} or {@link State#SUPERSEDED}; never {@link State#IN_FLIGHT}, which is a pending
 *     entry with a live {@link #lease()} (see {@link #stateAt(Instant)})
 * @param acceptedAt when it was accepted, by the journal's clock
 * @param updatedAt when it last changed
 * @param nextAttemptAt when it becomes due for a claim (its acceptance, or the retry time a release
 *     set)
 * @param attempts how many times it was claimed (delivery attempts started)
 * @param lease who holds it and until when, or {@code null} when nobody does; kept on a finished
 *     entry, naming the sender that finished it
 * @param progress what of its delivery is already done
 * @param summary the last summary recorded (a report's, or why it was superseded), possibly empty
 * @since 0.2
 */
public record JournalEntry(
    long seq,
    Invalidation invalidation,
    State state,
    Instant acceptedAt,
    Instant updatedAt,
    Instant nextAttemptAt,
    int attempts,
    Lease lease,
    Progress progress,
    String summary) {

  /**
   * Checks the components.
   *
   * @param seq see the record description
   * @param invalidation see the record description
   * @param state see the record description
   * @param acceptedAt see the record description
   * @param updatedAt see the record description
   * @param nextAttemptAt see the record description
   * @param attempts see the record description
   * @param lease see the record description
   * @param progress see the record description
   * @param summary see the record description
   * @throws NullPointerException if a component other than {@code lease} is null
   * @throws IllegalArgumentException if {@code state} is {@link State#IN_FLIGHT}
   */
  public JournalEntry {
    Objects.requireNonNull(invalidation, "invalidation");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(acceptedAt, "acceptedAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
    Objects.requireNonNull(progress, "progress");
    if (state == State.IN_FLIGHT) {
      throw new IllegalArgumentException("IN_FLIGHT is derived from a live lease, not stored");
    }
    summary = InvalidationStatus.boundSummary(summary);
  }

  /**
   * Returns the invalidation's id.
   *
   * @return {@code invalidation().id()}
   */
  public String id() {
    return invalidation.id();
  }

  /**
   * Returns the state as a status shows it at a moment: a pending entry with a live lease is in
   * flight.
   *
   * @param now the moment, by the journal's clock
   * @return the state
   */
  public State stateAt(Instant now) {
    if (state == State.PENDING && lease != null && lease.isLive(now)) {
      return State.IN_FLIGHT;
    }
    return state;
  }

  /**
   * Returns whether the given owner holds this entry's lease at a moment.
   *
   * @param owner the owner
   * @param now the moment, by the journal's clock
   * @return true if the entry is pending and leased to {@code owner} until after {@code now}
   */
  public boolean isHeldBy(String owner, Instant now) {
    return state == State.PENDING && lease != null && lease.owner().equals(owner) && lease.isLive(now);
  }

  /**
   * Returns the status a caller of {@code status(id)} sees.
   *
   * @param now the moment, by the journal's clock
   * @return the status
   */
  public InvalidationStatus status(Instant now) {
    return new InvalidationStatus(id(), stateAt(now), acceptedAt, updatedAt, attempts, summary);
  }
}
