package dev.fanout;

import dev.fanout.spi.PurgeResult;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The summary of a report that names no host: what {@link InvalidationReport#outcome()} returns and
 * what a journal keeps as an {@link InvalidationStatus}'s summary. One clause per stage, counts only:
 * replicas fresh and failed (by error kind and HTTP status), purges done and failed (by error kind).
 * No address, port, host name, purge target or error text: a stage's detail and a target's error can
 * name hosts (a discovery failure, a connection refused), and this summary is shown to the people
 * who made the change, while {@link InvalidationReport#summary()} is for operators.
 *
 * <p>A stage whose status is {@code FAILED} starts with {@code failed}, and says why when its counts
 * do not: too few replicas for its {@code minTargets}, or an internal error (the kind only).
 */
final class OutcomeSummary {
  /**
   * The engine's detail when a fan-out found fewer targets than its {@code minTargets} (digits only
   * are taken from it, so no host can pass through).
   */
  private static final Pattern TOO_FEW = Pattern.compile(
      "found \\d+ targets?(?: \\(\\d+ left\\))?, minTargets is (\\d+)");
  /**
   * The detail of a fan-out that found fewer targets than its {@code minTargets}, as {@link
   * FanoutRun} writes it: made here, next to the pattern that reads it back.
   */
  static String tooFew(int found, int left, int minTargets) {
    return "found " + found + " target" + (found == 1 ? "" : "s") + (left > 0 ? " (" + left + " left)" : "")
        + ", minTargets is " + minTargets;
  }

  /** The engine's detail for a stage that failed unexpectedly; the rest may name hosts. */
  private static final String INTERNAL_ERROR = "internal error";

  private OutcomeSummary() {}

  /**
   * Summarises a report, e.g. {@code "web: 3/3 replicas fresh; cdn: purged"}, {@code "web: failed,
   * 1/3 replicas fresh, 2 failed (1 timeout, 1 HTTP 401 unauthorized); cdn: skipped"} or {@code
   * "web: failed, 2/2 replicas fresh, fewer than the 3 required; cdn: skipped"}. Failures are
   * counted in the order of the report's targets.
   */
  static String of(InvalidationReport report) {
    if (report.isSuperseded()) {
      return "superseded by a newer version (v" + report.supersededBy() + ")";
    }
    if (report.stages().isEmpty()) {
      return "no stage";
    }
    StringJoiner j = new StringJoiner("; ");
    for (StageReport s : report.stages()) {
      j.add(s.name() + ": " + stage(s));
    }
    return j.toString();
  }

  private static String stage(StageReport s) {
    if (s.status() == StageReport.Status.SKIPPED) {
      return "skipped";
    }
    if (s.status() != StageReport.Status.FAILED) {
      return s.kind() == StageReport.Kind.PURGE ? purge(s) : fanout(s);
    }
    String detail = s.detail() == null ? "" : s.detail();
    if (detail.startsWith(INTERNAL_ERROR)) {
      return "failed, " + INTERNAL_ERROR;
    }
    if (s.kind() == StageReport.Kind.PURGE) {
      return "failed, " + (s.purges().isEmpty() ? "no purge ran" : purge(s));
    }
    if (s.targets().isEmpty()) {
      // No replica at all: the stage's detail says why, but it may name hosts.
      return "failed, no replica reached";
    }
    Matcher tooFew = TOO_FEW.matcher(detail);
    String why = tooFew.lookingAt() ? ", fewer than the " + tooFew.group(1) + " required" : "";
    return "failed, " + fanout(s) + why;
  }

  private static String fanout(StageReport s) {
    if (s.targets().isEmpty()) {
      return "done";
    }
    StringBuilder sb = new StringBuilder(
        String.format(Locale.ROOT, "%d/%d replicas fresh", s.acked(), s.expected()));
    Map<String, Integer> kinds = new LinkedHashMap<>();
    int excused = 0;
    int skipped = 0;
    for (TargetResult t : s.targets()) {
      switch (t.outcome()) {
        case FAILED:
          kinds.merge(kind(t.status(), t.errorKind()), 1, Integer::sum);
          break;
        case EXCUSED:
          excused++;
          break;
        case SKIPPED:
          skipped++;
          break;
        default:
          break;
      }
    }
    failures(sb, s.failed(), kinds);
    if (excused > 0) {
      sb.append(", ").append(excused).append(" left the tier");
    }
    if (skipped > 0) {
      sb.append(", ").append(skipped).append(" not contacted");
    }
    return sb.toString();
  }

  private static String purge(StageReport s) {
    if (s.status() == StageReport.Status.SUCCEEDED) {
      return "purged";
    }
    int ok = 0;
    Map<String, Integer> kinds = new LinkedHashMap<>();
    for (PurgeResult p : s.purges()) {
      if (p.isSuccess()) {
        ok++;
      } else {
        kinds.merge(kind(0, p.errorKind()), 1, Integer::sum);
      }
    }
    StringBuilder sb = new StringBuilder(
        String.format(Locale.ROOT, "%d/%d purges done", ok, s.purges().size()));
    failures(sb, s.purges().size() - ok, kinds);
    return sb.toString();
  }

  private static void failures(StringBuilder sb, int failed, Map<String, Integer> kinds) {
    if (failed == 0) {
      return;
    }
    sb.append(", ").append(failed).append(" failed");
    StringJoiner j = new StringJoiner(", ", " (", ")");
    kinds.forEach((kind, n) -> j.add(n + " " + kind));
    sb.append(j);
  }

  /** E.g. {@code HTTP 503 unavailable}, {@code timeout}: the status and the kind, never the text. */
  private static String kind(int status, ErrorKind kind) {
    String name = kind == null ? "failed" : kind.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    return status > 0 ? "HTTP " + status + " " + name : name;
  }
}
