package dev.fanout;

import dev.fanout.spi.JournalEntry;

/**
 * {@link Invalidator#submit(Invalidation)} refused a submission because the coalescer's pending
 * capacity is full and its overflow policy is to reject, or, with a journal, because its id (or its
 * entity's version) is journaled already and finished ({@link #alreadyFinished}). Nothing of the
 * rejected submission was accepted; the caller may retry it later or call {@link
 * Invalidator#invalidate(Invalidation)}.
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

  /**
   * The refusal of a submission that duplicates a journaled entry which is finished already.
   *
   * @param submitted what was submitted
   * @param entry the journaled entry it duplicates (by id, or by entity and version)
   * @return the exception
   * @since 0.2
   */
  public static SubmissionRejectedException alreadyFinished(Invalidation submitted, JournalEntry entry) {
    return new SubmissionRejectedException("submission " + submitted.id() + " is already journaled as invalidation "
        + entry.invalidation().id() + ", which is " + entry.state() + "; nothing new was accepted");
  }
}
