package dev.fanout.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.Stage;
import dev.fanout.StageReport;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import dev.fanout.testing.LoopbackPod;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * The listener never throws and never changes an outcome, keeps no state once invalidations end,
 * and bounds the state it keeps while they run.
 */
class ListenerSafetyTest {
  private static final String SECRET = WebhookSigner.generateSecret();
  @AutoClose private final Replicas replicas = new Replicas();
  @AutoClose private Invalidator invalidator;

  private Stage.Fanout web() throws IOException, Exception {
    replicas.start(2, LoopbackPod.ok());
    return Stage.fanout("web", Discovery.of(replicas.endpoints()),
        HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build());
  }

  @Test
  void aBrokenConventionOrHandlerIsCaughtAndTheInvalidationStillReports() throws Exception {
    ObservationRegistry registry = ObservationRegistry.create();
    registry.observationConfig().observationHandler(new ObservationHandler<Observation.Context>() {
      @Override
      public void onStop(Observation.Context context) {
        throw new IllegalStateException("exporter down");
      }

      @Override
      public boolean supportsContext(Observation.Context context) {
        return true;
      }
    });
    FanoutObservability observability = FanoutObservability.builder().observationRegistry(registry)
        .meterRegistry(new SimpleMeterRegistry())
        .stageConvention(new DefaultStageObservationConvention() {
          @Override
          public KeyValues getLowCardinalityKeyValues(StageContext context) {
            throw new IllegalArgumentException("bad convention");
          }
        })
        .build();
    invalidator = Invalidator.builder().listener(observability).stage(web()).build();

    InvalidationReport report = invalidator.invalidate(Invalidation.builder().path("/a").build()).join();

    assertThat(report.isComplete()).isTrue();
    assertThat(observability.errors()).isPositive();
    assertThat(observability.tracked()).isZero();
  }

  @Test
  void eventsForUnknownInvalidationsAndHeaderLookupsNeverThrow() {
    FanoutObservability observability =
        FanoutObservability.builder().meterRegistry(new SimpleMeterRegistry()).build();
    Invalidation inv = Invalidation.builder().path("/a").build();
    Endpoint e = Endpoint.of("127.0.0.2", 80);

    assertThatCode(() -> {
      observability.onStageStart(inv, "web");
      observability.onAttemptStart(inv, "web", e, 1);
      observability.onAttemptEnd(inv, "web", e, 1, new IOException("reset"), Duration.ofMillis(3));
      observability.onRetryScheduled(inv, "web", e, 2, Duration.ofMillis(5));
      observability.onPurgeStart(inv, "cdn", "cdn:edge");
      observability.onPurgeEnd(inv, "cdn", null);
      observability.onStageEnd(inv, null);
      observability.onInvalidationEnd(null);
      observability.recordCatchUp("web", null);
    }).doesNotThrowAnyException();
    assertThat(observability.header("traceparent").apply(inv)).isNull();
    assertThat(observability.header("traceparent").apply(null)).isNull();
  }

  @Test
  void aSupersededReportWithoutARunIsRecordedAsSuperseded() {
    TestObservationRegistry registry = TestObservationRegistry.create();
    FanoutObservability observability = FanoutObservability.builder().observationRegistry(registry).build();
    Invalidation old = Invalidation.builder().path("/a").entity("post:1", 1).build();

    observability.onInvalidationEnd(
        new InvalidationReport(old, Instant.now(), Duration.ZERO, List.of(), 1, 2L));

    TestObservationRegistryAssert.assertThat(registry).hasSingleObservationThat()
        .hasNameEqualTo("fanout.invalidation").hasBeenStopped()
        .hasLowCardinalityKeyValue("mode", "submit")
        .hasLowCardinalityKeyValue("outcome", "superseded");
    assertThat(observability.errors()).isZero();
  }

  @Test
  void atMostMaxTrackedInvalidationsAreObservedAtOnceAndNoneIsKeptAfterItsEnd() {
    ObservationRegistry registry = ObservationRegistry.create();
    Recorder recorder = new Recorder();
    registry.observationConfig().observationHandler(recorder);
    FanoutObservability observability = FanoutObservability.builder().observationRegistry(registry).build();
    List<Invalidation> running = new ArrayList<>();
    for (int i = 0; i <= FanoutObservability.MAX_TRACKED; i++) {
      Invalidation inv = Invalidation.builder().path("/p" + i).build();
      running.add(inv);
      observability.onInvalidationStart(inv);
    }

    assertThat(observability.tracked()).isEqualTo(FanoutObservability.MAX_TRACKED);
    assertThat(recorder.count()).isEqualTo(FanoutObservability.MAX_TRACKED);
    for (Invalidation inv : running) {
      observability.onInvalidationEnd(new InvalidationReport(inv, Instant.now(), Duration.ZERO,
          List.of(new StageReport("web", StageReport.Kind.FANOUT, StageReport.Status.SUCCEEDED, true,
              List.of(), List.of(), null, Duration.ZERO)), 1));
    }
    assertThat(observability.tracked()).isZero();
    assertThat(recorder.open()).isEmpty();
    assertThat(observability.errors()).isZero();
  }

  @Test
  void theSameInvalidationRunningTwiceAtOnceIsObservedOnce() throws Exception {
    ObservationRegistry registry = ObservationRegistry.create();
    Recorder recorder = new Recorder();
    registry.observationConfig().observationHandler(recorder);
    FanoutObservability observability = FanoutObservability.builder().observationRegistry(registry).build();
    LoopbackPod held = replicas.start(3, null);
    held.behave(held.holdUntilReleased(200));
    invalidator = Invalidator.builder().listener(observability)
        .stage(Stage.fanout("web", Discovery.of(held.endpoint()),
            HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build()))
        .build();
    Invalidation same = Invalidation.builder().path("/a").build();

    CompletableFuture<InvalidationReport> first = invalidator.invalidate(same);
    CompletableFuture<InvalidationReport> second = invalidator.invalidate(same);
    held.release();

    assertThat(first.join().isComplete()).isTrue();
    assertThat(second.join().isComplete()).isTrue();
    assertThat(recorder.started("fanout.invalidation")).hasSize(1);
    assertThat(recorder.open()).isEmpty();
    assertThat(observability.tracked()).isZero();
    assertThat(observability.errors()).isZero();
  }
}
