package dev.fanout.spi;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import java.util.concurrent.CompletableFuture;
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

  /**
   * Sends one attempt of a catch-up signal to the endpoint: {@link CatchUpSignal#START} before a
   * replica that joined or came back is sent the history it missed, {@link CatchUpSignal#DONE}
   * after. The answer says since when the replica's cache is fresh (its process start, or the
   * build time of the content it serves), which narrows the history sent to it; a replica that
   * holds its readiness until caught up becomes ready on a {@code DONE} that carries the nonce its
   * {@code START} answer gave ({@link CatchUpAnswer}). Same contract as {@link
   * #deliver} (one attempt, non-blocking, fails by completing exceptionally); a receiver that does
   * not know the signal refuses it with a 4xx, which the catch-up treats as "no narrowing".
   *
   * <p>The default sends nothing and completes with an empty answer: the whole window is sent,
   * which is right for receivers that cannot tell (a Varnish tier).
   *
   * @param endpoint the replica
   * @param id the signal's id, unique per signal, {@code [A-Za-z0-9_:-]}, at most 128 characters
   * @param signal which signal
   * @param nonce for {@code DONE}, the nonce of the {@code START} answer, or null when it had none;
   *     null for {@code START}
   * @return a stage with the replica's answer ({@link CatchUpAnswer#NONE} when it said nothing)
   * @since 0.2
   */
  default CompletionStage<CatchUpAnswer> catchUp(
      Endpoint endpoint, String id, CatchUpSignal signal, String nonce) {
    return CompletableFuture.completedFuture(CatchUpAnswer.NONE);
  }
}
