package dev.fanout.spring.actuate;

import dev.fanout.InvalidationReport;
import dev.fanout.InvalidationStatus;
import dev.fanout.Invalidator;
import dev.fanout.JournalException;
import dev.fanout.Stage;
import dev.fanout.StageReport;
import dev.fanout.catchup.CatchUpRecord;
import dev.fanout.spi.Journal;
import dev.fanout.spring.RecentReports;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code fanout} Actuator endpoint ({@code /actuator/fanout} once exposed with {@code
 * management.endpoints.web.exposure.include=fanout}): the stages, the most recent reports, newest
 * first, and with a journal its most recent catch-up outcomes; {@code /actuator/fanout/{id}} gives one invalidation: its report, every target
 * and purge included, while it is among the recent ones, otherwise its journal status when there is
 * a journal (404 when neither knows it).
 *
 * <p>Nothing here carries a secret: reports and statuses never hold one, and a stage shows its
 * discovery's description (a DNS name, a Service, a static list), not its notifier's settings.
 *
 * @since 0.1
 */
@Endpoint(id = "fanout")
public final class FanoutEndpoint {
  /** How many of the journal's catch-up outcomes the overview shows. */
  public static final int CATCH_UPS_SHOWN = 20;

  private final Invalidator invalidator;
  private final RecentReports reports;
  private final Journal journal;

  /**
   * Creates the endpoint.
   *
   * @param invalidator the invalidator, or null when this application only receives
   * @param reports the recent reports
   * @param journal the journal, or null when there is none
   */
  public FanoutEndpoint(Invalidator invalidator, RecentReports reports, Journal journal) {
    this.invalidator = invalidator;
    this.reports = Objects.requireNonNull(reports, "reports");
    this.journal = journal;
  }

  /**
   * Lists the stages and the recent reports.
   *
   * @return the overview
   */
  @ReadOperation
  public Overview overview() {
    List<StageView> stages = invalidator == null ? List.of()
        : invalidator.stages().stream().map(StageView::of).toList();
    List<ReportView> recent = reports.list().stream()
        .map(r -> ReportView.of(r.report(), r.finishedAt().toString(), false)).toList();
    return new Overview(stages, reports.capacity(), recent, catchUps());
  }

  /** The journal's newest catch-up outcomes; none without a journal, or while it cannot be read. */
  private List<CatchUpRecord> catchUps() {
    if (journal == null) {
      return List.of();
    }
    try {
      return journal.recentCatchUps(CATCH_UPS_SHOWN);
    } catch (JournalException e) {
      // The health indicator reports a journal that cannot be read; the overview still answers.
      return List.of();
    }
  }

  /**
   * Returns one invalidation: its recent report, or its journal status.
   *
   * @param id the invalidation id (for a coalesced flush, the merged invalidation's id)
   * @return the report or status; null (404) when unknown
   */
  @ReadOperation
  public Object invalidation(@Selector String id) {
    Optional<RecentReports.Recorded> r = reports.find(id);
    if (r.isPresent()) {
      return ReportView.of(r.get().report(), r.get().finishedAt().toString(), true);
    }
    if (journal != null) {
      try {
        Optional<InvalidationStatus> s = journal.status(id);
        if (s.isPresent()) {
          return s.get();
        }
      } catch (JournalException e) {
        return new Problem("journal cannot be read: " + e.getMessage());
      }
    }
    return null;
  }

  /**
   * The endpoint's overview.
   *
   * @param stages the invalidator's stages, in order (empty when this application only receives)
   * @param kept how many recent reports are kept at most
   * @param recent the recent reports, newest first
   * @param catchUps the journal's most recent catch-up outcomes, newest first (at most {@value
   *     FanoutEndpoint#CATCH_UPS_SHOWN}; empty without a journal)
   * @since 0.1
   */
  public record Overview(List<StageView> stages, int kept, List<ReportView> recent,
      List<CatchUpRecord> catchUps) {}

  /**
   * A stage as configured.
   *
   * @param name its name
   * @param kind {@code FANOUT} or {@code PURGE}
   * @param gate its gate, e.g. {@code all}
   * @param discovery a fan-out stage's discovery, described; null for a purge stage
   * @param purgers a purge stage's purger names; empty for a fan-out stage
   * @since 0.1
   */
  public record StageView(String name, StageReport.Kind kind, String gate, String discovery, List<String> purgers) {
    static StageView of(Stage s) {
      if (s instanceof Stage.Fanout f) {
        return new StageView(f.name(), StageReport.Kind.FANOUT, f.gate().toString(),
            String.valueOf(f.discovery()), List.of());
      }
      Stage.Purge p = (Stage.Purge) s;
      return new StageView(p.name(), StageReport.Kind.PURGE, p.gate().toString(), null,
          p.purgers().stream().map(x -> x.name()).toList());
    }
  }

  /**
   * One invalidation's report.
   *
   * @param id the invalidation id
   * @param complete whether every stage met its gate and nothing failed
   * @param startedAt when it started
   * @param finishedAt when it finished
   * @param elapsedMillis how long it took
   * @param submissions how many submissions it carried
   * @param paths how many paths it had
   * @param tags how many tags it had
   * @param summary one line per stage, failed targets named
   * @param stages each stage's outcome
   * @param detail every target and purge, one per line; only for a single invalidation
   * @since 0.1
   */
  public record ReportView(String id, boolean complete, String startedAt, String finishedAt,
      long elapsedMillis, int submissions, int paths, int tags, String summary,
      List<StageOutcome> stages, String detail) {
    static ReportView of(InvalidationReport r, String finishedAt, boolean detailed) {
      return new ReportView(r.id(), r.isComplete(), r.startedAt().toString(), finishedAt,
          r.elapsed().toMillis(), r.submissions(), r.invalidation().paths().size(),
          r.invalidation().tags().size(), r.summary(),
          r.stages().stream().map(StageOutcome::of).toList(), detailed ? r.describe() : null);
    }
  }

  /**
   * One stage's outcome in a report.
   *
   * @param name the stage
   * @param status {@code SUCCEEDED}, {@code PARTIAL}, {@code FAILED} or {@code SKIPPED}
   * @param acked replicas that acknowledged (for a purge stage, purger calls that succeeded)
   * @param failed replicas (or purger calls) that failed
   * @param expected replicas expected to acknowledge (for a purge stage, purger calls made)
   * @param elapsedMillis how long it took
   * @since 0.1
   */
  public record StageOutcome(String name, StageReport.Status status, int acked, int failed, int expected,
      long elapsedMillis) {
    static StageOutcome of(StageReport s) {
      if (s.kind() == StageReport.Kind.PURGE) {
        int ok = (int) s.purges().stream().filter(p -> p.isSuccess()).count();
        return new StageOutcome(s.name(), s.status(), ok, s.purges().size() - ok, s.purges().size(),
            s.elapsed().toMillis());
      }
      return new StageOutcome(s.name(), s.status(), s.acked(), s.failed(), s.expected(), s.elapsed().toMillis());
    }
  }

  /**
   * Why an answer could not be given.
   *
   * @param problem what went wrong
   * @since 0.1
   */
  public record Problem(String problem) {}
}
