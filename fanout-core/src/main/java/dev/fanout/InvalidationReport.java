package dev.fanout;

import dev.fanout.spi.PurgeResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What an invalidation did, stage by stage and target by target. It is enough to answer "is every
 * replica fresh, and if not, which one?".
 *
 * <p>{@link #summary()} (also {@link #toString()}) prints one line per stage, with the failed targets
 * named; {@link #describe()} prints every target and every purge.
 *
 * @param invalidation the invalidation that ran (for {@code submit()}, the merged one)
 * @param startedAt when the engine started it
 * @param elapsed how long it took
 * @param stages one report per configured stage, in order, unmodifiable
 * @param submissions how many submissions this run carried (1 for {@code invalidate()})
 * @since 0.1
 */
public record InvalidationReport(
    Invalidation invalidation,
    Instant startedAt,
    Duration elapsed,
    List<StageReport> stages,
    int submissions) {

  /**
   * Validates the components.
   *
   * @param invalidation see the record description
   * @param startedAt see the record description
   * @param elapsed see the record description
   * @param stages see the record description
   * @param submissions see the record description
   * @throws NullPointerException if a component is null
   */
  public InvalidationReport {
    Objects.requireNonNull(invalidation, "invalidation");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(elapsed, "elapsed");
    stages = List.copyOf(stages);
  }

  /**
   * Returns whether everything succeeded: every stage ran, every expected replica acknowledged and
   * every purge succeeded.
   *
   * @return true if every cache is fresh
   */
  public boolean isComplete() {
    return stages.stream().allMatch(s -> s.status() == StageReport.Status.SUCCEEDED);
  }

  /**
   * Returns the report of the named stage.
   *
   * @param name the stage name
   * @return the stage report
   * @throws IllegalArgumentException if there is no such stage
   */
  public StageReport stage(String name) {
    for (StageReport s : stages) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("no stage named '" + name + "'");
  }

  /**
   * Returns the id of the invalidation.
   *
   * @return the id
   */
  public String id() {
    return invalidation.id();
  }

  /**
   * Returns a header line plus one line per stage, for example:
   *
   * <pre>
   * inv_3f2a...: INCOMPLETE in 1042 ms (2 paths, 1 tag)
   *   web: 9/10 acked, 1 failed (10.0.3.7:3000 401 unauthorized) - gate all not met in 812 ms
   *   cdn: skipped (gate 'web' not met)
   * </pre>
   *
   * @return the summary
   */
  public String summary() {
    StringBuilder sb = new StringBuilder(header());
    for (StageReport s : stages) {
      sb.append("\n  ").append(s.summary());
    }
    return sb.toString();
  }

  /**
   * Returns the summary followed by every target and purge, one per line, with outcome, attempts
   * and latency.
   *
   * @return the detailed description
   */
  public String describe() {
    StringBuilder sb = new StringBuilder(header());
    for (StageReport s : stages) {
      sb.append("\n  ").append(s.summary());
      for (TargetResult t : s.targets()) {
        sb.append(String.format(Locale.ROOT, "%n    %-8s %-34s attempts=%d %6d ms%s%s",
            t.outcome(), t.endpoint(), t.attempts(), t.latency().toMillis(),
            t.lateJoiner() ? "  (joined late)" : "",
            t.outcome() == TargetResult.Outcome.ACKED ? "" : "  " + t.describe()));
      }
      for (PurgeResult p : s.purges()) {
        sb.append(String.format(Locale.ROOT, "%n    %-8s %-34s requests=%d %6d ms%s%s",
            p.status(), p.target(), p.requests(), p.latency().toMillis(),
            p.requestIds().isEmpty() ? "" : "  ids=" + p.requestIds(),
            p.detail() == null ? "" : "  " + p.detail()));
      }
    }
    return sb.toString();
  }

  private String header() {
    return String.format(Locale.ROOT, "%s: %s in %d ms (%s, %s%s)",
        invalidation.id(), isComplete() ? "COMPLETE" : "INCOMPLETE", elapsed.toMillis(),
        plural(invalidation.paths().size(), "path"), plural(invalidation.tags().size(), "tag"),
        submissions > 1 ? ", " + submissions + " submissions merged" : "");
  }

  private static String plural(int n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }

  /**
   * Returns {@link #summary()}.
   *
   * @return the summary
   */
  @Override
  public String toString() {
    return summary();
  }
}
