package dev.fanout;

/**
 * Discovery could not produce a list of targets (for example a DNS server failure, or the
 * Kubernetes API refusing a list). A {@link dev.fanout.spi.Discovery} completes exceptionally with
 * it; the engine reports the stage as failed with this message.
 *
 * <p>Not finding any target is not this exception: discovery then returns an empty list, and the
 * stage's {@code minTargets} turns that into a failure.
 *
 * @since 0.1
 */
public class DiscoveryException extends FanoutException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what was looked up, where, and what went wrong
   */
  public DiscoveryException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a cause.
   *
   * @param message what was looked up, where, and what went wrong
   * @param cause the underlying failure
   */
  public DiscoveryException(String message, Throwable cause) {
    super(message, cause);
  }
}
