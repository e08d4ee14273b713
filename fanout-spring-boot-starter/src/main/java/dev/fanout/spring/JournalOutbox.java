package dev.fanout.spring;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.InvalidatorClosedException;
import dev.fanout.SubmissionRejectedException;
import dev.fanout.jdbc.JdbcJournal;
import dev.fanout.spi.Appended;
import dev.fanout.spi.JournalEntry;
import java.sql.Connection;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
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
   * What an append in a transaction leaves for the transaction's end.
   *
   * @param afterCommit the caller's future once the transaction committed
   * @param afterRollback what to undo when it rolled back
   */
  record Pending(Supplier<CompletableFuture<InvalidationReport>> afterCommit,
      Runnable afterRollback) {}

  /**
   * Appends in the current transaction if it is bound to the journal's data source. A new entry is
   * followed from now on ({@link Invalidator#follow}), before the commit, so that no sender can
   * finish it unseen; the caller's future after the commit completes with the report of the
   * delivery that finished it; so is a duplicate of an entry still pending. A superseded one
   * completes at once with a superseded report, and a duplicate of a finished entry fails with a
   * {@link SubmissionRejectedException}, as {@link Invalidator#submit} does for one: nothing after
   * the commit calls the journal. A closed invalidator does not abort the caller's transaction: the
   * entry commits with it for another sender, and the caller's future fails after the commit.
   *
   * @return what to do at the transaction's end, or empty when there is no such transaction
   *     (nothing appended)
   */
  Optional<Pending> appendInTransaction(Invalidation invalidation) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()
        || TransactionSynchronizationManager.getResource(dataSource) == null) {
      return Optional.empty();
    }
    Appended appended;
    Connection connection = DataSourceUtils.getConnection(dataSource);
    try {
      appended = journal.append(connection, invalidation);
    } finally {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
    if (appended.outcome() == Appended.Outcome.SUPERSEDED) {
      InvalidationReport superseded = InvalidationReport.superseded(invalidation, appended.newerVersion(), Instant.now());
      return Optional.of(new Pending(() -> CompletableFuture.completedFuture(superseded), () -> { }));
    }
    JournalEntry entry = appended.entry();
    if (entry.state().isFinished()) {
      // A duplicate of an entry finished already: refused as submit() refuses one, without another
      // journal call after the commit (the committing thread still holds its connection then).
      SubmissionRejectedException refused = SubmissionRejectedException.alreadyFinished(invalidation, entry);
      return Optional.of(new Pending(() -> CompletableFuture.failedFuture(refused), () -> { }));
    }
    // New, or a duplicate of a pending entry (appended earlier in this transaction, or by another):
    // followed from now on, so that no sender can finish it unseen.
    CompletableFuture<InvalidationReport> followed;
    try {
      followed = invalidator.follow(entry.invalidation());
    } catch (InvalidatorClosedException closed) {
      // The entry commits with the caller's change all the same, and another sender or the next
      // start delivers it; only this process will not follow it. The caller's transaction goes on.
      return Optional.of(new Pending(() -> {
        throw closed;
      }, () -> { }));
    }
    return Optional.of(new Pending(() -> followed, () -> followed.cancel(false)));
  }
}
