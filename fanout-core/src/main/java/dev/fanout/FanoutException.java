package dev.fanout;

/**
 * The root of fanout's small, unchecked exception hierarchy.
 *
 * <p>Partial failure is not an exception: a target that did not acknowledge, or a CDN call that
 * failed, is data in the {@link InvalidationReport}. Exceptions are used by plug-ins to fail a
 * single call ({@link DeliveryException}, {@link PurgeException}, {@link DiscoveryException}) and by
 * the {@link Invalidator} when it cannot accept or finish work ({@link InvalidatorClosedException},
 * {@link SubmissionRejectedException}). Messages never contain secrets.
 *
 * @since 0.1
 */
public class FanoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what was attempted and what went wrong
   */
  public FanoutException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a cause.
   *
   * @param message what was attempted and what went wrong
   * @param cause the underlying failure, or {@code null}
   */
  public FanoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
