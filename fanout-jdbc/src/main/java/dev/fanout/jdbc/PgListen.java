package dev.fanout.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The one place that uses the PostgreSQL driver's own API; loaded only for PostgreSQL, so that the
 * driver stays an optional dependency.
 */
final class PgListen {
  private PgListen() {}

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
}
