package dev.fanout.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.jdbc.JdbcJournal;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.transaction.support.TransactionTemplate;

/** The outbox appends through the transaction's connection: committed with it, or not at all. */
class JournalOutboxTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
          DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class))
      .withConfiguration(Fixtures.starter())
      .withPropertyValues("spring.datasource.url=jdbc:h2:mem:outbox;DB_CLOSE_DELAY=-1",
          "fanout.journal.enabled=true", "fanout.journal.create-schema=true");

  @Test
  void committedWithTheTransactionOrRolledBackWithIt() {
    runner.run(context -> {
      JdbcJournal journal = context.getBean(JdbcJournal.class);
      JournalOutbox outbox = new JournalOutbox(journal, context.getBean(DataSource.class));
      TransactionTemplate tx = context.getBean(TransactionTemplate.class);
      Invalidation kept = Invalidation.builder().path("/kept").build();
      Invalidation dropped = Invalidation.builder().path("/dropped").build();

      tx.executeWithoutResult(s -> {
        assertThat(outbox.appendInTransaction(kept)).isPresent();
        assertThat(journal.status(kept.id())).as("not visible before the commit").isEmpty();
      });
      tx.executeWithoutResult(s -> {
        assertThat(outbox.appendInTransaction(dropped)).isPresent();
        s.setRollbackOnly();
      });

      assertThat(journal.status(kept.id())).map(InvalidationStatus::state)
          .hasValue(InvalidationStatus.State.PENDING);
      assertThat(journal.status(dropped.id())).isEmpty();
      assertThat(outbox.appendInTransaction(Invalidation.builder().path("/none").build()))
          .as("no transaction, nothing appended").isEmpty();
    });
  }
}
