package dev.fanout.spring;

import dev.fanout.Invalidation;
import dev.fanout.jdbc.JdbcJournal;
import dev.fanout.spi.Appended;
import java.sql.Connection;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The transactional outbox in a Spring transaction: appends an invalidation to the {@link
 * JdbcJournal} through the connection of the transaction in progress, so that it is committed with
 * the caller's change or rolled back with it. Only when that transaction runs on the journal's own
 * {@link DataSource} (a {@code DataSourceTransactionManager}, or a JPA transaction manager exposing
 * its connection); otherwise nothing is appended and the caller falls back to sending after the
 * commit.
 *
 * <p>Not wired into {@link TransactionalInvalidator} yet: an entry appended here is delivered by
 * the invalidator's sender loop, but the caller's future would have to follow the journal's status
 * rather than a local submission, which that bean does not do yet.
 */
final class JournalOutbox {
  private final JdbcJournal journal;
  private final DataSource dataSource;

  JournalOutbox(JdbcJournal journal, DataSource dataSource) {
    this.journal = Objects.requireNonNull(journal, "journal");
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
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
}
