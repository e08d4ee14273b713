package dev.fanout.catchup;

import dev.fanout.InvalidationStatus;
import dev.fanout.catchup.CatchUpReport.Outcome;
import dev.fanout.catchup.CatchUpReport.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One catch-up outcome as a journal keeps it in its history ({@code Journal.recordCatchUp}): who was
 * caught up, when, with how much, and how it ended. It names the replica by its stage and {@code
 * host:port} only; nothing of a notifier's configuration (URLs, secrets) is in it.
 *
 * @param stage the fan-out stage
 * @param target the replica's {@code host:port}
 * @param reason why it was caught up
 * @param outcome how it ended
 * @param at when it ended, on the invalidator's clock
 * @param since the start of the history sent, or null when the attempt did not get that far
 * @param paths how many paths were sent, {@code >= 0}
 * @param tags how many tags were sent, {@code >= 0}
 * @param entries how many invalidations of the window they unite, {@code >= 0}
 * @param attempts attempts made, {@code >= 1}
 * @param elapsed from the moment the appearance was noticed to this outcome, {@code >= 0}
 * @param error why it failed, cut to {@link InvalidationStatus#MAX_SUMMARY_LENGTH} characters, or
 *     null when caught up
 * @since 0.2
 */
public record CatchUpRecord(
    String stage,
    String target,
    Reason reason,
    Outcome outcome,
    Instant at,
    Instant since,
    int paths,
    int tags,
    int entries,
    int attempts,
    Duration elapsed,
    String error) {

  /**
   * Checks the components and cuts the error.
   *
   * @param stage see the record description
   * @param target see the record description
   * @param reason see the record description
   * @param outcome see the record description
   * @param at see the record description
   * @param since see the record description
   * @param paths see the record description
   * @param tags see the record description
   * @param entries see the record description
   * @param attempts see the record description
   * @param elapsed see the record description
   * @param error see the record description
   * @throws IllegalArgumentException if a count or the elapsed time is out of range
   */
  public CatchUpRecord {
    Objects.requireNonNull(stage, "stage");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(elapsed, "elapsed");
    if (paths < 0 || tags < 0 || entries < 0) {
      throw new IllegalArgumentException(
          "paths, tags and entries must be >= 0: " + paths + ", " + tags + ", " + entries);
    }
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be >= 1: " + attempts);
    }
    if (elapsed.isNegative()) {
      throw new IllegalArgumentException("elapsed must be >= 0: " + elapsed);
    }
    error = error == null ? null : InvalidationStatus.boundSummary(error);
  }

  /**
   * Returns the record of a report.
   *
   * @param report the outcome reported to the listener
   * @param at when it ended
   * @return the record
   */
  public static CatchUpRecord of(CatchUpReport report, Instant at) {
    return new CatchUpRecord(report.stage(), report.endpoint().authority(), report.reason(),
        report.outcome(), at, report.since(), report.paths(), report.tags(), report.entries(),
        report.attempts(), report.elapsed(), report.error());
  }

  /**
   * Returns whether the replica was caught up.
   *
   * @return true for {@link Outcome#CAUGHT_UP}
   */
  public boolean isCaughtUp() {
    return outcome == Outcome.CAUGHT_UP;
  }
}
