package dev.fanout.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.ErrorKind;
import dev.fanout.Gate;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.PurgeException;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.TargetResult;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import dev.fanout.testing.LoopbackPod;
import dev.fanout.testing.ManualClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.core.tck.MeterRegistryAssert;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * The meters of real invalidations against real replicas on loopback: a pod that acknowledges, one
 * that answers 503 once then 200, one that answers 401.
 */
class FanoutMetricsTest {
  private static final String SECRET = WebhookSigner.generateSecret();

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  @AutoClose private final FanoutObservability observability =
      FanoutObservability.builder().meterRegistry(meters).build();
  @AutoClose private final Replicas replicas = new Replicas();
  @AutoClose private Invalidator invalidator;

  private Stage.Fanout web(Gate gate) throws Exception {
    replicas.start(2, LoopbackPod.ok());
    replicas.start(3, LoopbackPod.statuses(503, 200));
    replicas.start(4, LoopbackPod.statuses(401));
    return Stage.fanout("web", Discovery.of(replicas.endpoints()),
            HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build())
        .retry(new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)))
        .attemptTimeout(Duration.ofSeconds(5))
        .gate(gate);
  }

  private Invalidator.Builder engine() {
    return Invalidator.builder().listener(observability).random(new SplittableRandom(3))
        .deadline(Duration.ofSeconds(20));
  }

  private static Purger purger(String name, CompletableFuture<PurgeResult> answer) {
    return new NamedPurger(name, answer);
  }

  private double count(String name, String... tags) {
    return meters.get(name).tags(tags).counter().count();
  }

  @Test
  void aFailedGateIsRecordedPerAttemptPerTargetAndPerStage() throws Exception {
    invalidator = engine().stage(web(Gate.all()))
        .stage(Stage.purge("cdn", purger("cdn:edge", CompletableFuture.completedFuture(
            PurgeResult.succeeded("cdn:edge", 1, List.of("id-1"))))))
        .build();

    InvalidationReport report =
        invalidator.invalidate(Invalidation.builder().path("/blog/hello").build()).join();

    assertThat(report.isComplete()).isFalse();
    // one invalidation, incomplete, marked as an error
    assertThat(meters.get("fanout.invalidation")
        .tags("mode", "invalidate", "outcome", "incomplete", "error", "FanoutException").timer().count())
        .isEqualTo(1);
    // the fan-out failed its gate; the purge was held back and says so
    assertThat(meters.get("fanout.stage").tags("stage", "web", "status", "failed").timer().count())
        .isEqualTo(1);
    assertThat(meters.get("fanout.stage").tags("stage", "cdn", "status", "skipped").timer().count())
        .isEqualTo(1);
    assertThat(meters.find("fanout.purge").timers()).isEmpty();
    // four attempts: two acked, one 503 retried, one 401 not retried
    assertThat(count("fanout.attempts", "stage", "web", "outcome", "acked", "error.kind", "none"))
        .isEqualTo(2);
    assertThat(count("fanout.attempts", "stage", "web", "outcome", "failed", "error.kind", "unavailable"))
        .isEqualTo(1);
    assertThat(count("fanout.attempts", "stage", "web", "outcome", "failed", "error.kind", "unauthorized"))
        .isEqualTo(1);
    assertThat(count("fanout.retries", "stage", "web")).isEqualTo(1);
    // final outcome per replica
    assertThat(count("fanout.targets", "stage", "web", "outcome", "acked", "error.kind", "none"))
        .isEqualTo(2);
    assertThat(count("fanout.targets", "stage", "web", "outcome", "failed", "error.kind", "unauthorized"))
        .isEqualTo(1);
    assertThat(meters.get("fanout.discovery.endpoints").tags("stage", "web", "recheck", "false")
        .summary().totalAmount()).isEqualTo(3);
    assertThat(meters.get("fanout.discovery.endpoints").tags("stage", "web", "recheck", "true")
        .summary().count()).isEqualTo(1);
    assertThat(observability.errors()).isZero();
    assertThat(observability.tracked()).isZero();
  }

  @Test
  void purgeCallsAreRecordedByPurgerAndOutcome() throws Exception {
    invalidator = engine().stage(web(Gate.quorum(0.5)))
        .stage(Stage.purge("cdn",
            purger("cdn:edge", CompletableFuture.completedFuture(
                PurgeResult.succeeded("cdn:edge", 2, List.of("I1", "I2")))),
            purger("cdn:other", CompletableFuture.failedFuture(new PurgeException(
                "cdn:other", ErrorKind.UNAUTHORIZED, "token refused", null))))
            .gate(Gate.proceed()))
        .build();

    InvalidationReport report =
        invalidator.invalidate(Invalidation.builder().path("/blog/hello").tag("post:1").build()).join();

    assertThat(report.stage("cdn").purges()).hasSize(2);
    assertThat(meters.get("fanout.stage").tags("stage", "web", "status", "partial").timer().count())
        .isEqualTo(1);
    assertThat(meters.get("fanout.purge").tags("stage", "cdn", "purger", "cdn:edge",
        "outcome", "succeeded", "error.kind", "none", "error", "none").timer().count()).isEqualTo(1);
    assertThat(meters.get("fanout.purge").tags("stage", "cdn", "purger", "cdn:other",
        "outcome", "failed", "error.kind", "unauthorized", "error", "PurgeException").timer().count())
        .isEqualTo(1);
    assertThat(count("fanout.purge.requests", "stage", "cdn", "purger", "cdn:edge")).isEqualTo(2);
    assertThat(meters.get("fanout.invalidation").tags("outcome", "incomplete").timer().count())
        .isEqualTo(1);
    assertThat(observability.errors()).isZero();
  }

  @Test
  void coalescedFlushesCountTheirSubmissionsAndTheSupersededOnes() throws Exception {
    replicas.start(2, LoopbackPod.ok());
    invalidator = engine().quietPeriod(Duration.ofMinutes(1)).maxWait(Duration.ofMinutes(1))
        .stage(Stage.fanout("web", Discovery.of(replicas.endpoints()),
            HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build()))
        .build();

    CompletableFuture<InvalidationReport> a = invalidator.submit(
        Invalidation.builder().path("/a").entity("post:1", 2).build());
    invalidator.submit(Invalidation.builder().path("/b").build());
    invalidator.submit(Invalidation.builder().path("/c").build());
    InvalidationReport old = invalidator.submit(
        Invalidation.builder().path("/a").entity("post:1", 1).build()).join();
    invalidator.flush().join();

    assertThat(old.isSuperseded()).isTrue();
    assertThat(a.join().submissions()).isEqualTo(3);
    assertThat(meters.get("fanout.coalescer.submissions").summary().count()).isEqualTo(1);
    assertThat(meters.get("fanout.coalescer.submissions").summary().totalAmount()).isEqualTo(3);
    assertThat(meters.get("fanout.coalescer.superseded").counter().count()).isEqualTo(1);
    assertThat(meters.get("fanout.invalidation").tags("mode", "submit", "outcome", "complete")
        .timer().count()).isEqualTo(1);
    assertThat(observability.errors()).isZero();
  }

  @Test
  void gaugesReadTheirSuppliersAndNeverThrowIntoAScrape() {
    ManualClock clock = new ManualClock(Instant.parse("2026-12-01T10:00:00Z"));
    FanoutObservability o = FanoutObservability.builder().meterRegistry(meters).clock(clock).build();
    AtomicInteger pending = new AtomicInteger(17);
    AtomicReference<Instant> oldest = new AtomicReference<>(clock.instant().minusSeconds(90));

    o.bindPending(pending::get).bindJournal(() -> 4, () -> Optional.ofNullable(oldest.get()));

    assertThat(meters.get("fanout.coalescer.pending").gauge().value()).isEqualTo(17);
    assertThat(meters.get("fanout.journal.backlog").gauge().value()).isEqualTo(4);
    TimeGauge age = meters.get("fanout.journal.oldest.pending").timeGauge();
    assertThat(age.value(TimeUnit.SECONDS)).isEqualTo(90);
    clock.advance(Duration.ofSeconds(30));
    assertThat(age.value(TimeUnit.SECONDS)).isEqualTo(120);
    oldest.set(null);
    assertThat(age.value(TimeUnit.SECONDS)).isZero();
    pending.set(3);
    assertThat(meters.get("fanout.coalescer.pending").gauge().value()).isEqualTo(3);

    // binding again replaces the supplier, and a failing supplier reads NaN
    o.bindPending(() -> {
      throw new IllegalStateException("coalescer closed");
    });
    assertThat(meters.find("fanout.coalescer.pending").gauges()).hasSize(1);
    assertThat(meters.get("fanout.coalescer.pending").gauge().value()).isNaN();

    o.close();
    MeterRegistryAssert.assertThat(meters).doesNotHaveMeterWithName("fanout.coalescer.pending")
        .doesNotHaveMeterWithName("fanout.journal.backlog")
        .doesNotHaveMeterWithName("fanout.journal.oldest.pending");
  }

  @Test
  void catchUpsAreTimedByStageAndOutcome() throws Exception {
    replicas.start(2, LoopbackPod.ok());
    TargetResult acked = new TargetResult(replicas.endpoints().get(0), TargetResult.Outcome.ACKED, 1,
        Duration.ofMillis(40), null, 200, null, true, null);
    TargetResult failed = new TargetResult(replicas.endpoints().get(0), TargetResult.Outcome.FAILED, 3,
        Duration.ofMillis(900), ErrorKind.TIMEOUT, 0, "timed out", true, null);

    observability.recordCatchUp("web", acked);
    observability.recordCatchUp("web", failed);

    assertThat(meters.get("fanout.catchups").tags("stage", "web", "outcome", "acked", "error.kind", "none")
        .timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(40);
    assertThat(meters.get("fanout.catchups").tags(Tags.of("outcome", "failed", "error.kind", "timeout"))
        .timer().count()).isEqualTo(1);
  }

  @Test
  void theListenersCatchUpOutcomesAreTimedToo() throws Exception {
    replicas.start(1, LoopbackPod.ok());
    dev.fanout.Endpoint e = replicas.endpoints().get(0);
    observability.onCatchUp(new dev.fanout.catchup.CatchUpReport("web", e,
        dev.fanout.catchup.CatchUpReport.Reason.JOINED, dev.fanout.catchup.CatchUpReport.Outcome.CAUGHT_UP,
        java.time.Instant.EPOCH, null, 2, 1, 3, true, 1, Duration.ofMillis(70), null, null));
    observability.onCatchUp(new dev.fanout.catchup.CatchUpReport("web", e,
        dev.fanout.catchup.CatchUpReport.Reason.MISSED, dev.fanout.catchup.CatchUpReport.Outcome.FAILED,
        null, null, 0, 0, 0, true, 8, Duration.ofSeconds(20), ErrorKind.CONNECT, "connection refused"));

    assertThat(meters.get("fanout.catchups").tags("stage", "web", "outcome", "acked", "error.kind", "none")
        .timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(70);
    assertThat(meters.get("fanout.catchups").tags(Tags.of("outcome", "failed", "error.kind", "connect"))
        .timer().count()).isEqualTo(1);
  }

  @Test
  void configurationMistakesNameWhatIsMissing() {
    assertThatThrownBy(() -> FanoutObservability.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("observationRegistry or a meterRegistry");
    FanoutObservability tracesOnly = FanoutObservability.builder()
        .observationRegistry(io.micrometer.observation.ObservationRegistry.create()).build();
    assertThatThrownBy(() -> tracesOnly.bindPending(() -> 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("bindPending needs a meterRegistry: set one on the builder");
    assertThatThrownBy(() -> tracesOnly.bindJournal(() -> 1, Optional::empty))
        .hasMessage("bindJournal needs a meterRegistry: set one on the builder");
  }
}
