package dev.fanout.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.ErrorKind;
import dev.fanout.Gate;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.PurgeException;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import dev.fanout.testing.LoopbackPod;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;
import io.micrometer.tracing.test.simple.SimpleSpan;
import io.micrometer.tracing.test.simple.SimpleTracer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * The spans an invalidation makes with Micrometer Tracing's test tracer, wired as Spring Boot wires
 * a tracer: one span per invalidation, stage and purger call, with the failed ones marked as
 * errors, and no propagated headers when the propagator writes none.
 */
class SpanTreeTest {
  private static final String SECRET = WebhookSigner.generateSecret();

  private final SimpleTracer tracer = new SimpleTracer();
  private final ObservationRegistry registry = ObservationRegistry.create();
  private final FanoutObservability observability;
  @AutoClose private final Replicas replicas = new Replicas();
  @AutoClose private Invalidator invalidator;

  SpanTreeTest() {
    registry.observationConfig().observationHandler(
        new ObservationHandler.FirstMatchingCompositeObservationHandler(
            new PropagatingSenderTracingObservationHandler<>(tracer, Propagator.NOOP),
            new PropagatingReceiverTracingObservationHandler<>(tracer, Propagator.NOOP),
            new DefaultTracingObservationHandler(tracer)));
    observability = FanoutObservability.builder().observationRegistry(registry).build();
  }

  private SimpleSpan span(String name) {
    return tracer.getSpans().stream().filter(s -> name.equals(s.getName())).findFirst().orElseThrow();
  }

  @Test
  void oneSpanPerInvalidationStageAndPurgeWithTheFailuresMarked() throws Exception {
    LoopbackPod ok = replicas.start(2, LoopbackPod.ok());
    replicas.start(3, LoopbackPod.statuses(503, 200));
    replicas.start(4, LoopbackPod.statuses(401));
    invalidator = Invalidator.builder().listener(observability)
        .stage(Stage.fanout("web", Discovery.of(replicas.endpoints()), observability.propagateTraceContext(
                HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET)).build())
            .retry(new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)))
            .gate(Gate.quorum(0.5)))
        .stage(Stage.purge("cdn", NamedPurger.succeeding("cdn:edge", "I1"),
            new NamedPurger("cdn:backup", CompletableFuture.failedFuture(
                new PurgeException("cdn:backup", ErrorKind.THROTTLED, "rate limited", null))))
            .gate(Gate.proceed()))
        .build();

    Observation request = Observation.start("request", registry);
    InvalidationReport report = request.scoped(
        () -> invalidator.invalidate(Invalidation.builder().path("/blog/hello").build()).join());
    request.stop();

    assertThat(report.isComplete()).isFalse();
    SimpleSpan root = span("request");
    SimpleSpan inv = span("fanout invalidate");
    SimpleSpan web = span("fanout stage web");
    SimpleSpan cdn = span("fanout stage cdn");
    SimpleSpan edge = span("fanout purge cdn:edge");
    SimpleSpan backup = span("fanout purge cdn:backup");
    assertThat(tracer.getSpans()).hasSize(6);
    assertThat(tracer.getSpans()).extracting(SimpleSpan::getTraceId).containsOnly(root.getTraceId());
    assertThat(inv.getParentId()).isEqualTo(root.getSpanId());
    assertThat(web.getParentId()).isEqualTo(inv.getSpanId());
    assertThat(cdn.getParentId()).isEqualTo(inv.getSpanId());
    assertThat(edge.getParentId()).isEqualTo(cdn.getSpanId());
    assertThat(backup.getParentId()).isEqualTo(cdn.getSpanId());
    assertThat(web.getKind()).isEqualTo(Span.Kind.PRODUCER);
    assertThat(web.getRemoteServiceName()).isEqualTo("web");
    assertThat(web.getTags()).containsEntry("stage", "web").containsEntry("status", "partial")
        .containsEntry("fanout.targets.failed", "1").containsEntry("fanout.attempts", "4");
    assertThat(web.getError()).isNull();
    assertThat(backup.getError()).isInstanceOf(PurgeException.class).hasMessage("rate limited");
    assertThat(backup.getTags()).containsEntry("error.kind", "throttled");
    assertThat(edge.getError()).isNull();
    // a stage that met its gate is not an error, even when a purger failed; its purge span is
    assertThat(cdn.getTags()).containsEntry("status", "partial");
    assertThat(cdn.getError()).isNull();
    assertThat(inv.getError()).hasMessageContaining("web: 2/3 acked");
    // The test propagator writes nothing, so no trace header was sent.
    assertThat(ok.requests()).allSatisfy(r -> assertThat(r.headers()).doesNotContainKey("traceparent"));
    assertThat(observability.errors()).isZero();
  }

  @Test
  void eachInvalidationIsItsOwnTraceWhenNothingIsCurrent() throws Exception {
    replicas.start(2, LoopbackPod.ok());
    invalidator = Invalidator.builder().listener(observability)
        .stage(Stage.fanout("web", Discovery.of(replicas.endpoints()),
            HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build()))
        .build();

    invalidator.invalidate(Invalidation.builder().path("/a").build()).join();
    invalidator.invalidate(Invalidation.builder().path("/b").build()).join();

    List<SimpleSpan> roots = tracer.getSpans().stream()
        .filter(s -> s.getName().equals("fanout invalidate")).toList();
    assertThat(roots).hasSize(2);
    assertThat(roots).allSatisfy(s -> assertThat(s.getParentId()).isNullOrEmpty());
    assertThat(roots.get(0).getTraceId()).isNotEqualTo(roots.get(1).getTraceId());
  }
}
