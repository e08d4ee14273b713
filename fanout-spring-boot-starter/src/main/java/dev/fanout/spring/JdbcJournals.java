package dev.fanout.spring;

import static dev.fanout.spring.internal.Settings.get;
import static dev.fanout.spring.internal.Settings.set;

import dev.fanout.JournalException;
import dev.fanout.jdbc.JdbcJournal;
import dev.fanout.spi.Journal;
import javax.sql.DataSource;

/** Builds a {@link JdbcJournal}; loaded only when fanout-jdbc is on the class path. */
final class JdbcJournals {
  private JdbcJournals() {}

  static Journal build(DataSource dataSource, FanoutProperties.Journal j) {
    JdbcJournal.Builder b = JdbcJournal.builder().dataSource(dataSource);
    if (j.table() != null) {
      set("fanout.journal.table", "An unquoted SQL identifier.", () -> b.table(j.table()));
    }
    if (j.schema() != null) {
      set("fanout.journal.schema", "An unquoted SQL identifier.", () -> b.schema(j.schema()));
    }
    b.createSchema(j.createSchema());
    if (j.pollInterval() != null) {
      set("fanout.journal.poll-interval", "A positive duration, e.g. 1s.", () -> b.pollInterval(j.pollInterval()));
    }
    if (j.listen() != null) {
      b.listen(j.listen());
    }
    if (j.maxBatchSize() != null) {
      set("fanout.journal.max-batch-size", "1 to 10000.", () -> b.maxBatchSize(j.maxBatchSize()));
    }
    if (j.appendTimeout() != null) {
      set("fanout.journal.append-timeout", "A positive duration, e.g. 30s.", () -> b.appendTimeout(j.appendTimeout()));
    }
    JdbcJournal journal;
    try {
      journal = get("fanout.journal", "Valid journal settings.", b::build);
    } catch (JournalException e) {
      throw new FanoutConfigurationException("fanout.journal.create-schema",
          "the journal table could not be created: " + e.getMessage(),
          "Check that the application's database role may create tables, or apply "
              + "schema-postgresql.sql as a migration and set create-schema: false.", e);
    }
    try {
      // The table must be there now rather than at the first submission.
      journal.backlog();
    } catch (JournalException e) {
      journal.close();
      throw new FanoutConfigurationException("fanout.journal.table",
          "the journal table cannot be read: " + e.getMessage(),
          "Apply dev/fanout/jdbc/schema-postgresql.sql (in fanout-jdbc's jar) as a migration, or set "
              + "fanout.journal.create-schema: true; check fanout.journal.table and schema.", e);
    }
    return journal;
  }
}
