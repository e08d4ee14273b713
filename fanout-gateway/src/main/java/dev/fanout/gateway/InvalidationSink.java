package dev.fanout.gateway;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.InvalidationStatus;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.Invalidator;
import dev.fanout.InvalidatorClosedException;
import dev.fanout.JournalException;
import dev.fanout.SubmissionRejectedException;
import dev.fanout.spi.Appended;
import dev.fanout.spi.Journal;
import dev.fanout.spi.JournalEntry;
import dev.fanout.spi.Lease;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where the gateway hands an invalidation to fanout, and asks where it stands.
 *
 * <p>Without a journal, {@link #accept} submits to the starter's {@link Invalidator} (coalesced
 * with the other webhooks of the moment) and keeps the outcome of the most recent invalidations in
 * memory for {@link #status}; an accepted invalidation is then held only in this process.
 *
 * <p>With a journal (fanout-jdbc's {@code JdbcJournal}, built by the starter when {@code
 * fanout.journal.enabled} and a {@code DataSource} are configured), {@link #accept} first appends
 * the invalidation, claimed by this gateway with a lease, and returns only once that is committed:
 * a webhook answered 202 is in the database. Then it submits, and records the outcome (delivered
 * or failed, with the {@linkplain EditorSummary editor's summary}) in the journal, which every
 * gateway replica reads for {@link #status}. The journal's idempotence by id recognises a change
 * another replica, or this one before a restart, already accepted. Entries whose sending did not
 * finish (the process stopped, the invalidator refused the submission) become claimable when their
 * lease ends, and {@link #recover()}, which the gateway runs on a timer, claims and sends them.
 *
 * <p>fanout-core's own journal sender ({@code Invalidator.builder().journal(journal)}) will take
 * over the append, the sending and the status when it exists; this class is then the only one to
 * change.
 */
public final class InvalidationSink {
  private static final Logger log = LoggerFactory.getLogger(InvalidationSink.class);

  private final Invalidator invalidator;
  private final Journal journal;
  private final Clock clock;
  private final Duration lease;
  private final Executor recorder;
  private final String owner = "gateway-" + UUID.randomUUID();
  private final Map<String, InvalidationStatus> recent;

  /**
   * What {@link #accept} did.
   *
   * @param id the invalidation's id (for a duplicate: the id accepted first)
   * @param duplicate whether this change had been accepted already, so nothing new was sent
   */
  public record Accepted(String id, boolean duplicate) {}

  /** The journal or the invalidator cannot take the invalidation now; the sender should retry. */
  public static final class Unavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Creates the sink.
   *
   * @param invalidator the starter's invalidator
   * @param journal the journal, or {@code null} for none
   * @param clock the clock of the status times
   * @param lease how long this gateway holds an entry it sends: longer than an invalidation can
   *     take (deadline plus the coalescer's max wait)
   * @param recentCapacity how many statuses are kept in memory
   * @param recorder where journal writes after a report run (they block)
   */
  public InvalidationSink(Invalidator invalidator, Journal journal, Clock clock, Duration lease,
      int recentCapacity, Executor recorder) {
    this.invalidator = Objects.requireNonNull(invalidator, "invalidator");
    this.journal = journal;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.lease = Objects.requireNonNull(lease, "lease");
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.recent = new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, InvalidationStatus> eldest) {
        return size() > recentCapacity;
      }
    };
  }

  /**
   * Returns whether accepted invalidations are durable before {@link #accept} returns.
   *
   * @return true with a journal
   */
  public boolean durable() {
    return journal != null;
  }

  /**
   * Accepts an invalidation: durable first when there is a journal, then submitted.
   *
   * @param invalidation the invalidation
   * @return what was done
   * @throws Unavailable when the journal cannot record it or the invalidator refuses it now
   */
  public Accepted accept(Invalidation invalidation) {
    if (journal == null) {
      synchronized (recent) {
        if (recent.containsKey(invalidation.id())) {
          return new Accepted(invalidation.id(), true);
        }
        record(invalidation.id(), State.PENDING, "");
      }
      try {
        send(invalidation, false);
      } catch (RuntimeException e) {
        synchronized (recent) {
          recent.remove(invalidation.id());
        }
        throw e;
      }
      return new Accepted(invalidation.id(), false);
    }
    Appended appended;
    try {
      appended = journal.append(invalidation, new Lease(owner, clock.instant().plus(lease)));
    } catch (JournalException e) {
      throw new Unavailable("the journal cannot record the invalidation now", e);
    }
    if (!appended.claimed()) {
      // Already journaled: by a retry of this webhook, another gateway replica, or before a restart.
      return new Accepted(appended.entry().id(), true);
    }
    record(invalidation.id(), State.IN_FLIGHT, "");
    try {
      send(invalidation, true);
    } catch (Unavailable e) {
      // Committed already: give it back, so that recover() (here or in another replica) sends it.
      recorder.execute(() -> release(invalidation.id(), e.getMessage()));
    }
    return new Accepted(invalidation.id(), false);
  }

  private void send(Invalidation invalidation, boolean journaled) {
    CompletableFuture<InvalidationReport> report;
    try {
      report = invalidator.submit(invalidation);
    } catch (SubmissionRejectedException | InvalidatorClosedException e) {
      throw new Unavailable("the gateway cannot take more invalidations now", e);
    }
    report.whenCompleteAsync((r, failure) -> finished(invalidation.id(), r, failure, journaled),
        recorder);
  }

  private void finished(String id, InvalidationReport report, Throwable failure, boolean journaled) {
    if (report == null) {
      // Closed before the flush finished: the journal entry stays for recover(); in memory, failed.
      String why = "not sent: the gateway stopped first";
      record(id, State.FAILED, why);
      if (journaled) {
        release(id, why);
      }
      return;
    }
    State state = report.isComplete() || report.isSuperseded() ? State.DELIVERED : State.FAILED;
    String summary = EditorSummary.of(report);
    record(id, state, summary);
    if (!report.isComplete()) {
      log.warn("invalidation {} incomplete:\n{}", id, report.summary());
    }
    if (journaled) {
      try {
        journal.complete(id, owner, state, summary);
      } catch (JournalException e) {
        log.warn("invalidation {}: could not record its outcome ({}); its lease ends and it is "
            + "sent again", id, e.getMessage());
      }
    }
  }

  private void release(String id, String why) {
    try {
      journal.release(id, owner, Duration.ZERO, why);
    } catch (JournalException e) {
      log.warn("invalidation {}: could not release it ({}); its lease ends and it is sent again",
          id, e.getMessage());
    }
  }

  /**
   * Claims journal entries that nobody is sending (their sender stopped, or could not submit) and
   * sends them. Does nothing without a journal.
   *
   * @return how many entries were claimed
   */
  public int recover() {
    if (journal == null) {
      return 0;
    }
    List<JournalEntry> claimed;
    try {
      claimed = journal.claim(owner, 64, lease);
    } catch (JournalException e) {
      log.debug("recovery claim failed: {}", e.getMessage());
      return 0;
    }
    for (JournalEntry entry : claimed) {
      record(entry.id(), State.IN_FLIGHT, "");
      try {
        send(entry.invalidation(), true);
      } catch (Unavailable e) {
        release(entry.id(), e.getMessage());
      }
    }
    return claimed.size();
  }

  /**
   * Returns where an invalidation stands.
   *
   * @param id the invalidation id
   * @return its status, or empty when unknown (never accepted here, or forgotten)
   * @throws Unavailable when the journal cannot be read
   */
  public Optional<InvalidationStatus> status(String id) {
    if (journal != null) {
      try {
        return journal.status(id);
      } catch (JournalException e) {
        throw new Unavailable("the journal cannot be read now", e);
      }
    }
    synchronized (recent) {
      return Optional.ofNullable(recent.get(id));
    }
  }

  private void record(String id, State state, String summary) {
    Instant now = clock.instant();
    synchronized (recent) {
      InvalidationStatus before = recent.get(id);
      recent.put(id, new InvalidationStatus(id, state, before == null ? now : before.acceptedAt(),
          now, before == null ? 1 : before.attempts(), summary));
    }
  }

  @Override
  public String toString() {
    return "InvalidationSink[" + (journal == null ? "in memory" : "journal " + journal) + "]";
  }
}
