package dev.fanout.jdbc;

import dev.fanout.JournalException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Everything that differs between the databases the journal supports; the SQL elsewhere is common
 * to both (both have {@code FOR UPDATE SKIP LOCKED}, {@code = ANY(array)}, {@code LIMIT}).
 *
 * <ul>
 *   <li><b>PostgreSQL</b> (the reference): transaction-scoped advisory locks serialize the work on
 *       one entity key across processes (appends and completions wait for them, claims skip a
 *       key another transaction holds); {@code pg_notify} in the committing transaction wakes
 *       every process's subscribers.
 *   <li><b>H2</b> (demos and tests, one process): no advisory locks, so claims and appends of one
 *       journal instance are serialized by a lock in the JVM, which is why two processes must not
 *       share an H2 journal; no notifications, so subscribers are polled.
 * </ul>
 */
enum Dialect {
  POSTGRESQL("schema-postgresql.sql", true) {
    @Override
    String lockKeysStatement(String keys) {
      // Every transaction takes its locks in the order of the lock ids (PostgreSQL sorts before it
      // evaluates the volatile select list), so two transactions locking overlapping keys never
      // wait for each other in a cycle, however their keys' hashes collide.
      return "SELECT pg_advisory_xact_lock(?, h) FROM (SELECT DISTINCT hashtext(u.k) AS h"
          + " FROM (" + keys + ") AS u(k)) AS l ORDER BY h";
    }

    @Override
    void planEachExecution(PreparedStatement ps) throws SQLException {
      PgDriver.planEachExecution(ps);
    }

    @Override
    boolean tryLockKey(Connection c, String table, String key) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?, hashtext(?))")) {
        ps.setInt(1, table.hashCode());
        ps.setString(2, key);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getBoolean(1);
        }
      }
    }

    @Override
    void notifyChange(Connection c, String channel) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, '')")) {
        ps.setString(1, channel);
        ps.executeQuery().close();
      }
    }

    @Override
    String returning(String update, String columns) {
      return update + " RETURNING " + columns;
    }

    @Override
    Array longs(Connection c, Long[] values) throws SQLException {
      return c.createArrayOf("int8", values);
    }

    @Override
    Array strings(Connection c, String[] values) throws SQLException {
      return c.createArrayOf("text", values);
    }
  },

  H2("schema-h2.sql", false) {
    @Override
    String lockKeysStatement(String keys) {
      return null; // serialized by the journal's in-process lock instead
    }

    @Override
    void planEachExecution(PreparedStatement ps) {
      // Left to H2: the demo database is not tuned.
    }

    @Override
    boolean tryLockKey(Connection c, String table, String key) {
      return true;
    }

    @Override
    void notifyChange(Connection c, String channel) {
      // H2 has no notifications: subscribers are polled.
    }

    @Override
    String returning(String update, String columns) {
      return "SELECT " + columns + " FROM FINAL TABLE (" + update + ")";
    }

    @Override
    Array longs(Connection c, Long[] values) throws SQLException {
      return c.createArrayOf("BIGINT", values);
    }

    @Override
    Array strings(Connection c, String[] values) throws SQLException {
      return c.createArrayOf("VARCHAR", values);
    }
  };

  /** The schema file, a resource next to this class. */
  final String schemaResource;
  /** Whether the database tells other connections of changes (LISTEN/NOTIFY). */
  final boolean notifies;

  Dialect(String schemaResource, boolean notifies) {
    this.schemaResource = schemaResource;
    this.notifies = notifies;
  }

  /**
   * Returns whether claims and appends of one journal must be serialized in the JVM because the
   * database cannot lock an entity key.
   */
  boolean needsProcessLock() {
    return this == H2;
  }

  /**
   * Returns a query that locks entity keys until the transaction ends, waiting for other holders,
   * in one order that every transaction locking keys of the table follows. Its first parameter is
   * the table's lock class ({@code table.hashCode()}, as {@link #tryLockKey} takes), then those of
   * {@code keys}, a query of one column that yields the keys. Returns {@code null} when the
   * database has no such locks.
   */
  abstract String lockKeysStatement(String keys);

  /**
   * Has the database plan the statement with its parameters, and the table as it is, at every
   * execution, instead of reusing a plan made once: for look-ups whose best plan changes as the
   * table grows.
   */
  abstract void planEachExecution(PreparedStatement ps) throws SQLException;

  /** Locks an entity key until the transaction ends if nobody holds it; never waits. */
  abstract boolean tryLockKey(Connection c, String table, String key) throws SQLException;

  /** Tells listeners, when the transaction commits, that entries may be claimable. */
  abstract void notifyChange(Connection c, String channel) throws SQLException;

  /**
   * Returns a query that runs {@code update} and yields the given columns of the rows it changed,
   * as they are after it.
   */
  abstract String returning(String update, String columns);

  abstract Array longs(Connection c, Long[] values) throws SQLException;

  abstract Array strings(Connection c, String[] values) throws SQLException;

  /**
   * Recognises the database behind a connection.
   *
   * @throws JournalException if it is neither PostgreSQL nor H2
   */
  static Dialect of(Connection c) throws SQLException {
    String product = c.getMetaData().getDatabaseProductName();
    if (product != null && product.toLowerCase(java.util.Locale.ROOT).contains("postgresql")) {
      return POSTGRESQL;
    }
    if ("H2".equalsIgnoreCase(product)) {
      return H2;
    }
    throw new JournalException("the JDBC journal supports PostgreSQL and H2, not " + product, false, null);
  }
}
