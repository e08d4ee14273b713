package dev.fanout.gateway;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.InvalidationStatus;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.Invalidator;
import dev.fanout.InvalidatorClosedException;
import dev.fanout.JournalException;
import dev.fanout.SubmissionRejectedException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where the gateway hands an invalidation to fanout, and asks where it stands.
 *
 * <p>With a journal (fanout-jdbc's {@code JdbcJournal}, built by the starter when {@code
 * fanout.journal.enabled} and a {@code DataSource} are configured, and given to the invalidator by
 * {@link GatewayConfiguration}), the invalidator's {@code submit} appends the invalidation before it
 * returns: a webhook answered 202 is committed. The invalidator's sender loop, in every gateway
 * replica, claims what is due, delivers it, records which targets acknowledged and redelivers only
 * to the others, also what a stopped replica left; {@link #status} reads the shared journal. The
 * journal's idempotence by id recognises a change another replica, or this one before a restart,
 * already accepted.
 *
 * <p>Without a journal, {@link #accept} submits to the invalidator (coalesced with the other
 * webhooks of the moment) and keeps the outcome of the most recent invalidations in memory; an
 * accepted invalidation is then held only in this process.
 *
 * <p>Either way, a status's summary is the report's {@linkplain InvalidationReport#outcome()
 * outcome}, which names no host: kept here for what this process sent, kept in the journal by the
 * sender that finished the entry.
 */
public final class InvalidationSink {
  private static final Logger log = LoggerFactory.getLogger(InvalidationSink.class);

  private final Invalidator invalidator;
  private final boolean journaled;
  private final Clock clock;
  private final Executor recorder;
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
   * @param journaled whether the invalidator has a journal ({@code Invalidator.Builder#journal})
   * @param clock the clock of the in-memory status times
   * @param recentCapacity how many statuses are kept in memory
   * @param recorder where reports are recorded
   */
  public InvalidationSink(Invalidator invalidator, boolean journaled, Clock clock,
      int recentCapacity, Executor recorder) {
    this.invalidator = Objects.requireNonNull(invalidator, "invalidator");
    this.journaled = journaled;
    this.clock = Objects.requireNonNull(clock, "clock");
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
    return journaled;
  }

  /**
   * Accepts an invalidation: durable first when there is a journal, then sent.
   *
   * @param invalidation the invalidation
   * @return what was done
   * @throws Unavailable when the journal cannot record it or the invalidator refuses it now
   */
  public Accepted accept(Invalidation invalidation) {
    String id = invalidation.id();
    synchronized (recent) {
      if (recent.containsKey(id)) {
        return new Accepted(id, true);
      }
      record(id, State.PENDING, "");
    }
    try {
      if (journaled && read(id).isPresent()) {
        // Journaled already: by another gateway replica, or by this one before a restart.
        forget(id);
        return new Accepted(id, true);
      }
      CompletableFuture<InvalidationReport> report = submit(invalidation);
      report.whenCompleteAsync((r, failure) -> finished(id, r, failure), recorder);
      return new Accepted(id, false);
    } catch (RuntimeException e) {
      // Nothing was accepted: a retry of this webhook must not look like a duplicate.
      forget(id);
      throw e;
    }
  }

  private CompletableFuture<InvalidationReport> submit(Invalidation invalidation) {
    try {
      return invalidator.submit(invalidation);
    } catch (JournalException e) {
      throw new Unavailable("the journal cannot record the invalidation now", e);
    } catch (SubmissionRejectedException | InvalidatorClosedException e) {
      throw new Unavailable("the gateway cannot take more invalidations now", e);
    }
  }

  private void finished(String id, InvalidationReport report, Throwable failure) {
    if (report == null) {
      // Closed first: with a journal the entry stays there and a sender finishes it.
      if (journaled) {
        forget(id);
      } else {
        record(id, State.FAILED, "not sent: the gateway stopped first");
      }
      return;
    }
    State state = report.isComplete() || report.isSuperseded() ? State.DELIVERED : State.FAILED;
    record(id, state, report.outcome());
    if (!report.isComplete()) {
      log.warn("invalidation {} incomplete:\n{}", id, report.summary());
    }
  }

  /**
   * Returns where an invalidation stands.
   *
   * @param id the invalidation id
   * @return its status, or empty when unknown (never accepted, or forgotten)
   * @throws Unavailable when the journal cannot be read
   */
  public Optional<InvalidationStatus> status(String id) {
    InvalidationStatus mine;
    synchronized (recent) {
      mine = recent.get(id);
    }
    if (mine != null && mine.isFinished() || !journaled) {
      return Optional.ofNullable(mine);
    }
    return read(id);
  }

  private Optional<InvalidationStatus> read(String id) {
    try {
      return invalidator.status(id);
    } catch (JournalException e) {
      throw new Unavailable("the journal cannot be read now", e);
    }
  }

  private void record(String id, State state, String summary) {
    Instant now = clock.instant();
    synchronized (recent) {
      InvalidationStatus before = recent.get(id);
      recent.put(id, new InvalidationStatus(id, state, before == null ? now : before.acceptedAt(),
          now, 1, summary));
    }
  }

  private void forget(String id) {
    synchronized (recent) {
      recent.remove(id);
    }
  }

  @Override
  public String toString() {
    return "InvalidationSink[" + (journaled ? "journal" : "in memory") + "]";
  }
}
