package dev.fanout.spi;

import java.time.Duration;
import java.time.Instant;

/**
 * How much a journal has not finished: for metrics and health checks.
 *
 * @param pending unfinished entries that no sender holds right now (waiting, or due for a retry)
 * @param inFlight unfinished entries held by a sender whose lease has not ended
 * @param oldestAcceptedAt when the oldest unfinished entry (pending or in flight) was accepted, or
 *     {@code null} when there is none
 * @since 0.2
 */
public record Backlog(long pending, long inFlight, Instant oldestAcceptedAt) {

  /** An empty backlog. */
  public static final Backlog EMPTY = new Backlog(0, 0, null);

  /**
   * Checks the components.
   *
   * @param pending see the record description
   * @param inFlight see the record description
   * @param oldestAcceptedAt see the record description
   * @throws IllegalArgumentException if a count is negative, or the counts and the oldest time
   *     disagree about whether there is anything unfinished
   */
  public Backlog {
    if (pending < 0 || inFlight < 0) {
      throw new IllegalArgumentException("counts must be >= 0: " + pending + ", " + inFlight);
    }
    if ((pending + inFlight == 0) != (oldestAcceptedAt == null)) {
      throw new IllegalArgumentException("oldestAcceptedAt must be set exactly when something is unfinished");
    }
  }

  /**
   * Returns the number of unfinished entries.
   *
   * @return {@code pending + inFlight}
   */
  public long unfinished() {
    return pending + inFlight;
  }

  /**
   * Returns how long the oldest unfinished entry has waited.
   *
   * @param now the current time
   * @return the age, or {@link Duration#ZERO} when nothing is unfinished
   */
  public Duration oldestAge(Instant now) {
    if (oldestAcceptedAt == null || now.isBefore(oldestAcceptedAt)) {
      return Duration.ZERO;
    }
    return Duration.between(oldestAcceptedAt, now);
  }
}
