package dev.fanout;

import dev.fanout.spi.PurgeResult;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The summary of a report that names no host: what {@link InvalidationReport#outcome()} returns and
 * what a journal keeps as an {@link InvalidationStatus}'s summary. One clause per stage, counts only:
 * replicas fresh and failed (by error kind and HTTP status), purges done and failed (by error kind).
 * No address, port, host name, purge target or error text: a stage's detail and a target's error can
 * name hosts (a discovery failure, a connection refused), and this summary is shown to the people
 * who made the change, while {@link InvalidationReport#summary()} is for operators.
 */
final class OutcomeSummary {
  private OutcomeSummary() {}

  /**
   * Summarises a report, e.g. {@code "web: 3/3 replicas fresh; cdn: purged"} or {@code "web: 1/3
   * replicas fresh, 2 failed (1 timeout, 1 HTTP 401 unauthorized); cdn: skipped"}. Failures are
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
    return s.kind() == StageReport.Kind.PURGE ? purge(s) : fanout(s);
  }

  private static String fanout(StageReport s) {
    if (s.targets().isEmpty()) {
      // No replica at all: the stage's detail says why, but it may name hosts.
      return s.status() == StageReport.Status.SUCCEEDED ? "done" : "failed, no replica reached";
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
