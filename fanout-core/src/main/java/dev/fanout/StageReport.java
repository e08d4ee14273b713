package dev.fanout;

import dev.fanout.spi.PurgeResult;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What happened in one stage of an invalidation.
 *
 * @param name the stage name
 * @param kind fan-out or purge
 * @param status how the stage ended
 * @param gateMet whether the stage met its gate (later stages ran only if so, unless a gate said
 *     proceed)
 * @param targets per-replica results of a fan-out stage, in discovery order (empty for purge
 *     stages), unmodifiable
 * @param purges per-purger results of a purge stage (empty for fan-out stages), unmodifiable
 * @param detail why the stage failed or was skipped (discovery error, too few targets, gate not
 *     met), or {@code null}
 * @param elapsed how long the stage took
 * @since 0.1
 */
public record StageReport(
    String name,
    Kind kind,
    Status status,
    boolean gateMet,
    List<TargetResult> targets,
    List<PurgeResult> purges,
    String detail,
    Duration elapsed) {

  /**
   * The kind of stage.
   *
   * @since 0.1
   */
  public enum Kind {
    /** Discovery plus delivery to every replica. */
    FANOUT,
    /** CDN purgers. */
    PURGE
  }

  /**
   * How a stage ended.
   *
   * @since 0.1
   */
  public enum Status {
    /** Every expected target acknowledged (or every purger succeeded). */
    SUCCEEDED,
    /** The gate was met but not everything succeeded (quorum gates, proceed gates). */
    PARTIAL,
    /** The gate was not met. */
    FAILED,
    /** The stage did not run because an earlier stage did not meet its gate. */
    SKIPPED
  }

  /**
   * Validates the components.
   *
   * @param name see the record description
   * @param kind see the record description
   * @param status see the record description
   * @param gateMet see the record description
   * @param targets see the record description
   * @param purges see the record description
   * @param detail see the record description
   * @param elapsed see the record description
   * @throws NullPointerException if a required component is null
   */
  public StageReport {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(status, "status");
    targets = List.copyOf(targets);
    purges = List.copyOf(purges);
    Objects.requireNonNull(elapsed, "elapsed");
  }

  /**
   * Returns the targets with the given outcome.
   *
   * @param outcome the outcome
   * @return the matching targets, in report order
   */
  public List<TargetResult> targets(TargetResult.Outcome outcome) {
    return targets.stream().filter(t -> t.outcome() == outcome).collect(Collectors.toList());
  }

  /**
   * Returns how many targets acknowledged.
   *
   * @return the count
   */
  public int acked() {
    return count(TargetResult.Outcome.ACKED);
  }

  /**
   * Returns how many targets failed.
   *
   * @return the count
   */
  public int failed() {
    return count(TargetResult.Outcome.FAILED);
  }

  /**
   * Returns how many targets were expected to acknowledge (neither excused nor skipped).
   *
   * @return the count
   */
  public int expected() {
    return acked() + failed();
  }

  private int count(TargetResult.Outcome outcome) {
    int n = 0;
    for (TargetResult t : targets) {
      if (t.outcome() == outcome) {
        n++;
      }
    }
    return n;
  }

  /**
   * Returns one line, e.g. {@code web: 9/10 acked, 1 failed (10.0.3.7:3000 401 unauthorized)}, or
   * {@code cdn: skipped (gate 'web' not met)}.
   *
   * @return the summary line
   */
  public String summary() {
    StringBuilder sb = new StringBuilder(name).append(": ");
    if (status == Status.SKIPPED) {
      return sb.append("skipped (").append(detail).append(')').toString();
    }
    if (kind == Kind.FANOUT) {
      // One pass over the targets: this line is logged for every invalidation, and a tier may
      // have thousands of replicas.
      int[] byOutcome = new int[TargetResult.Outcome.values().length];
      int late = 0;
      StringBuilder firstFailures = new StringBuilder();
      for (TargetResult t : targets) {
        if (t.outcome() == TargetResult.Outcome.FAILED && byOutcome[t.outcome().ordinal()] < 5) {
          firstFailures.append(firstFailures.length() == 0 ? "" : "; ").append(t.describe());
        }
        byOutcome[t.outcome().ordinal()]++;
        late += t.lateJoiner() ? 1 : 0;
      }
      int acked = byOutcome[TargetResult.Outcome.ACKED.ordinal()];
      int failed = byOutcome[TargetResult.Outcome.FAILED.ordinal()];
      int excused = byOutcome[TargetResult.Outcome.EXCUSED.ordinal()];
      int skipped = byOutcome[TargetResult.Outcome.SKIPPED.ordinal()];
      sb.append(acked).append('/').append(acked + failed).append(" acked");
      if (failed > 0) {
        sb.append(", ").append(failed).append(" failed (").append(firstFailures)
            .append(failed > 5 ? "; ..." : "").append(')');
      }
      if (excused > 0) {
        sb.append(", ").append(excused).append(" excused");
      }
      if (skipped > 0) {
        sb.append(", ").append(skipped).append(" skipped");
      }
      if (late > 0) {
        sb.append(", ").append(late).append(" joined late");
      }
    } else {
      long ok = purges.stream().filter(PurgeResult::isSuccess).count();
      sb.append(ok).append('/').append(purges.size()).append(" purged");
      for (PurgeResult p : purges) {
        if (!p.isSuccess()) {
          sb.append(", ").append(p.target()).append(' ')
              .append(p.errorKind() == null ? "failed" : p.errorKind().name().toLowerCase(Locale.ROOT));
          if (p.detail() != null) {
            sb.append(" (").append(p.detail()).append(')');
          }
        }
      }
    }
    if (detail != null && status != Status.SUCCEEDED) {
      sb.append(" - ").append(detail);
    }
    sb.append(" in ").append(elapsed.toMillis()).append(" ms");
    return sb.toString();
  }
}
