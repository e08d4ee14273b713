package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.TargetResult.Outcome;
import dev.fanout.spi.Ack;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.Notifier;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@link InvalidationReport#outcome()}: counts per stage, and never a host. */
class OutcomeSummaryTest {
  private static final Invalidation INV = Invalidation.builder().id("i1").path("/a").build();

  private static TargetResult target(String address, Outcome outcome, ErrorKind kind, int status,
      String error) {
    return new TargetResult(Endpoint.of(address, 3000).withName("web-" + address.charAt(7)),
        outcome, 1, Duration.ofMillis(5), kind, status, error, false, null);
  }

  private static StageReport fanout(StageReport.Status status, String detail, TargetResult... ts) {
    return new StageReport("web", StageReport.Kind.FANOUT, status,
        status != StageReport.Status.FAILED, List.of(ts), List.of(), detail, Duration.ofMillis(9));
  }

  private static StageReport purge(StageReport.Status status, PurgeResult... ps) {
    return new StageReport("cdn", StageReport.Kind.PURGE, status,
        status == StageReport.Status.SUCCEEDED, List.of(), List.of(ps),
        status == StageReport.Status.SKIPPED ? "gate 'web' not met" : null, Duration.ZERO);
  }

  private static InvalidationReport report(StageReport... stages) {
    return new InvalidationReport(INV, Instant.EPOCH, Duration.ofMillis(20), List.of(stages), 1);
  }

  @Test
  void aCompleteReportCountsReplicasAndSaysPurged() {
    InvalidationReport r = report(
        fanout(StageReport.Status.SUCCEEDED, null,
            target("10.0.0.1", Outcome.ACKED, null, 200, null),
            target("10.0.0.2", Outcome.ACKED, null, 200, null)),
        purge(StageReport.Status.SUCCEEDED, PurgeResult.succeeded("cloudfront:E2QWRU", 1, List.of("I1"))));

    assertThat(r.outcome()).isEqualTo("web: 2/2 replicas fresh; cdn: purged");
  }

  @Test
  void failuresAreCountedByStatusAndKindWithoutTheHostsOrTheErrorText() {
    InvalidationReport r = report(
        fanout(StageReport.Status.FAILED, "gate all not met",
            target("10.0.0.1", Outcome.ACKED, null, 200, null),
            target("10.0.0.2", Outcome.FAILED, ErrorKind.UNAVAILABLE, 503, "unavailable"),
            target("10.0.0.3", Outcome.FAILED, ErrorKind.UNAVAILABLE, 503, "unavailable"),
            target("10.0.0.4", Outcome.FAILED, ErrorKind.CONNECT, 0,
                "connect: connection refused to 10.0.0.4:3000"),
            target("10.0.0.5", Outcome.EXCUSED, ErrorKind.CONNECT, 0, "refused"),
            target("10.0.0.6", Outcome.SKIPPED, null, 0, null)),
        purge(StageReport.Status.SKIPPED));

    assertThat(r.outcome()).isEqualTo("web: failed, 1/4 replicas fresh, 3 failed (2 HTTP 503"
        + " unavailable, 1 connect), 1 left the tier, 1 not contacted; cdn: skipped");
    // The operators' summary names them; the outcome does not.
    assertThat(r.summary()).contains("10.0.0.2:3000");
    assertThat(r.outcome()).doesNotContain("10.0.0", "web-", ":3000", "refused to", "gate");
  }

  @Test
  void aPartlyFailedPurgeStageCountsPurgesByKindWithoutNamingTheTarget() {
    InvalidationReport r = report(
        fanout(StageReport.Status.SUCCEEDED, null, target("10.0.0.1", Outcome.ACKED, null, 200, null)),
        purge(StageReport.Status.FAILED,
            PurgeResult.succeeded("fastly:SU1Z0isx", 1, List.of()),
            PurgeResult.failed("cloudfront:E2QWRU", ErrorKind.THROTTLED, "429 from api.example",
                List.of("/a"))));

    assertThat(r.outcome())
        .isEqualTo("web: 1/1 replicas fresh; cdn: failed, 1/2 purges done, 1 failed (1 throttled)");
    assertThat(r.outcome()).doesNotContain("cloudfront", "fastly", "api.example");
  }

  @Test
  void aStageThatReachedNoReplicaSaysSoWithoutItsDetail() {
    InvalidationReport r = report(fanout(StageReport.Status.FAILED,
        "discovery failed: web.shop.svc.cluster.local: no such host"));

    assertThat(r.outcome()).isEqualTo("web: failed, no replica reached");
  }

  @Test
  void aStageFailedForTooFewReplicasSaysSoThoughEveryReplicaAcked() {
    InvalidationReport r = report(
        fanout(StageReport.Status.FAILED, "found 2 targets (1 left), minTargets is 3",
            target("10.0.0.1", Outcome.ACKED, null, 200, null),
            target("10.0.0.2", Outcome.ACKED, null, 200, null),
            target("10.0.0.3", Outcome.EXCUSED, ErrorKind.CONNECT, 0, "refused")),
        purge(StageReport.Status.SKIPPED));

    assertThat(r.outcome()).isEqualTo(
        "web: failed, 2/2 replicas fresh, 1 left the tier, fewer than the 3 required; cdn: skipped");
  }

  @Test
  void theEnginesMinTargetsFailureReadsTheSame() {
    ManualClock clock = new ManualClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    Notifier acks = (e, i) -> CompletableFuture.completedFuture(Ack.of(200));
    Purger purger = i -> CompletableFuture.completedFuture(PurgeResult.succeeded("cdn", 1, List.of()));
    try (Invalidator invalidator = Invalidator.builder().clock(clock).scheduler(scheduler)
        .executor(Runnable::run)
        .stage(Stage.fanout("web", Discovery.of(Endpoint.of("10.0.0.1", 3000), Endpoint.of("10.0.0.2", 3000)),
            acks).minTargets(3))
        .stage(Stage.purge("cdn", purger))
        .build()) {
      CompletableFuture<InvalidationReport> f = invalidator.invalidate(INV);
      scheduler.runDue();

      assertThat(f.join().outcome())
          .isEqualTo("web: failed, 2/2 replicas fresh, fewer than the 3 required; cdn: skipped");
    }
  }

  @Test
  void aFailedStageWithoutResultsSaysFailedAndNotTheErrorText() {
    InvalidationReport r = report(
        fanout(StageReport.Status.SUCCEEDED, null, target("10.0.0.1", Outcome.ACKED, null, 200, null)),
        new StageReport("cdn", StageReport.Kind.PURGE, StageReport.Status.FAILED, false, List.of(),
            List.of(), "internal error: cannot reach api.cdn.example", Duration.ZERO),
        new StageReport("edge", StageReport.Kind.FANOUT, StageReport.Status.FAILED, false, List.of(),
            List.of(), "internal error: 10.0.0.9 said no", Duration.ZERO));

    assertThat(r.outcome()).isEqualTo(
        "web: 1/1 replicas fresh; cdn: failed, internal error; edge: failed, internal error");
    assertThat(r.outcome()).doesNotContain("api.cdn.example", "10.0.0.9");
  }

  @Test
  void aSupersededReportNamesTheNewerVersion() {
    Invalidation v1 = Invalidation.builder().id("v1").path("/p").entity("post:1", 1).build();

    assertThat(InvalidationReport.superseded(v1, 3, Instant.EPOCH).outcome())
        .isEqualTo("superseded by a newer version (v3)");
  }
}
