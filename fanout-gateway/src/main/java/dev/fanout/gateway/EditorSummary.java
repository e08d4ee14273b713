package dev.fanout.gateway;

import dev.fanout.InvalidationReport;
import dev.fanout.StageReport;
import dev.fanout.spi.PurgeResult;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * A report's summary for the people who made the change: one clause per stage, counts only, no
 * address, host or error text (the report's own {@code summary()} names failed targets, which is
 * for operators, not for a CMS's editors).
 */
final class EditorSummary {
  private EditorSummary() {}

  /**
   * Summarises a report, e.g. {@code "web: 3/3 replicas fresh; cdn: purged"} or {@code "web: 1/3
   * replicas fresh, 2 failed; cdn: skipped"}.
   *
   * @param report the report
   * @return the summary
   */
  static String of(InvalidationReport report) {
    if (report.isSuperseded()) {
      return "superseded by a newer version";
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
    if (s.kind() == StageReport.Kind.PURGE) {
      long ok = s.purges().stream().filter(PurgeResult::isSuccess).count();
      return s.status() == StageReport.Status.SUCCEEDED ? "purged"
          : String.format(Locale.ROOT, "%d/%d purges done", ok, s.purges().size());
    }
    String fresh = String.format(Locale.ROOT, "%d/%d replicas fresh", s.acked(), s.expected());
    return s.failed() > 0 ? fresh + ", " + s.failed() + " failed" : fresh;
  }
}
