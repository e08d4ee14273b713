package dev.fanout.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.PGStatement;

/**
 * The one place that uses the PostgreSQL driver's own API; loaded only for PostgreSQL, so that the
 * driver stays an optional dependency.
 */
final class PgDriver {
  private PgDriver() {}

  /**
   * Waits for notifications on a connection that ran {@code LISTEN}.
   *
   * @return whether at least one arrived within the timeout
   * @throws SQLException if the connection broke
   */
  static boolean await(Connection c, int timeoutMillis) throws SQLException {
    PGNotification[] n = c.unwrap(PGConnection.class).getNotifications(timeoutMillis);
    return n != null && n.length > 0;
  }

  /**
   * Makes PostgreSQL plan a statement for its parameters at every execution. By default the driver
   * prepares a statement on the server at its fifth execution, and the server then keeps one
   * generic plan for it; a plan made while the table was small scans the whole table, and keeps
   * doing so as the table grows. A statement that is never prepared on the server is planned with
   * its parameters and the table's size each time. Does nothing with another driver.
   *
   * @throws SQLException if the statement is closed
   */
  static void planEachExecution(PreparedStatement ps) throws SQLException {
    if (ps.isWrapperFor(PGStatement.class)) {
      ps.unwrap(PGStatement.class).setPrepareThreshold(0);
    }
  }
}
