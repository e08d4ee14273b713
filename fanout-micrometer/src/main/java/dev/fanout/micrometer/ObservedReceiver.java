package dev.fanout.micrometer;

import dev.fanout.receiver.InvalidationReceiver;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continues the sender's trace on a replica: wraps an {@link InvalidationReceiver} so that every
 * request is a {@code fanout.receive} observation whose parent is the {@code traceparent} the
 * sender's {@link FanoutObservability} put on the request. The observation is current on the
 * calling thread while the receiver verifies the request and starts its handler, so a
 * synchronous handler's own observations (a cache eviction, a database call) join the trace too.
 *
 * <pre>{@code
 * ObservedReceiver observed = ObservedReceiver.of(receiver, observationRegistry);
 *
 * @PostMapping("/api/revalidate")
 * ResponseEntity<String> revalidate(@RequestHeader HttpHeaders headers, @RequestBody byte[] body) {
 *   InvalidationReceiver.Response r = observed.handle("POST", headers, body);
 *   return ResponseEntity.status(r.status()).contentType(MediaType.APPLICATION_JSON).body(r.body());
 * }
 * }</pre>
 *
 * <p>The trace context is taken from the headers by the registry's propagating receiver handler
 * (Micrometer Tracing's {@code PropagatingReceiverTracingObservationHandler}, which Spring Boot
 * registers); without one, the observation is a timer only. The receiver's checks and answers are
 * unchanged: this class only observes them. Thread-safe.
 *
 * @since 0.1
 */
public final class ObservedReceiver {
  private static final Logger LOG = LoggerFactory.getLogger(ObservedReceiver.class);
  private static final ReceiveObservationConvention DEFAULT = new DefaultReceiveObservationConvention();
  /** The receiver's own answer to a failure it did not expect. */
  private static final InvalidationReceiver.Response INTERNAL_ERROR =
      new InvalidationReceiver.Response(500, "{\"error\":\"internal error\"}");

  private final InvalidationReceiver receiver;
  private final ObservationRegistry registry;
  private final ReceiveObservationConvention convention;

  private ObservedReceiver(
      InvalidationReceiver receiver, ObservationRegistry registry, ReceiveObservationConvention convention) {
    this.receiver = Objects.requireNonNull(receiver, "receiver");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.convention = convention;
  }

  /**
   * Wraps a receiver with the default convention.
   *
   * @param receiver the receiver
   * @param registry the observation registry
   * @return the wrapper
   * @throws NullPointerException if an argument is null
   */
  public static ObservedReceiver of(InvalidationReceiver receiver, ObservationRegistry registry) {
    return new ObservedReceiver(receiver, registry, null);
  }

  /**
   * Wraps a receiver with a convention of your own.
   *
   * @param receiver the receiver
   * @param registry the observation registry
   * @param convention names and tags the {@code fanout.receive} observation
   * @return the wrapper
   * @throws NullPointerException if an argument is null
   */
  public static ObservedReceiver of(InvalidationReceiver receiver, ObservationRegistry registry,
      ReceiveObservationConvention convention) {
    return new ObservedReceiver(receiver, registry, Objects.requireNonNull(convention, "convention"));
  }

  /**
   * Returns the wrapped receiver.
   *
   * @return the receiver
   */
  public InvalidationReceiver receiver() {
    return receiver;
  }

  /**
   * Handles one request as {@link InvalidationReceiver#handleAsync(String, Map, byte[])} does,
   * inside a {@code fanout.receive} observation that ends when the answer is known. The future
   * never completes exceptionally.
   *
   * @param method the HTTP method
   * @param headers the request headers; names are matched case-insensitively
   * @param body the raw body exactly as received, or null for none
   * @return the answer, when ready
   * @throws NullPointerException if {@code headers} is null
   */
  public CompletableFuture<InvalidationReceiver.Response> handleAsync(
      String method, Map<String, List<String>> headers, byte[] body) {
    Objects.requireNonNull(headers, "headers");
    Observation observation;
    ReceiveContext context;
    try {
      context = new ReceiveContext(method, headers);
      ReceiveContext c = context;
      observation = FanoutObservationDocumentation.RECEIVE.observation(
          convention, DEFAULT, () -> c, registry).start();
    } catch (RuntimeException e) {
      LOG.debug("receive observation could not be started", e);
      return receiver.handleAsync(method, headers, body);
    }
    CompletableFuture<InvalidationReceiver.Response> answer;
    Observation.Scope scope = observation.openScope();
    try {
      answer = receiver.handleAsync(method, headers, body);
    } catch (RuntimeException e) {
      // handleAsync is written never to throw; if it does, the observation still ends.
      scope.close();
      stop(observation, context, null, e);
      throw e;
    }
    scope.close();
    return answer.whenComplete((response, error) -> stop(observation, context, response, error));
  }

  /**
   * Handles one request and waits for the answer, as {@link InvalidationReceiver#handle(String,
   * Map, byte[])} does, inside a {@code fanout.receive} observation.
   *
   * @param method the HTTP method
   * @param headers the request headers; names are matched case-insensitively
   * @param body the raw body exactly as received, or null for none
   * @return the answer
   * @throws NullPointerException if {@code headers} is null
   */
  public InvalidationReceiver.Response handle(
      String method, Map<String, List<String>> headers, byte[] body) {
    try {
      return handleAsync(method, headers, body).join();
    } catch (CompletionException e) {
      LOG.warn("receiver failed unexpectedly", e);
      return INTERNAL_ERROR;
    }
  }

  private static void stop(Observation observation, ReceiveContext context,
      InvalidationReceiver.Response response, Throwable error) {
    try {
      // Only a receiver bug ends without an answer; tag it as the 500 a caller would get.
      context.response(response != null ? response
          : INTERNAL_ERROR);
      if (error != null) {
        observation.error(error);
      }
      observation.stop();
    } catch (RuntimeException e) {
      LOG.debug("receive observation could not be stopped", e);
    }
  }
}
