package dev.fanout.jdbc;

import dev.fanout.JournalException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.regex.Pattern;

/**
 * Turns JDBC failures into {@link JournalException}s: a short message naming what was attempted,
 * the SQLState and the driver's first line with anything that looks like a credential or a
 * connection URL removed, and whether a retry may succeed. The cause is a copy of the driver's
 * exception carrying the same redacted message, so no secret reaches a log through the chain.
 */
final class SqlErrors {
  private static final Pattern SECRET = Pattern.compile(
      "(?i)(password|passwd|pwd|secret|token|sslpassword|sslkey)(\\s*[=:]\\s*)[^\\s&;,'\"]+");
  private static final Pattern JDBC_URL = Pattern.compile("(?i)jdbc:[^\\s'\"]+");
  private static final Pattern USER_INFO = Pattern.compile("(?i)//[^/@\\s]+@");
  private static final int MAX_DETAIL = 240;

  /** SQLState of a unique-constraint violation, the same in PostgreSQL and H2. */
  static final String UNIQUE_VIOLATION = "23505";

  private SqlErrors() {}

  /**
   * Wraps a failure.
   *
   * @param what what was attempted, e.g. "journal append"
   * @param table the table, for the missing-table hint
   * @param e the failure
   * @return the exception to throw
   */
  static JournalException wrap(String what, String table, SQLException e) {
    String state = e.getSQLState();
    String detail = redact(firstLine(e.getMessage()));
    String message;
    if ("42P01".equals(state) || "42S02".equals(state) || "42102".equals(state)) {
      message = what + " failed: the journal table " + table + " does not exist; apply"
          + " schema-postgresql.sql or build the journal with createSchema(true) (SQLState " + state + ")";
    } else if (isConnectionFailure(e)) {
      message = what + " failed: the journal database is unreachable (SQLState " + state + ": "
          + detail + ")";
    } else {
      message = what + " failed (SQLState " + state + ": " + detail + ")";
    }
    SQLException safe = new SQLException(detail, state, e.getErrorCode());
    safe.setStackTrace(e.getStackTrace());
    return new JournalException(message, isRetryable(e), safe);
  }

  /**
   * Returns whether a retry of the same call may succeed.
   *
   * @param e the failure
   * @return true for connection failures, deadlocks, serialization failures, lock timeouts,
   *     shutdowns and resource exhaustion
   */
  static boolean isRetryable(SQLException e) {
    if (e instanceof SQLTransientException || e instanceof SQLRecoverableException) {
      return true;
    }
    String s = e.getSQLState();
    if (s == null) {
      return false;
    }
    return s.startsWith("08") // connection exception
        || s.startsWith("53") // insufficient resources
        || s.equals("40001") // serialization failure
        || s.equals("40P01") // deadlock detected
        || s.equals("55P03") // lock not available
        || s.equals("57P01") || s.equals("57P02") || s.equals("57P03") // shutdown, cannot connect now
        || s.equals("HYT00") || s.equals("HYT01") // timeouts (H2)
        || s.equals("90067"); // H2: connection broken
  }

  /**
   * Returns whether the failure is worth retrying inside the journal at once, without the caller:
   * a deadlock or serialization failure, where the database rolled back one transaction so that
   * another could go on.
   *
   * @param e the failure
   * @return true for SQLState 40001 and 40P01
   */
  static boolean isConflict(SQLException e) {
    return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
  }

  static boolean isUniqueViolation(SQLException e) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      if (UNIQUE_VIOLATION.equals(x.getSQLState())) {
        return true;
      }
      if (x.getNextException() == x) {
        break;
      }
    }
    return false;
  }

  private static boolean isConnectionFailure(SQLException e) {
    String s = e.getSQLState();
    return e instanceof SQLRecoverableException || (s != null && (s.startsWith("08") || s.startsWith("57P")));
  }

  static String redact(String message) {
    String m = JDBC_URL.matcher(message).replaceAll(r -> {
      String url = USER_INFO.matcher(r.group()).replaceFirst("//");
      int q = url.indexOf('?');
      return java.util.regex.Matcher.quoteReplacement(q < 0 ? url : url.substring(0, q));
    });
    m = SECRET.matcher(m).replaceAll("$1$2***");
    return m.length() <= MAX_DETAIL ? m : m.substring(0, MAX_DETAIL) + "...";
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no message";
    }
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).trim();
  }
}
