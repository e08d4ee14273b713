package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.catchup.CatchUpRecord;
import dev.fanout.catchup.CatchUpReport.Outcome;
import dev.fanout.catchup.CatchUpReport.Reason;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The catch-up table on real PostgreSQL: where it is created, and how it stays bounded. */
class PostgresCatchUpRecordsTest {
  private static final AtomicInteger TABLES = new AtomicInteger();
  private final DataSource ds = TestPostgres.shared().pool();

  private static CatchUpRecord record(String target) {
    return new CatchUpRecord("web", target, Reason.RETURNED, Outcome.CAUGHT_UP,
        Instant.parse("2026-12-04T10:00:00.123456Z"), Instant.parse("2026-12-03T10:00:00Z"),
        40, 2, 9, 2, Duration.ofMillis(830), null);
  }

  @Test
  void aSchemaQualifiedJournalKeepsItsCatchUpsInItsOwnSchema() throws SQLException {
    String table = "catchups_" + TABLES.incrementAndGet();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS ops");
    }
    try (JdbcJournal journal = JdbcJournal.builder().dataSource(ds).schema("ops").table(table)
        .createSchema(true).build()) {
      journal.recordCatchUp(record("10.0.0.7:3000"));
      assertThat(journal.recentCatchUps(5)).containsExactly(record("10.0.0.7:3000"));
    }
    assertThat(count("ops." + table + "_catchup")).isEqualTo(1);
    assertThat(exists("public", table + "_catchup")).as("not in the search path's schema").isFalse();
  }

  @Test
  void onlyTheNewestRecordsAreKept() throws SQLException {
    String table = "catchups_" + TABLES.incrementAndGet();
    try (JdbcJournal journal = JdbcJournal.builder().dataSource(ds).table(table).createSchema(true).build()) {
      journal.recordCatchUp(record("10.0.0.1:3000"));
      journal.recordCatchUp(record("10.0.0.2:3000"));
      // As if the sequence had reached KEPT: the next record (KEPT + 1) pushes the first out.
      try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
        s.execute("SELECT setval('" + table + "_catchup_seq_seq', " + CatchUpRecords.KEPT + ")");
      }
      journal.recordCatchUp(record("10.0.0.3:3000"));

      assertThat(journal.recentCatchUps(10)).extracting(CatchUpRecord::target)
          .containsExactly("10.0.0.3:3000", "10.0.0.2:3000");
      assertThat(count(table + "_catchup")).isEqualTo(2);
    }
  }

  private long count(String table) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private boolean exists(String schema, String table) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT to_regclass('" + schema + "." + table + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }
}
