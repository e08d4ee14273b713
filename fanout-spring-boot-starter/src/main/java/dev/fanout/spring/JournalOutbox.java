package dev.fanout.spring;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.InvalidationStatus;
import dev.fanout.Invalidator;
import dev.fanout.Stage;
import dev.fanout.StageReport;
import dev.fanout.SubmissionRejectedException;
import dev.fanout.internal.Futures;
import dev.fanout.jdbc.JdbcJournal;
import dev.fanout.spi.Appended;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The transactional outbox in a Spring transaction: appends an invalidation to the invalidator's
 * {@link JdbcJournal} through the connection of the transaction in progress, so that it is
 * committed with the caller's change or rolled back with it, then follows the entry to its outcome.
 * Only when that transaction runs on the journal's own {@link DataSource} (a {@code
 * DataSourceTransactionManager}, or a JPA transaction manager exposing its connection); otherwise
 * nothing is appended and {@link TransactionalInvalidator} submits after the commit instead.
 *
 * <p>Loaded only when fanout-jdbc and spring-jdbc are on the class path.
 */
final class JournalOutbox {
  private final Invalidator invalidator;
  private final JdbcJournal journal;
  private final DataSource dataSource;

  JournalOutbox(Invalidator invalidator, JdbcJournal journal) {
    this.invalidator = Objects.requireNonNull(invalidator, "invalidator");
    this.journal = Objects.requireNonNull(journal, "journal");
    this.dataSource = journal.dataSource();
  }

  /**
   * Returns the outbox of an invalidator that sends from a {@link JdbcJournal}.
   *
   * @return the outbox, or empty when the invalidator has no journal or another kind
   */
  static Optional<JournalOutbox> of(Invalidator invalidator) {
    return invalidator.journal().filter(JdbcJournal.class::isInstance)
        .map(j -> new JournalOutbox(invalidator, (JdbcJournal) j));
  }

  /**
   * Appends in the current transaction if it is bound to the journal's data source.
   *
   * @return what the journal did, or empty when there is no such transaction (nothing appended)
   */
  Optional<Appended> appendInTransaction(Invalidation invalidation) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()
        || TransactionSynchronizationManager.getResource(dataSource) == null) {
      return Optional.empty();
    }
    Connection connection = DataSourceUtils.getConnection(dataSource);
    try {
      return Optional.of(journal.append(connection, invalidation));
    } finally {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }

  /**
   * Follows what {@link #appendInTransaction} appended, once its transaction committed: the future
   * completes with the report of the delivery that finished the entry (by this process's sender, or
   * by another backend's, as {@link Invalidator#submit} says), or at once with a superseded report.
   *
   * @param submitted what the caller submitted
   * @param appended what the journal did with it in the transaction
   * @return the entry's outcome
   */
  CompletableFuture<InvalidationReport> follow(Invalidation submitted, Appended appended) {
    if (appended.outcome() == Appended.Outcome.SUPERSEDED) {
      return CompletableFuture.completedFuture(new InvalidationReport(submitted, Instant.now(),
          Duration.ZERO, List.of(), 1, appended.newerVersion()));
    }
    // Submitting the committed entry again is idempotent by id: it appends nothing and returns the
    // future the sender completes when it finishes the entry.
    Invalidation entry = appended.entry().invalidation();
    CompletableFuture<InvalidationReport> outcome;
    try {
      outcome = invalidator.submit(entry);
    } catch (RuntimeException e) {
      // Closed, or the journal is away: the entry is committed all the same, and a sender (another
      // backend's, or this one after its restart) delivers it; only this future cannot follow it.
      return CompletableFuture.failedFuture(e);
    }
    if (appended.outcome() != Appended.Outcome.ACCEPTED) {
      return outcome; // a duplicate behaves as submit() does for one
    }
    // The sender may have finished the new entry before it was followed: its status tells how.
    return outcome.exceptionallyCompose(e -> Futures.unwrap(e) instanceof SubmissionRejectedException
        ? invalidator.status(entry.id()).filter(InvalidationStatus::isFinished)
            .map(s -> CompletableFuture.completedFuture(finishedBeforeFollowed(entry, s)))
            .orElseGet(() -> CompletableFuture.failedFuture(e))
        : CompletableFuture.failedFuture(e));
  }

  /** A report, stage by stage, of an entry whose status is all that is left of its delivery. */
  private InvalidationReport finishedBeforeFollowed(Invalidation entry, InvalidationStatus s) {
    boolean delivered = s.state() == InvalidationStatus.State.DELIVERED;
    List<StageReport> stages = invalidator.stages().stream().map(stage -> new StageReport(stage.name(),
        stage instanceof Stage.Fanout ? StageReport.Kind.FANOUT : StageReport.Kind.PURGE,
        delivered ? StageReport.Status.SUCCEEDED : StageReport.Status.FAILED, delivered, List.of(),
        List.of(), s.state() + " before the commit's callback followed it: " + s.summary(),
        Duration.ZERO)).toList();
    return new InvalidationReport(entry, s.acceptedAt(), Duration.between(s.acceptedAt(), s.updatedAt()),
        stages, 1);
  }
}
