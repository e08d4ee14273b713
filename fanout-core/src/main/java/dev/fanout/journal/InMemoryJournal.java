// Over 500 lines for one job: the whole Journal contract (append, claim, progress, history, expiry, catch-up records) over one lock in memory; its parts share that lock and cannot be split without it.
package dev.fanout.journal;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.JournalException;
import dev.fanout.catchup.CatchUpRecord;
import dev.fanout.internal.Checks;
import dev.fanout.spi.Appended;
import dev.fanout.spi.Backlog;
import dev.fanout.spi.Journal;
import dev.fanout.spi.JournalEntry;
import dev.fanout.spi.Lease;
import dev.fanout.spi.Progress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Journal} held in this JVM's memory: the default when no durable journal is configured.
 * It gives {@code status(id)} and catch-up history within the process and keeps every promise of
 * the {@link Journal} contract, except durability beyond the JVM: what it holds is gone when the
 * process ends. Use a database journal ({@code fanout-jdbc}) for that.
 *
 * <p><b>Bounded.</b> It holds at most {@link Builder#capacity(int) capacity} entries (default
 * {@value #DEFAULT_CAPACITY}). When it is full, an append first drops the oldest <em>finished</em>
 * entry (delivered, failed or superseded: history, not work); when every entry is unfinished, the
 * append fails with a retryable {@link JournalException} and nothing is accepted. It never drops
 * an unfinished entry.
 *
 * <p>Thread-safe: one lock guards the state, held only for the in-memory bookkeeping of a call.
 * Subscribers are called on the thread whose append, release or completion made entries
 * claimable, after the lock is released. A claim looks at every pending entry, so its cost grows
 * with the backlog; the capacity bounds it.
 *
 * @since 0.2
 */
public final class InMemoryJournal implements Journal {
  /** The default capacity, in entries. */
  public static final int DEFAULT_CAPACITY = 100_000;

  private static final Logger LOG = LoggerFactory.getLogger(InMemoryJournal.class);

  private final Clock clock;
  private final int capacity;

  private final Object lock = new Object();
  private final TreeMap<Long, Row> all = new TreeMap<>();
  private final TreeMap<Long, Row> unfinished = new TreeMap<>();
  private final TreeMap<Long, Row> finished = new TreeMap<>();
  private final Map<String, Row> byId = new HashMap<>();
  private final Map<EntityVersion, Row> byVersion = new HashMap<>();
  private final Map<String, TreeMap<Long, Row>> unfinishedByKey = new HashMap<>();
  private final Map<String, Long> newestVersion = new HashMap<>();
  private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();
  private long nextSeq = 1;
  private boolean closed;

  private InMemoryJournal(Builder b) {
    this.clock = b.clock;
    this.capacity = b.capacity;
  }

  /**
   * Returns an in-memory journal with the defaults: capacity {@value #DEFAULT_CAPACITY}, the
   * system clock.
   *
   * @return the journal
   */
  public static InMemoryJournal create() {
    return builder().build();
  }

  /**
   * Returns a builder.
   *
   * @return a builder with the defaults
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the capacity, in entries.
   *
   * @return the capacity
   */
  public int capacity() {
    return capacity;
  }

  @Override
  public Appended append(Invalidation invalidation, Lease claimAs) {
    Objects.requireNonNull(invalidation, "invalidation");
    Appended result;
    synchronized (lock) {
      checkOpen();
      Instant now = now();
      Row existing = byId.get(invalidation.id());
      if (existing == null && invalidation.version() != null) {
        existing = byVersion.get(new EntityVersion(invalidation.entity(), invalidation.version()));
      }
      if (existing != null) {
        return new Appended(Appended.Outcome.DUPLICATE, existing.snapshot(), null);
      }
      makeRoom();
      Row row = new Row(nextSeq++, invalidation, now);
      Long newest = invalidation.version() == null ? null : newestVersion.get(invalidation.entity());
      if (newest != null && newest > invalidation.version()) {
        row.state = State.SUPERSEDED;
        row.summary = "superseded by version " + newest + " of " + invalidation.entity();
        insert(row);
        return new Appended(Appended.Outcome.SUPERSEDED, row.snapshot(), newest);
      }
      if (claimAs != null
          && (!invalidation.hasEntity() || !unfinishedByKey.containsKey(invalidation.entity()))) {
        row.lease = claimAs;
        row.attempts = 1;
      }
      insert(row);
      result = new Appended(Appended.Outcome.ACCEPTED, row.snapshot(), null);
    }
    if (!result.claimed()) {
      notifySubscribers();
    }
    return result;
  }

  @Override
  public List<JournalEntry> claim(String owner, int max, Duration lease) {
    Lease.checkOwner(owner);
    if (max < 1) {
      throw new IllegalArgumentException("max must be >= 1: " + max);
    }
    Checks.positive(lease, "lease");
    synchronized (lock) {
      checkOpen();
      Instant now = now();
      Lease granted = new Lease(owner, now.plus(lease));
      TreeMap<Long, Row> taken = new TreeMap<>();
      int groups = 0;
      for (Row row : unfinished.values()) {
        if (groups >= max) {
          break;
        }
        if (taken.containsKey(row.seq) || isHeld(row, now) || row.nextAttemptAt.isAfter(now)) {
          continue;
        }
        if (row.invalidation.hasEntity()) {
          Collection<Row> sameKey = unfinishedByKey.get(row.invalidation.entity()).values();
          if (sameKey.stream().anyMatch(r -> isHeld(r, now) && !r.lease.owner().equals(owner))) {
            continue;
          }
          for (Row r : sameKey) {
            if (!isHeld(r, now)) {
              taken.put(r.seq, r);
            }
          }
        } else {
          taken.put(row.seq, row);
        }
        groups++;
      }
      List<JournalEntry> out = new ArrayList<>(taken.size());
      for (Row r : taken.values()) {
        r.lease = granted;
        r.attempts++;
        r.updatedAt = now;
        out.add(r.snapshot());
      }
      return out;
    }
  }

  @Override
  public Set<String> renew(String owner, Collection<String> ids, Duration lease) {
    Lease.checkOwner(owner);
    Objects.requireNonNull(ids, "ids");
    Checks.positive(lease, "lease");
    Set<String> lost = new LinkedHashSet<>();
    synchronized (lock) {
      checkOpen();
      Instant now = now();
      for (String id : ids) {
        Row r = byId.get(id);
        if (r == null || !ownedBy(r, owner)) {
          lost.add(id);
        } else {
          r.lease = new Lease(owner, now.plus(lease));
        }
      }
    }
    return lost;
  }

  @Override
  public boolean recordProgress(String id, String owner, Progress progress) {
    Objects.requireNonNull(id, "id");
    Lease.checkOwner(owner);
    Objects.requireNonNull(progress, "progress");
    synchronized (lock) {
      checkOpen();
      Row r = byId.get(id);
      if (r == null || !ownedBy(r, owner)) {
        return false;
      }
      r.progress = r.progress.union(progress);
      return true;
    }
  }

  @Override
  public boolean complete(String id, String owner, State finalState, String summary) {
    Objects.requireNonNull(id, "id");
    Lease.checkOwner(owner);
    if (finalState != State.DELIVERED && finalState != State.FAILED) {
      throw new IllegalArgumentException("finalState must be DELIVERED or FAILED: " + finalState);
    }
    boolean keyed;
    synchronized (lock) {
      checkOpen();
      Row r = byId.get(id);
      if (r == null || r.lease == null || !r.lease.owner().equals(owner)) {
        return false;
      }
      if (r.state != State.PENDING) {
        return r.state == finalState;
      }
      r.state = finalState;
      r.summary = InvalidationStatus.boundSummary(summary);
      r.updatedAt = now();
      unfinished.remove(r.seq);
      finished.put(r.seq, r);
      removeFromKey(r);
      keyed = r.invalidation.hasEntity();
    }
    if (keyed) {
      notifySubscribers(); // the key's next version may be claimable now; nothing else is
    }
    return true;
  }

  @Override
  public boolean release(String id, String owner, Duration delay, String summary) {
    Objects.requireNonNull(id, "id");
    Lease.checkOwner(owner);
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must be >= 0: " + delay);
    }
    synchronized (lock) {
      checkOpen();
      Row r = byId.get(id);
      if (r == null || !ownedBy(r, owner)) {
        return false;
      }
      Instant now = now();
      r.lease = null;
      r.nextAttemptAt = now.plus(delay);
      r.summary = InvalidationStatus.boundSummary(summary);
      r.updatedAt = now;
    }
    notifySubscribers();
    return true;
  }

  @Override
  public Optional<InvalidationStatus> status(String id) {
    Objects.requireNonNull(id, "id");
    synchronized (lock) {
      checkOpen();
      Row r = byId.get(id);
      return r == null ? Optional.empty() : Optional.of(r.snapshot().status(now()));
    }
  }

  @Override
  public List<JournalEntry> history(Instant since, long afterSeq, int limit) {
    Objects.requireNonNull(since, "since");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1: " + limit);
    }
    List<JournalEntry> out = new ArrayList<>();
    synchronized (lock) {
      checkOpen();
      for (Row r : all.tailMap(afterSeq, false).values()) {
        if (out.size() >= limit) {
          break;
        }
        if (r.state != State.SUPERSEDED && !r.acceptedAt.isBefore(since)) {
          out.add(r.snapshot());
        }
      }
    }
    return out;
  }

  @Override
  public int expire(Instant acceptedBefore) {
    Objects.requireNonNull(acceptedBefore, "acceptedBefore");
    synchronized (lock) {
      checkOpen();
      List<Row> old = new ArrayList<>();
      for (Row r : finished.values()) {
        if (r.acceptedAt.isBefore(acceptedBefore)) {
          old.add(r);
        }
      }
      old.forEach(this::remove);
      return old.size();
    }
  }

  @Override
  public Backlog backlog() {
    synchronized (lock) {
      checkOpen();
      if (unfinished.isEmpty()) {
        return Backlog.EMPTY;
      }
      Instant now = now();
      long inFlight = unfinished.values().stream().filter(r -> isHeld(r, now)).count();
      Instant oldest = unfinished.values().stream()
          .map(r -> r.acceptedAt).min(Instant::compareTo).orElseThrow();
      return new Backlog(unfinished.size() - inFlight, inFlight, oldest);
    }
  }

  @Override
  public Subscription subscribe(Runnable onChange) {
    Objects.requireNonNull(onChange, "onChange");
    subscribers.add(onChange);
    return () -> subscribers.remove(onChange);
  }

  /** Empties the journal and refuses further calls with a {@link JournalException}. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      all.clear();
      unfinished.clear();
      finished.clear();
      byId.clear();
      byVersion.clear();
      unfinishedByKey.clear();
      newestVersion.clear();
    }
    subscribers.clear();
  }

  /** How many catch-up records the journal keeps; the oldest are dropped. */
  public static final int CATCH_UP_RECORDS = 1_000;

  /** The most recent catch-up outcomes, newest last; guarded by the journal's lock. */
  private final ArrayDeque<CatchUpRecord> catchUps = new ArrayDeque<>();

  /** Keeps the newest {@value #CATCH_UP_RECORDS} records; refused once the journal is closed. */
  @Override
  public void recordCatchUp(CatchUpRecord record) {
    Objects.requireNonNull(record, "record");
    synchronized (lock) {
      checkOpen();
      if (catchUps.size() == CATCH_UP_RECORDS) {
        catchUps.pollFirst();
      }
      catchUps.addLast(record);
    }
  }

  @Override
  public List<CatchUpRecord> recentCatchUps(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1: " + limit);
    }
    List<CatchUpRecord> out = new ArrayList<>(Math.min(limit, CATCH_UP_RECORDS));
    synchronized (lock) {
      checkOpen();
      for (Iterator<CatchUpRecord> it = catchUps.descendingIterator(); it.hasNext() && out.size() < limit; ) {
        out.add(it.next());
      }
    }
    return out;
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return "InMemoryJournal[" + all.size() + "/" + capacity + " entries, "
          + unfinished.size() + " unfinished]";
    }
  }

  private Instant now() {
    return clock.instant();
  }

  private void checkOpen() {
    if (closed) {
      throw new JournalException("the in-memory journal is closed", false, null);
    }
  }

  private void makeRoom() {
    if (all.size() < capacity) {
      return;
    }
    if (finished.isEmpty()) {
      throw new JournalException(
          "the in-memory journal is full: " + all.size() + " unfinished entries (capacity "
              + capacity + "); nothing was accepted", true, null);
    }
    remove(finished.firstEntry().getValue());
  }

  private void insert(Row row) {
    Invalidation inv = row.invalidation;
    all.put(row.seq, row);
    byId.put(inv.id(), row);
    if (inv.version() != null) {
      byVersion.put(new EntityVersion(inv.entity(), inv.version()), row);
      newestVersion.merge(inv.entity(), inv.version(), Math::max);
    }
    if (row.state.isFinished()) {
      finished.put(row.seq, row);
    } else {
      unfinished.put(row.seq, row);
      if (inv.hasEntity()) {
        unfinishedByKey.computeIfAbsent(inv.entity(), k -> new TreeMap<>()).put(row.seq, row);
      }
    }
  }

  private void remove(Row row) {
    Invalidation inv = row.invalidation;
    all.remove(row.seq);
    finished.remove(row.seq);
    unfinished.remove(row.seq);
    byId.remove(inv.id());
    if (inv.version() != null) {
      byVersion.remove(new EntityVersion(inv.entity(), inv.version()));
    }
    removeFromKey(row);
  }

  private void removeFromKey(Row row) {
    if (row.invalidation.hasEntity()) {
      TreeMap<Long, Row> sameKey = unfinishedByKey.get(row.invalidation.entity());
      if (sameKey != null) {
        sameKey.remove(row.seq);
        if (sameKey.isEmpty()) {
          unfinishedByKey.remove(row.invalidation.entity());
        }
      }
    }
  }

  private static boolean isHeld(Row r, Instant now) {
    return r.lease != null && r.lease.isLive(now);
  }

  /** The owner holds the lease, live or ended, and nobody took it over. */
  private static boolean ownedBy(Row r, String owner) {
    return r.state == State.PENDING && r.lease != null && r.lease.owner().equals(owner);
  }

  private void notifySubscribers() {
    for (Runnable s : subscribers) {
      try {
        s.run();
      } catch (RuntimeException e) {
        LOG.warn("a journal subscriber threw; ignored", e);
      }
    }
  }

  private record EntityVersion(String entity, long version) {}

  /** The mutable state of one entry, guarded by the journal's lock. */
  private static final class Row {
    final long seq;
    final Invalidation invalidation;
    final Instant acceptedAt;
    State state = State.PENDING;
    Instant updatedAt;
    Instant nextAttemptAt;
    int attempts;
    Lease lease;
    Progress progress = Progress.NONE;
    String summary = "";

    Row(long seq, Invalidation invalidation, Instant now) {
      this.seq = seq;
      this.invalidation = invalidation;
      this.acceptedAt = now;
      this.updatedAt = now;
      this.nextAttemptAt = now;
    }

    JournalEntry snapshot() {
      return new JournalEntry(seq, invalidation, state, acceptedAt, updatedAt, nextAttemptAt,
          attempts, lease, progress, summary);
    }
  }

  /**
   * Builds an {@link InMemoryJournal}. Not thread-safe.
   *
   * @since 0.2
   */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private int capacity = DEFAULT_CAPACITY;

    private Builder() {}

    /**
     * Sets the clock leases, retry times and acceptance times are read from.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets how many entries the journal holds at most, finished ones included.
     *
     * @param capacity at least 1
     * @return this builder
     */
    public Builder capacity(int capacity) {
      this.capacity = capacity;
      return this;
    }

    /**
     * Validates and builds the journal.
     *
     * @return the journal
     * @throws IllegalArgumentException if {@code capacity} is below 1
     */
    public InMemoryJournal build() {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be >= 1: " + capacity);
      }
      return new InMemoryJournal(this);
    }
  }
}
