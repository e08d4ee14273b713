package dev.fanout.spi;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.JournalException;
import dev.fanout.catchup.CatchUpRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The durable log of accepted invalidations: what was accepted, who is sending it, what of it was
 * delivered, and a window of history for catching up replicas that were away.
 *
 * <p>An invalidation is appended once it is accepted. Senders (one loop per backend process)
 * {@link #claim claim} due entries with a lease, send them, {@link #recordProgress record} which
 * targets acknowledged, and {@link #complete complete} them, or {@link #release release} them for
 * a retry. A sender that dies stops {@link #renew renewing}; when its leases end another sender's
 * claim takes the entries over. Delivery is therefore <em>at least once</em>: an entry whose sender
 * died after sending and before completing is sent again, and receivers recognise the redelivery
 * by the invalidation id.
 *
 * <h2>Contract, for every method</h2>
 *
 * <ul>
 *   <li><b>Thread-safe</b>: any method may be called from any thread, concurrently; several
 *       journal instances (in several processes) may share one store, and the promises below hold
 *       across them (an in-memory journal is its own store).
 *   <li><b>Blocking</b>: every method does its work before it returns (it may wait for a database
 *       round trip or a group commit); none is to be called on an event-loop thread. None waits for
 *       a delivery.
 *   <li><b>Time</b> is the journal's clock (injectable): lease ends, retry times and acceptance
 *       times are all read from it, so callers pass durations, not instants, where a moment is
 *       computed.
 *   <li><b>Failure</b>: a {@link JournalException}; {@link JournalException#isRetryable()} says
 *       whether the same call may succeed later. A call that throws recorded nothing (a failed
 *       {@code append} accepted nothing). Every method is safe to retry after a retryable failure:
 *       {@code append} is idempotent by id, progress is a union, {@code complete} of an entry the
 *       caller already completed with the same state answers {@code true} again, {@code claim}
 *       and {@code renew} only extend what the caller may hold. Invalid arguments are an {@link
 *       IllegalArgumentException} (or {@link NullPointerException}), before any work.
 *   <li><b>Ownership</b>: {@code recordProgress}, {@code complete} and {@code release} change an
 *       entry only for the owner that holds its lease (live or ended, as long as nobody took it
 *       over); for anyone else they change nothing and answer {@code false}, so a sender that lost
 *       an entry to a takeover cannot overwrite what the new holder records.
 * </ul>
 *
 * <h2>Entity ordering</h2>
 *
 * Invalidations with an {@linkplain Invalidation#entity() entity key} are delivered in version
 * order, one sender at a time per key: an entry is not claimable while another owner holds a live
 * lease on an unfinished entry of the same key, and a claim that takes a key takes every
 * unfinished, unheld entry of that key at once (also those not yet due), so the sender merges them
 * into one delivery and a superseded version is never sent on its own after a newer one.
 *
 * @since 0.2
 */
public interface Journal extends AutoCloseable {

  /**
   * Appends an accepted invalidation, pending for any sender.
   *
   * @param invalidation the invalidation
   * @return what the journal did with it
   * @throws JournalException if it could not be recorded; nothing was
   * @see #append(Invalidation, Lease)
   */
  default Appended append(Invalidation invalidation) {
    return append(invalidation, null);
  }

  /**
   * Appends an accepted invalidation. Blocks until the entry is durable: committed to the store
   * (for an in-memory journal: held in memory, durable only as long as the JVM).
   *
   * <ul>
   *   <li>Idempotent by invalidation id: appending an id the journal holds records nothing and
   *       returns the existing entry as a {@link Appended.Outcome#DUPLICATE} (the first append's
   *       content is kept).
   *   <li>Unique (entity key, version) when both are set: a second append of the same entity and
   *       version under another id (the same CMS webhook received by two backend replicas) is a
   *       {@code DUPLICATE} of the first.
   *   <li>An invalidation whose version is older than one already journaled for its entity key is
   *       recorded as {@link State#SUPERSEDED} at once, is never sent, and the outcome names the
   *       newer version. The comparison is with what was committed when the append ran: two
   *       concurrent appends of versions of one key may both be accepted, and are then claimed
   *       and merged together.
   *   <li>{@code claimAs}: {@code null} leaves the entry pending for any sender (the transactional
   *       outbox way). A lease claims the new entry for the appending sender, so that it can send
   *       it at once without another sender claiming it; it counts as the first attempt. The lease
   *       is not given when another unfinished entry of the same entity key exists (entity
   *       ordering: a claim then takes them together); {@link Appended#claimed()} tells.
   * </ul>
   *
   * @param invalidation the invalidation
   * @param claimAs the lease to give the new entry, or {@code null}
   * @return what the journal did with it
   * @throws JournalException if it could not be recorded (store unreachable, in-memory journal
   *     full, journal closed); nothing was
   */
  Appended append(Invalidation invalidation, Lease claimAs);

  /**
   * Claims due entries for a sender, with a lease. Due entries are pending, not held (never leased,
   * or their lease ended), and their next attempt time has come. They are returned in append
   * sequence order, with their recorded progress, and each has its attempt count raised by one.
   *
   * <p>Exclusive: with any number of concurrent claimers, in any number of processes, an entry is
   * held by one owner at a time. Entity ordering applies (see the type's description): a key whose
   * unfinished entry another owner holds is skipped, and a claimed key comes with all its
   * unfinished, unheld entries, so the answer may hold more than {@code max} entries when one key
   * has many versions pending.
   *
   * @param owner the claiming sender, as {@link Lease#checkOwner} accepts
   * @param max the most entries (or entity groups) to claim, at least 1
   * @param lease how long the claim lasts unless {@linkplain #renew renewed}
   * @return the claimed entries, possibly empty; never blocks waiting for entries to arrive
   * @throws JournalException if the store failed; nothing was claimed
   */
  List<JournalEntry> claim(String owner, int max, Duration lease);

  /**
   * Extends a sender's leases.
   *
   * @param owner the sender
   * @param ids the ids of the entries it holds
   * @param lease the new lease length, from now
   * @return the ids it no longer holds (taken over by another sender after its lease ended,
   *     finished, or unknown): the caller must stop working on them and record nothing for them
   * @throws JournalException if the store failed; no lease was extended
   */
  Set<String> renew(String owner, Collection<String> ids, Duration lease);

  /**
   * Records what of an entry's delivery is done: the union of the stored progress and {@code
   * progress} is stored, so recording is idempotent and order-free.
   *
   * @param id the entry's invalidation id
   * @param owner the sender holding it
   * @param progress what was acknowledged or completed
   * @return true if recorded; false if {@code owner} does not hold the entry (nothing changed)
   * @throws JournalException if the store failed; nothing was recorded
   */
  boolean recordProgress(String id, String owner, Progress progress);

  /**
   * Finishes an entry: it will not be claimed again.
   *
   * @param id the entry's invalidation id
   * @param owner the sender holding it
   * @param finalState {@link State#DELIVERED} or {@link State#FAILED}
   * @param summary the report's {@link dev.fanout.InvalidationReport#outcome() outcome}, which
   *     names no host (cut to {@link InvalidationStatus#MAX_SUMMARY_LENGTH})
   * @return true if recorded, or if {@code owner} already finished it in {@code finalState} (a
   *     retried call); false if {@code owner} does not hold it
   * @throws IllegalArgumentException if {@code finalState} is another state
   * @throws JournalException if the store failed; nothing was recorded
   */
  boolean complete(String id, String owner, State finalState, String summary);

  /**
   * Finishes several entries with one outcome and summary, as {@link #complete} does each, in one
   * round trip to the store where the journal can (a database journal: one transaction, so one
   * commit for a whole delivery instead of one per entry). The default calls {@link #complete} for
   * each.
   *
   * @param ids the entries' invalidation ids
   * @param owner the sender holding them
   * @param finalState {@link State#DELIVERED} or {@link State#FAILED}
   * @param summary the report's {@link dev.fanout.InvalidationReport#outcome() outcome}, which
   *     names no host (cut to {@link InvalidationStatus#MAX_SUMMARY_LENGTH})
   * @return the ids that were not finished because {@code owner} does not hold them; empty when
   *     every one was recorded (or already finished by {@code owner} in {@code finalState})
   * @throws IllegalArgumentException if {@code finalState} is another state
   * @throws JournalException if the store failed; nothing was recorded (a journal that completes
   *     one by one may have recorded some: completing them again answers as a retried call)
   */
  default Set<String> completeAll(
      Collection<String> ids, String owner, State finalState, String summary) {
    Set<String> notHeld = new java.util.LinkedHashSet<>();
    for (String id : ids) {
      if (!complete(id, owner, finalState, summary)) {
        notHeld.add(id);
      }
    }
    return notHeld;
  }

  /**
   * Gives an entry back for a later retry: it becomes pending and unheld, due after {@code delay},
   * with its progress kept so the retry skips what was acknowledged.
   *
   * @param id the entry's invalidation id
   * @param owner the sender holding it
   * @param delay how long from now before it is due again; zero for at once
   * @param summary the failed attempt's summary
   * @return true if released; false if {@code owner} does not hold it
   * @throws IllegalArgumentException if {@code delay} is negative
   * @throws JournalException if the store failed; nothing was recorded
   */
  boolean release(String id, String owner, Duration delay, String summary);

  /**
   * Returns where an invalidation stands.
   *
   * @param id the invalidation id
   * @return its status, or empty when the journal holds no entry with this id (never appended,
   *     appended as a duplicate of another id, or expired)
   * @throws JournalException if the store failed
   */
  Optional<InvalidationStatus> status(String id);

  /**
   * Reads a window of history, for catch-up: entries accepted at or after {@code since}, in any
   * state except {@link State#SUPERSEDED}, with a sequence number above {@code afterSeq}, in
   * sequence order. Page by passing the last entry's {@link JournalEntry#seq()} as the next
   * {@code afterSeq}.
   *
   * @param since the oldest acceptance time wanted
   * @param afterSeq the sequence number to start after; 0 (or any negative) for the start
   * @param limit the most entries to return, at least 1
   * @return the entries, possibly empty
   * @throws JournalException if the store failed
   */
  List<JournalEntry> history(Instant since, long afterSeq, int limit);

  /**
   * Deletes finished entries (delivered, failed, superseded) accepted before a moment. Unfinished
   * entries are never deleted, however old.
   *
   * @param acceptedBefore the moment
   * @return how many entries were deleted
   * @throws JournalException if the store failed; nothing was deleted
   */
  int expire(Instant acceptedBefore);

  /**
   * Counts what is unfinished.
   *
   * @return the backlog
   * @throws JournalException if the store failed
   */
  Backlog backlog();

  /**
   * Asks to be told when entries may have become claimable: appended without a lease (by any
   * process sharing the store, where the store can tell, as PostgreSQL's {@code LISTEN/NOTIFY}
   * does), released, or finished with an entity key (which may free the key's next version). The callback runs on a journal
   * thread or the appending thread, must return quickly and must not throw (what it throws is
   * logged and ignored). A journal that cannot be told by its store calls it at its poll interval;
   * either way a sender should also claim on its own timer, because leases end and retry times
   * come without any event.
   *
   * @param onChange the callback
   * @return a handle whose {@code close()} stops the callbacks
   */
  Subscription subscribe(Runnable onChange);

  /**
   * Records the outcome of one replica's catch-up in the journal's history, so that operators can
   * see which replicas were caught up (or could not be) next to what was invalidated. Called once
   * per outcome by the invalidator's catch-up, on a worker thread, never with a lock held; a
   * failure is logged by the caller and does not change the catch-up. A journal keeps a bounded
   * number of the most recent records (its documentation says how many) and may drop older ones
   * at any time. The default records nothing.
   *
   * @param record the outcome
   * @throws JournalException if the store failed; nothing was recorded
   * @since 0.2
   */
  default void recordCatchUp(CatchUpRecord record) {}

  /**
   * Returns the most recent catch-up outcomes {@linkplain #recordCatchUp recorded} by any process
   * sharing the store, newest first. The default returns none: a journal that does not record
   * them has none.
   *
   * @param limit the most records to return, at least 1
   * @return the records, newest first, possibly empty
   * @throws IllegalArgumentException if {@code limit < 1}
   * @throws JournalException if the store failed
   * @since 0.2
   */
  default List<CatchUpRecord> recentCatchUps(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1: " + limit);
    }
    return List.of();
  }

  /**
   * Releases the journal's own resources (threads, connections). Appends waiting for a group
   * commit are committed or failed first. Does not close a caller's {@code DataSource}. The
   * default does nothing.
   */
  @Override
  default void close() {}

  /**
   * A {@link #subscribe} registration.
   *
   * @since 0.2
   */
  interface Subscription extends AutoCloseable {
    /** Stops the callbacks; idempotent. */
    @Override
    void close();
  }
}
