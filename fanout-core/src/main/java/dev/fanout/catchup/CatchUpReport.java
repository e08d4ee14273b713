package dev.fanout.catchup;

import dev.fanout.Endpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * The outcome of one replica's catch-up, given to {@code FanoutListener.onCatchUp} and logged as one
 * line.
 *
 * @param stage the fan-out stage
 * @param endpoint the replica
 * @param reason why it was caught up
 * @param outcome what happened
 * @param since the start of the history sent (the window's start, or later when the replica said
 *     since when it is fresh)
 * @param freshSince since when the replica said its cache is fresh, or null if it did not say
 * @param paths how many paths were sent
 * @param tags how many tags were sent
 * @param entries how many invalidations of the window they unite
 * @param complete false when the history source no longer held all of the window
 * @param attempts attempts made, including this one
 * @param elapsed from the moment the appearance was noticed to this outcome
 * @param errorKind what kind of failure, or null when caught up (or for a failure of the history
 *     source)
 * @param error why it failed, or null
 * @since 0.2
 */
public record CatchUpReport(
    String stage,
    Endpoint endpoint,
    Reason reason,
    Outcome outcome,
    Instant since,
    Instant freshSince,
    int paths,
    int tags,
    int entries,
    boolean complete,
    int attempts,
    Duration elapsed,
    dev.fanout.ErrorKind errorKind,
    String error) {

  /**
   * Why a replica was caught up.
   *
   * @since 0.2
   */
  public enum Reason {
    /** It appeared in the stage's discovery. */
    JOINED,
    /** It turned not ready after being ready: it may be restarting in place. */
    NOT_READY,
    /** A delivery to it failed as unreachable: it missed an invalidation. */
    MISSED,
    /** It acknowledged again (or turned ready again) after its catch-up had failed. */
    RETURNED
  }

  /**
   * What happened.
   *
   * @since 0.2
   */
  public enum Outcome {
    /** The replica acknowledged the history (and the end of the catch-up). */
    CAUGHT_UP,
    /** Retries were exhausted, or the failure is not retryable. */
    FAILED
  }

  /**
   * Checks the components.
   *
   * @param stage see the record description
   * @param endpoint see the record description
   * @param reason see the record description
   * @param outcome see the record description
   * @param since see the record description
   * @param freshSince see the record description
   * @param paths see the record description
   * @param tags see the record description
   * @param entries see the record description
   * @param complete see the record description
   * @param attempts see the record description
   * @param elapsed see the record description
   * @param errorKind see the record description
   * @param error see the record description
   */
  public CatchUpReport {
    Objects.requireNonNull(stage, "stage");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(elapsed, "elapsed");
  }

  /**
   * Returns whether the replica was caught up.
   *
   * @return true for {@link Outcome#CAUGHT_UP}
   */
  public boolean isCaughtUp() {
    return outcome == Outcome.CAUGHT_UP;
  }

  /**
   * Returns one line for a log, e.g. {@code catch-up web 10.0.3.7:3000 (joined): caught up, 12
   * paths and 10 tags of 23 invalidations since 2026-12-04T10:00:00Z (fresh since ...), attempt 1,
   * 45 ms}.
   *
   * @return the line
   */
  public String summary() {
    StringBuilder sb = new StringBuilder("catch-up ").append(stage).append(' ')
        .append(endpoint.authority()).append(" (").append(reason.name().toLowerCase(Locale.ROOT)
            .replace('_', ' ')).append("): ");
    sb.append(isCaughtUp() ? "caught up" : "failed");
    if (since != null) {
      sb.append(", ").append(paths).append(" paths and ").append(tags).append(" tags of ")
          .append(entries).append(entries == 1 ? " invalidation" : " invalidations")
          .append(" since ").append(since);
      if (freshSince != null) {
        sb.append(" (fresh since ").append(freshSince).append(')');
      }
      if (!complete) {
        sb.append(", history incomplete");
      }
    }
    sb.append(", attempt ").append(attempts).append(", ").append(elapsed.toMillis()).append(" ms");
    if (error != null) {
      sb.append(": ").append(error);
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return summary();
  }
}
