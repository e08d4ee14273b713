package dev.fanout.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.Stage;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.spi.Discovery;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * W3C trace context over the wire with a real OpenTelemetry SDK behind Micrometer Tracing: the
 * sender's invalidation fans out to a replica on 127.0.0.2 running {@link InvalidationReceiver}
 * behind {@link ObservedReceiver} on a JDK {@link HttpServer}. The sender and the replica have
 * separate observation registries and meet only through the HTTP request.
 */
class TraceContextWireTest {
  private static final String SECRET = WebhookSigner.generateSecret();

  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private OpenTelemetrySdk sdk;
  private Tracer tracer;
  private final Map<String, String> received = new ConcurrentHashMap<>();
  private final Map<String, String> seenByHandler = new ConcurrentHashMap<>();
  private final SimpleMeterRegistry replicaMeters = new SimpleMeterRegistry();
  private HttpServer replica;
  private ExecutorService replicaThreads;
  private Invalidator invalidator;

  /** Registers Micrometer Tracing's handlers the way Spring Boot does. */
  private ObservationRegistry tracedRegistry() {
    ContextPropagators propagators = ContextPropagators.create(W3CTraceContextPropagator.getInstance());
    OtelPropagator propagator = new OtelPropagator(propagators, sdk.getTracer("fanout-test"));
    ObservationRegistry registry = ObservationRegistry.create();
    registry.observationConfig().observationHandler(
        new ObservationHandler.FirstMatchingCompositeObservationHandler(
            new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
            new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
            new DefaultTracingObservationHandler(tracer)));
    return registry;
  }

  @BeforeEach
  void start() throws IOException {
    sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    tracer = new OtelTracer(sdk.getTracer("fanout-test"), new OtelCurrentTraceContext(), event -> { });

    ObservationRegistry replicaRegistry = tracedRegistry();
    replicaRegistry.observationConfig().observationHandler(new DefaultMeterObservationHandler(replicaMeters));
    InvalidationReceiver receiver = InvalidationReceiver.builder().secret(SECRET)
        .handler(inv -> {
          io.micrometer.tracing.Span current = tracer.currentSpan();
          if (current != null) {
            seenByHandler.put("traceId", current.context().traceId());
            seenByHandler.put("spanId", current.context().spanId());
          }
        })
        .build();
    ObservedReceiver observed = ObservedReceiver.of(receiver, replicaRegistry);
    replicaThreads = Executors.newFixedThreadPool(2);
    replica = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0), 16);
    replica.setExecutor(replicaThreads);
    replica.createContext("/api/revalidate", exchange -> {
      String traceparent = exchange.getRequestHeaders().getFirst("traceparent");
      if (traceparent != null) {
        received.put("traceparent", traceparent);
      }
      byte[] body = exchange.getRequestBody().readAllBytes();
      observed.handleAsync(exchange.getRequestMethod(), exchange.getRequestHeaders(), body)
          .thenAccept(r -> answer(exchange, r));
    });
    replica.start();
  }

  private static void answer(HttpExchange exchange, InvalidationReceiver.Response r) {
    try (OutputStream out = exchange.getResponseBody()) {
      byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(r.status(), bytes.length);
      out.write(bytes);
    } catch (IOException e) {
      exchange.close();
    }
  }

  @AfterEach
  void stop() {
    if (invalidator != null) {
      invalidator.close();
    }
    replica.stop(0);
    replicaThreads.shutdownNow();
    sdk.close();
  }

  private Endpoint replicaEndpoint() {
    return Endpoint.of("127.0.0.2", replica.getAddress().getPort());
  }

  private static SpanData span(List<SpanData> spans, String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow(
        () -> new AssertionError("no span " + name + " in " + spans));
  }

  @Test
  void theReplicasReceiveSpanIsAChildOfTheStageThatReachedIt() {
    ObservationRegistry senderRegistry = tracedRegistry();
    FanoutObservability observability =
        FanoutObservability.builder().observationRegistry(senderRegistry).build();
    HttpNotifier notifier = observability.propagateTraceContext(
        HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET)).build();
    invalidator = Invalidator.builder().listener(observability)
        .stage(Stage.fanout("web", Discovery.of(replicaEndpoint()), notifier)).build();
    Invalidation invalidation = Invalidation.builder().path("/blog/hello").build();

    Observation request = Observation.start("backend request", senderRegistry);
    InvalidationReport report = request.scoped(() -> invalidator.invalidate(invalidation).join());
    request.stop();

    assertThat(report.isComplete()).isTrue();
    List<SpanData> spans = exporter.getFinishedSpanItems();
    SpanData root = span(spans, "backend request");
    SpanData inv = span(spans, "fanout invalidate");
    SpanData web = span(spans, "fanout stage web");
    SpanData receive = span(spans, "fanout receive");
    String traceId = root.getTraceId();
    assertThat(List.of(inv, web, receive)).extracting(SpanData::getTraceId).containsOnly(traceId);
    assertThat(inv.getParentSpanId()).isEqualTo(root.getSpanId());
    assertThat(web.getParentSpanId()).isEqualTo(inv.getSpanId());
    assertThat(web.getKind()).isEqualTo(SpanKind.PRODUCER);
    // the header on the wire names the stage span
    assertThat(received.get("traceparent")).isEqualTo("00-" + traceId + "-" + web.getSpanId() + "-01");
    // the replica continued that trace, and its handler ran inside the receive span
    assertThat(receive.getParentSpanId()).isEqualTo(web.getSpanId());
    assertThat(receive.getParentSpanContext().isRemote()).isTrue();
    assertThat(receive.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(receive.getAttributes().asMap().toString())
        .contains("fanout.webhook.id=" + invalidation.id()).contains("status=200");
    assertThat(seenByHandler).containsEntry("traceId", traceId).containsEntry("spanId", receive.getSpanId());
    assertThat(replicaMeters.get("fanout.receive").tags("outcome", "applied", "status", "200")
        .timer().count()).isEqualTo(1);
    assertThat(observability.errors()).isZero();
  }

  @Test
  void withoutPropagationTheReplicaStartsItsOwnTraceAndARejectedRequestIsTaggedSo() throws Exception {
    // The sender records metrics only: no tracing handler, so no traceparent is computed.
    FanoutObservability observability =
        FanoutObservability.builder().meterRegistry(new SimpleMeterRegistry()).build();
    HttpNotifier wrongSecret = observability.propagateTraceContext(HttpNotifier.builder()
        .path("/api/revalidate").signingSecret(WebhookSigner.generateSecret())).build();
    invalidator = Invalidator.builder().listener(observability)
        .stage(Stage.fanout("web", Discovery.of(replicaEndpoint()), wrongSecret)).build();

    InvalidationReport report =
        invalidator.invalidate(Invalidation.builder().path("/blog/hello").build()).join();

    assertThat(report.isComplete()).isFalse();
    assertThat(received).doesNotContainKey("traceparent");
    SpanData receive = span(exporter.getFinishedSpanItems(), "fanout receive");
    assertThat(receive.getParentSpanContext().isValid()).isFalse();
    // nothing unverified reaches a span: no webhook id on a rejected request
    assertThat(receive.getAttributes().asMap().toString()).doesNotContain("fanout.webhook.id");
    assertThat(replicaMeters.get("fanout.receive").tags("outcome", "rejected", "status", "401")
        .timer().count()).isEqualTo(1);
  }
}
