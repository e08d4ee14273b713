package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.Invalidation;
import dev.fanout.JournalException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** Builder validation, the schema file, and secrets kept out of messages. */
class JdbcJournalBuilderTest {

  @Test
  void invalidSettingsAreNamed() {
    JdbcDataSource ds = new JdbcDataSource();
    assertThatThrownBy(() -> JdbcJournal.builder().build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dataSource");
    assertThatThrownBy(() -> JdbcJournal.builder().dataSource(ds).table("j; DROP TABLE x").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table");
    assertThatThrownBy(() -> JdbcJournal.builder().dataSource(ds).schema("a.b").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schema");
    assertThatThrownBy(() -> JdbcJournal.builder().dataSource(ds).pollInterval(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pollInterval");
    assertThatThrownBy(() -> JdbcJournal.builder().dataSource(ds).appendTimeout(Duration.ofSeconds(-1)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("appendTimeout");
    assertThatThrownBy(() -> JdbcJournal.builder().dataSource(ds).maxBatchSize(0).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBatchSize");
  }

  @Test
  void aCustomTableInASchemaIsCreatedWithItsOwnIndexNames() throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:custom;DB_CLOSE_DELAY=-1");
    try (Connection c = ds.getConnection()) {
      c.createStatement().execute("CREATE SCHEMA app");
    }
    try (JdbcJournal j = JdbcJournal.builder().dataSource(ds).schema("app").table("cache_journal")
        .createSchema(true).build()) {
      j.append(Invalidation.ofPaths("/x"));
      assertThat(j.backlog().pending()).isEqualTo(1);
    }
    try (Connection c = ds.getConnection();
        var rs = c.createStatement().executeQuery("SELECT INDEX_NAME FROM INFORMATION_SCHEMA.INDEXES"
            + " WHERE TABLE_SCHEMA = 'APP' AND TABLE_NAME = 'CACHE_JOURNAL'")) {
      List<String> names = new java.util.ArrayList<>();
      while (rs.next()) {
        names.add(rs.getString(1));
      }
      assertThat(names).contains("CACHE_JOURNAL_ID_UQ", "CACHE_JOURNAL_ENTITY_VERSION_UQ");
    }
  }

  @Test
  void theShippedPostgresqlSchemaIsAvailableToMigrationTools() {
    String sql = JdbcJournal.postgresqlSchema();
    assertThat(sql).contains("CREATE TABLE IF NOT EXISTS fanout_journal")
        .contains("fanout_journal_entity_version_uq").contains("WHERE state = 'P'");
  }

  @Test
  void credentialsInADriverMessageNeverReachTheExceptionOrItsCause() {
    // A data source whose driver puts the connection URL, password included, in its message.
    DataSource failing = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
          if (method.getName().equals("getConnection")) {
            throw new SQLException("could not connect to jdbc:postgresql://app:hunter2@db.internal:5432/shop"
                + "?user=app&password=hunter2 (password=hunter2)", "08001");
          }
          throw new UnsupportedOperationException(method.getName());
        });
    JdbcJournal j = JdbcJournal.builder().dataSource(failing).build();
    try {
      assertThatThrownBy(() -> j.append(Invalidation.ofPaths("/x")))
          .isInstanceOf(JournalException.class)
          .satisfies(e -> {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            assertThat(trace.toString()).doesNotContain("hunter2").contains("db.internal:5432/shop")
                .contains("SQLState 08001");
            assertThat(((JournalException) e).isRetryable()).isTrue();
          });
    } finally {
      j.close();
    }
  }

  @Test
  void redactionKeepsWhatHelpsAndDropsWhatIsSecret() {
    assertThat(SqlErrors.redact("FATAL: password authentication failed for user \"app\""))
        .isEqualTo("FATAL: password authentication failed for user \"app\"");
    assertThat(SqlErrors.redact("url jdbc:h2:tcp://u:pw@host/db;PASSWORD=pw end"))
        .doesNotContain("pw@").doesNotContain("=pw");
    assertThat(SqlErrors.redact("token: abc123 secret=xyz")).doesNotContain("abc123").doesNotContain("xyz");
  }

  @Test
  void aClosedJournalRefusesAppends() {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:closed;DB_CLOSE_DELAY=-1");
    JdbcJournal j = JdbcJournal.builder().dataSource(ds).createSchema(true).build();
    j.close();
    assertThatThrownBy(() -> j.append(Invalidation.ofPaths("/x")))
        .isInstanceOf(JournalException.class).hasMessageContaining("closed");
  }
}
