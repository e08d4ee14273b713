package dev.fanout;

/**
 * The {@link Invalidator} was closed: it accepts no more work, or it was closed before a submission
 * accepted earlier could be flushed within the close timeout. The message says which.
 *
 * @since 0.1
 */
public class InvalidatorClosedException extends FanoutException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what could not be done
   */
  public InvalidatorClosedException(String message) {
    super(message);
  }
}
