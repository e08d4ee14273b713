package dev.fanout.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.ErrorKind;
import dev.fanout.Gate;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.StageReport;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import dev.fanout.testing.LoopbackPod;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import io.micrometer.observation.Observation;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * The observations an invalidation makes, and how they nest, on Micrometer's test registry: which
 * parent each one has, what it is tagged with, and that every one of them is stopped, including
 * when the engine's deadline watchdog ends an invalidation whose callbacks were lost.
 */
class ObservationTreeTest {
  private static final String SECRET = WebhookSigner.generateSecret();

  private final TestObservationRegistry registry = TestObservationRegistry.create();
  private final Recorder recorder = new Recorder();
  private final FanoutObservability observability;
  @AutoClose private final Replicas replicas = new Replicas();
  @AutoClose private Invalidator invalidator;

  ObservationTreeTest() {
    registry.observationConfig().observationHandler(recorder);
    observability = FanoutObservability.builder().observationRegistry(registry).build();
  }

  private Stage.Fanout web() throws Exception {
    replicas.start(2, LoopbackPod.ok());
    replicas.start(3, LoopbackPod.statuses(503, 200));
    return Stage.fanout("web", Discovery.of(replicas.endpoints()),
            HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build())
        .retry(new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)));
  }

  private static Observation.ContextView parentContext(Observation.Context c) {
    return c.getParentObservation() == null ? null : c.getParentObservation().getContextView();
  }

  @Test
  void anInvalidationIsAChildOfTheCallersObservationAndParentOfItsStagesAndPurges() throws Exception {
    invalidator = Invalidator.builder().listener(observability)
        .stage(web())
        .stage(Stage.purge("cdn", NamedPurger.succeeding("cdn:edge", "I1")))
        .build();
    Invalidation invalidation = Invalidation.builder().path("/blog/hello").tag("post:42").build();

    Observation request = Observation.start("http.server.requests", registry);
    InvalidationReport report = request.scoped(() -> invalidator.invalidate(invalidation).join());
    request.stop();

    assertThat(report.isComplete()).isTrue();
    Observation.Context inv = recorder.started("fanout.invalidation").get(0);
    assertThat(parentContext(inv)).isSameAs(request.getContext());
    assertThat(inv.getContextualName()).isEqualTo("fanout invalidate");
    List<Observation.Context> stages = recorder.started("fanout.stage");
    assertThat(stages).extracting(c -> ((StageContext) c).stage()).containsExactly("web", "cdn");
    assertThat(stages).allSatisfy(s -> assertThat(parentContext(s)).isSameAs(inv));
    Observation.Context purge = recorder.started("fanout.purge").get(0);
    assertThat(parentContext(purge)).isSameAs(stages.get(1));
    assertThat(recorder.open()).isEmpty();

    TestObservationRegistryAssert.assertThat(registry)
        .hasNumberOfObservationsWithNameEqualTo("fanout.invalidation", 1)
        .hasObservationWithNameEqualTo("fanout.invalidation").that()
        .hasLowCardinalityKeyValue("mode", "invalidate")
        .hasLowCardinalityKeyValue("outcome", "complete")
        .hasHighCardinalityKeyValue("fanout.invalidation.id", invalidation.id())
        .hasHighCardinalityKeyValue("fanout.paths", "1")
        .hasHighCardinalityKeyValue("fanout.tags", "1")
        .doesNotHaveError();
    TestObservationRegistryAssert.assertThat(registry)
        .hasObservationWithNameEqualTo("fanout.stage").that()
        .hasContextualNameEqualTo("fanout stage web")
        .hasLowCardinalityKeyValue("stage", "web")
        .hasLowCardinalityKeyValue("status", "succeeded")
        .hasHighCardinalityKeyValue("fanout.stage.kind", "fanout")
        .hasHighCardinalityKeyValue("fanout.targets.acked", "2")
        .hasHighCardinalityKeyValue("fanout.attempts", "3");
    TestObservationRegistryAssert.assertThat(registry)
        .hasObservationWithNameEqualTo("fanout.purge").that()
        .hasLowCardinalityKeyValue("purger", "cdn:edge")
        .hasLowCardinalityKeyValue("outcome", "succeeded")
        .hasHighCardinalityKeyValue("fanout.purge.request_ids", "I1");
    assertThat(observability.errors()).isZero();
  }

  @Test
  void aCoalescedFlushIsARootWhateverIsCurrentOnTheThreadThatFlushes() throws Exception {
    invalidator = Invalidator.builder().listener(observability)
        .quietPeriod(Duration.ofMinutes(1)).maxWait(Duration.ofMinutes(1))
        .stage(web()).build();

    Observation request = Observation.start("http.server.requests", registry);
    CompletableFuture<InvalidationReport> first = request.scoped(() -> {
      CompletableFuture<InvalidationReport> f = invalidator.submit(Invalidation.builder().path("/a").build());
      invalidator.submit(Invalidation.builder().path("/b").build());
      invalidator.flush().join();
      return f;
    });
    request.stop();

    assertThat(first.join().submissions()).isEqualTo(2);
    Observation.Context flush = recorder.started("fanout.invalidation").get(0);
    assertThat(flush.getParentObservation()).isNull();
    assertThat(flush.getContextualName()).isEqualTo("fanout flush");
    assertThat(flush.getLowCardinalityKeyValue("mode").getValue()).isEqualTo("submit");
    assertThat(flush.getHighCardinalityKeyValue("fanout.submissions").getValue()).isEqualTo("2");
    assertThat(recorder.open()).isEmpty();
    assertThat(observability.errors()).isZero();
  }

  @Test
  void aFailedGateMarksTheStageAndTheInvalidationAsErrorsAndTheSkippedStageHasAnObservation()
      throws Exception {
    replicas.start(4, LoopbackPod.statuses(401));
    invalidator = Invalidator.builder().listener(observability)
        .stage(web().gate(Gate.all()))
        .stage(Stage.purge("cdn", NamedPurger.succeeding("cdn:edge")))
        .build();

    InvalidationReport report = invalidator.invalidate(Invalidation.builder().path("/x").build()).join();

    assertThat(report.stage("cdn").status()).isEqualTo(StageReport.Status.SKIPPED);
    TestObservationRegistryAssert.assertThat(registry)
        .hasObservationWithNameEqualTo("fanout.invalidation").that()
        .hasLowCardinalityKeyValue("outcome", "incomplete")
        .assertThatError().hasMessageContaining("401 unauthorized");
    List<Observation.Context> stages = recorder.started("fanout.stage");
    assertThat(stages.get(0).getError()).hasMessageContaining("web: 2/3 acked, 1 failed");
    assertThat(stages.get(0).getHighCardinalityKeyValue("fanout.stage.summary").getValue())
        .contains("127.0.0.4").contains("401");
    assertThat(stages.get(1).getLowCardinalityKeyValue("status").getValue()).isEqualTo("skipped");
    assertThat(recorder.started("fanout.purge")).isEmpty();
    assertThat(recorder.open()).isEmpty();
    assertThat(observability.errors()).isZero();
  }

  @Test
  void whenTheDeadlineWatchdogReportsTheOpenStageIsStoppedAndNothingIsKept() throws Exception {
    // An executor that loses every task after the first, and a replica that answers nothing: the
    // stage starts and sends, nothing after that runs, and the attempt is bounded by the deadline
    // (its own timeout is longer), so only the engine's watchdog ends the invalidation, without
    // onStageEnd.
    ManualClock clock = new ManualClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    AtomicInteger allowed = new AtomicInteger(1);
    LoopbackPod silent = replicas.start(2, null);
    silent.behave(silent.holdUntilReleased(200));
    invalidator = Invalidator.builder().listener(observability)
        .clock(clock).scheduler(scheduler).deadline(Duration.ofSeconds(5))
        .executor(task -> {
          if (allowed.getAndDecrement() > 0) {
            task.run();
          }
        })
        .stage(Stage.fanout("web", Discovery.of(replicas.endpoints()),
            HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build())
            .attemptTimeout(Duration.ofSeconds(30)))
        .stage(Stage.purge("cdn", NamedPurger.succeeding("cdn:edge")))
        .build();

    CompletableFuture<InvalidationReport> done =
        invalidator.invalidate(Invalidation.builder().path("/x").build());
    assertThat(recorder.started("fanout.stage")).hasSize(1);
    assertThat(recorder.open()).hasSize(2);
    scheduler.advance(Duration.ofSeconds(7));

    InvalidationReport report = done.join();
    assertThat(report.stage("web").targets().get(0).errorKind()).isEqualTo(ErrorKind.DEADLINE);
    assertThat(report.stage("cdn").detail()).contains("deadline passed");
    List<Observation.Context> stages = recorder.started("fanout.stage");
    assertThat(stages).extracting(c -> c.getLowCardinalityKeyValue("status").getValue())
        .containsExactly("failed", "skipped");
    assertThat(recorder.open()).isEmpty();
    assertThat(observability.tracked()).isZero();
    assertThat(observability.errors()).isZero();
    invalidator.close(Duration.ZERO);
    invalidator = null;
  }
}
