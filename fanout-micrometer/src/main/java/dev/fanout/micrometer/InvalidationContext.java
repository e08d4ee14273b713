package dev.fanout.micrometer;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import io.micrometer.observation.Observation;
import java.util.Objects;

/**
 * What the {@code fanout.invalidation} observation knows: the invalidation, whether it is a
 * coalesced flush, and, once it ended, its report. Conventions read it; only fanout writes it.
 *
 * @since 0.1
 */
public final class InvalidationContext extends Observation.Context {
  private final Invalidation invalidation;
  private final boolean coalesced;
  private final int submissions;
  private volatile InvalidationReport report;

  InvalidationContext(Invalidation invalidation, boolean coalesced, int submissions) {
    this.invalidation = Objects.requireNonNull(invalidation, "invalidation");
    this.coalesced = coalesced;
    this.submissions = submissions;
  }

  /**
   * Returns the invalidation (for a coalesced flush, the merged one).
   *
   * @return the invalidation
   */
  public Invalidation invalidation() {
    return invalidation;
  }

  /**
   * Returns whether this is a flush of {@code Invalidator.submit()} submissions rather than an
   * {@code invalidate()} call.
   *
   * @return true for a coalesced flush
   */
  public boolean coalesced() {
    return coalesced;
  }

  /**
   * Returns how many submissions the run carries: 1 for {@code invalidate()}, the number merged
   * for a coalesced flush.
   *
   * @return the number of submissions
   */
  public int submissions() {
    return submissions;
  }

  /**
   * Returns the report, once the invalidation ended.
   *
   * @return the report, or {@code null} while it runs
   */
  public InvalidationReport report() {
    return report;
  }

  void report(InvalidationReport r) {
    this.report = r;
  }
}
