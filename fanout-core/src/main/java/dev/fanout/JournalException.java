package dev.fanout;

/**
 * A {@link dev.fanout.spi.Journal} could not do what was asked: its database is unreachable, a
 * statement failed, or an in-memory journal is full. Nothing the failed call was asked to record
 * was half-recorded: an {@code append} that throws accepted nothing, and every caller of a failed
 * group commit gets this exception.
 *
 * <p>{@link #isRetryable()} tells whether trying the same call again may succeed (the database was
 * unreachable, a transaction was chosen as a deadlock victim, a connection broke) or cannot
 * (the journal is closed, full, or its table is missing). Messages never contain credentials or
 * connection URLs.
 *
 * @since 0.2
 */
public class JournalException extends FanoutException {
  private static final long serialVersionUID = 1L;

  /** Whether trying again may succeed. */
  private final boolean retryable;

  /**
   * Creates an exception.
   *
   * @param message what was attempted and what went wrong, without secrets
   * @param retryable whether trying the same call again may succeed
   * @param cause the underlying failure, or {@code null}; it must carry no secret in its message
   */
  public JournalException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  /**
   * Returns whether trying the same call again may succeed, for example once the database is back.
   *
   * @return true for transient failures
   */
  public boolean isRetryable() {
    return retryable;
  }
}
