package dev.fanout.spi;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import java.util.concurrent.CompletionStage;

/**
 * Delivers an invalidation to one replica and completes when the replica acknowledged it, that is,
 * once the replica's cache no longer serves what the invalidation names.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>Safe for concurrent use: the engine delivers to many targets at once through one notifier.
 *   <li>Non-blocking: {@code deliver} returns promptly and completes the stage later.
 *   <li>One call is one attempt. The engine owns retries, per-attempt timeouts and the overall
 *       deadline; a notifier must not retry by itself.
 *   <li>Fails by completing exceptionally, preferably with a {@link dev.fanout.DeliveryException}
 *       that carries the {@link dev.fanout.ErrorKind}, the HTTP status and any {@code Retry-After}.
 *   <li>Cancellation: when the attempt times out or the invalidation is cancelled, the engine
 *       cancels the returned stage's {@code CompletableFuture}; a notifier should then abandon the
 *       request (close the exchange) if it can.
 *   <li>Idempotent delivery: the same invalidation may reach a replica more than once.
 * </ul>
 *
 * @since 0.1
 */
@FunctionalInterface
public interface Notifier {

  /**
   * Sends one attempt of the invalidation to the endpoint.
   *
   * @param endpoint the replica
   * @param invalidation what to invalidate
   * @return a stage that completes with the acknowledgement, or exceptionally
   */
  CompletionStage<Ack> deliver(Endpoint endpoint, Invalidation invalidation);
}
