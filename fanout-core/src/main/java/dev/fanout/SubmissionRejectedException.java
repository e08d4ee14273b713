package dev.fanout;

/**
 * {@code Invalidator.submit(Invalidation)} refused a submission because the coalescer's pending
 * capacity is full and its overflow policy is to reject. Nothing of the rejected submission was
 * accepted; the caller may retry it later or call {@link Invalidator#invalidate(Invalidation)}.
 *
 * @since 0.1
 */
public class SubmissionRejectedException extends FanoutException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message why the submission was refused
   */
  public SubmissionRejectedException(String message) {
    super(message);
  }
}
