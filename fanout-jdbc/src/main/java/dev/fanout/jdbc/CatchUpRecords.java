package dev.fanout.jdbc;

import dev.fanout.catchup.CatchUpRecord;
import dev.fanout.catchup.CatchUpReport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The journal's catch-up outcomes, in the table next to the journal's ({@code <table>_catchup}):
 * one row per outcome, the newest {@value #KEPT} kept. Bounded by sequence number rather than by
 * time, so that it needs no scheduled job and a burst of failures cannot grow it; a gap in the
 * sequence (a rolled-back insert) only keeps a few rows fewer. Statements run on the caller's
 * connection, in its transaction.
 */
final class CatchUpRecords {
  /** How many records the table keeps. */
  static final int KEPT = 10_000;

  private static final String COLUMNS = "stage, target, reason, outcome, ended_at, since, paths, tags,"
      + " entries, attempts, elapsed_ms, error";

  private final String table;

  /**
   * @param journalTable the journal's table, qualified by its schema when it has one
   */
  CatchUpRecords(String journalTable) {
    this.table = journalTable + "_catchup";
  }

  String table() {
    return table;
  }

  /** Inserts a record and deletes what falls out of the newest {@value #KEPT}. */
  void insert(Connection c, CatchUpRecord r) throws SQLException {
    long seq;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (" + COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", new String[] {"seq"})) {
      ps.setString(1, r.stage());
      ps.setString(2, r.target());
      ps.setString(3, r.reason().name());
      ps.setString(4, r.outcome().name());
      ps.setObject(5, timestamp(r.at()));
      if (r.since() == null) {
        ps.setNull(6, Types.TIMESTAMP_WITH_TIMEZONE);
      } else {
        ps.setObject(6, timestamp(r.since()));
      }
      ps.setInt(7, r.paths());
      ps.setInt(8, r.tags());
      ps.setInt(9, r.entries());
      ps.setInt(10, r.attempts());
      ps.setLong(11, r.elapsed().toMillis());
      ps.setString(12, r.error());
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        if (!keys.next()) {
          throw new SQLException("the catch-up record's insert returned no sequence number");
        }
        seq = keys.getLong(1);
      }
    }
    if (seq > KEPT) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE seq <= ?")) {
        ps.setLong(1, seq - KEPT);
        ps.executeUpdate();
      }
    }
  }

  /** The newest {@code limit} records, newest first. */
  List<CatchUpRecord> recent(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT " + COLUMNS + " FROM " + table + " ORDER BY seq DESC LIMIT ?")) {
      ps.setInt(1, limit);
      List<CatchUpRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          OffsetDateTime since = rs.getObject("since", OffsetDateTime.class);
          out.add(new CatchUpRecord(rs.getString("stage"), rs.getString("target"),
              CatchUpReport.Reason.valueOf(rs.getString("reason")),
              CatchUpReport.Outcome.valueOf(rs.getString("outcome")),
              rs.getObject("ended_at", OffsetDateTime.class).toInstant(),
              since == null ? null : since.toInstant(),
              rs.getInt("paths"), rs.getInt("tags"), rs.getInt("entries"), rs.getInt("attempts"),
              Duration.ofMillis(rs.getLong("elapsed_ms")), rs.getString("error")));
        }
      }
      return out;
    }
  }

  private static OffsetDateTime timestamp(Instant i) {
    return OffsetDateTime.ofInstant(i.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }
}
