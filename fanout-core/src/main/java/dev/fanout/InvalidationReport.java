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
 * <p>A submission that {@link Invalidator#submit(Invalidation)} dropped because a newer version of
 * its entity had already been submitted gets a <em>superseded</em> report: {@link #isSuperseded()}
 * is true, {@link #supersededBy()} names the newer version, there are no stages (nothing was sent
 * for it) and {@link #isComplete()} is true, since nothing is left to do for it: the newer
 * version's own report tells whether the caches are fresh.
 *
 * @param invalidation the invalidation that ran (for {@code submit()}, the merged one)
 * @param startedAt when the engine started it
 * @param elapsed how long it took
 * @param stages one report per configured stage, in order, unmodifiable
 * @param submissions how many submissions this run carried (1 for {@code invalidate()}); for a
 *     superseded report, 1
 * @param supersededBy for a superseded submission, the newer version of its entity that made it
 *     unnecessary; otherwise {@code null}
 * @since 0.1
 */
public record InvalidationReport(
    Invalidation invalidation,
    Instant startedAt,
    Duration elapsed,
    List<StageReport> stages,
    int submissions,
    Long supersededBy) {

  /**
   * Validates the components.
   *
   * @param invalidation see the record description
   * @param startedAt see the record description
   * @param elapsed see the record description
   * @param stages see the record description
   * @param submissions see the record description
   * @param supersededBy see the record description
   * @throws NullPointerException if a component other than {@code supersededBy} is null
   * @throws IllegalArgumentException if {@code supersededBy} is set on a report with stages
   */
  public InvalidationReport {
    Objects.requireNonNull(invalidation, "invalidation");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(elapsed, "elapsed");
    stages = List.copyOf(stages);
    if (supersededBy != null && !stages.isEmpty()) {
      throw new IllegalArgumentException("a superseded report has no stages: nothing was sent");
    }
  }

  /**
   * Creates the report of an invalidation that ran.
   *
   * @param invalidation the invalidation that ran (for {@code submit()}, the merged one)
   * @param startedAt when the engine started it
   * @param elapsed how long it took
   * @param stages one report per configured stage, in order
   * @param submissions how many submissions this run carried (1 for {@code invalidate()})
   * @throws NullPointerException if a component is null
   */
  public InvalidationReport(
      Invalidation invalidation,
      Instant startedAt,
      Duration elapsed,
      List<StageReport> stages,
      int submissions) {
    this(invalidation, startedAt, elapsed, stages, submissions, null);
  }

  /**
   * Returns the report of a submission dropped because {@code newerVersion} of its entity was
   * submitted before it: nothing was sent, and {@link #isSuperseded()} says why.
   *
   * @param submitted the submission that was dropped
   * @param newerVersion the version of its entity journaled before it
   * @param at when it was dropped
   * @return the report
   * @since 0.2
   */
  public static InvalidationReport superseded(Invalidation submitted, long newerVersion, Instant at) {
    return new InvalidationReport(submitted, at, Duration.ZERO, List.of(), 1, newerVersion);
  }

  /**
   * Returns whether this is the report of a submission that was not sent because a newer version
   * of its entity had already been submitted. See {@link #supersededBy()}.
   *
   * @return true if the submission was superseded
   */
  public boolean isSuperseded() {
    return supersededBy != null;
  }

  /**
   * Returns whether everything succeeded: every stage ran, every expected replica acknowledged and
   * every purge succeeded. A {@linkplain #isSuperseded() superseded} report, which has no stages, is
   * complete: nothing is left to do for its submission.
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
   * Returns a summary that names no host, for the people who made the change (a CMS's editors): one
   * clause per stage with counts only, e.g. {@code web: failed, 2/3 replicas fresh, 1 failed (1
   * timeout); cdn: skipped}. A failed stage starts with {@code failed} and says why when its counts
   * do not ({@code web: failed, 2/2 replicas fresh, fewer than the 3 required}, {@code cdn: failed,
   * internal error}). Failures are counted by HTTP status and {@link ErrorKind}; no address, host
   * name, purge target or error text appears. A journal keeps this as the {@link InvalidationStatus}'s
   * summary.
   *
   * @return the summary without hosts
   * @since 0.2
   */
  public String outcome() {
    return OutcomeSummary.of(this);
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
            t.outcome() != TargetResult.Outcome.ACKED ? "  " + t.describe()
                : t.detail() == null ? "" : "  " + t.detail()));
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
    if (supersededBy != null) {
      return String.format(Locale.ROOT, "%s: SUPERSEDED, not sent (%s v%d is older than v%d, already"
              + " submitted)", invalidation.id(), invalidation.entity(), invalidation.version(),
          supersededBy);
    }
    // Built by hand, not String.format: this line is logged once per invalidation, on the thread
    // that completes it.
    return invalidation.id() + ": " + (isComplete() ? "COMPLETE" : "INCOMPLETE") + " in " + elapsed.toMillis()
        + " ms (" + plural(invalidation.paths().size(), "path") + ", " + plural(invalidation.tags().size(), "tag")
        + (submissions > 1 ? ", " + submissions + " submissions merged" : "") + ")";
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
