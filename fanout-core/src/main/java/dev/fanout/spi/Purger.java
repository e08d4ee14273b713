package dev.fanout.spi;

import dev.fanout.Invalidation;
import java.util.concurrent.CompletionStage;

/**
 * Purges an outer cache (a CDN) of what an invalidation names. Purge stages run their purgers
 * concurrently, only after the previous stage met its gate.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>Safe for concurrent use and non-blocking, like the other SPIs.
 *   <li>Completes normally with a {@link PurgeResult} that says what was done, including partial
 *       success (some batches purged, some not, listed in {@link PurgeResult#notPurged()}).
 *   <li>Completes exceptionally (preferably with a {@link dev.fanout.PurgeException}) when nothing
 *       could be purged.
 *   <li>Vendor limits (batch sizes, key formats, in-flight quotas) are the purger's to enforce.
 *   <li>The engine bounds every call by the invalidation's remaining deadline and cancels the
 *       returned stage's {@code CompletableFuture} when it expires; purgers should also set their
 *       own client timeouts so that no call hangs.
 *   <li>Idempotent: a retried purge of the same invalidation must not double-bill or double-apply
 *       where the vendor allows that to be avoided (e.g. CloudFront {@code CallerReference}).
 * </ul>
 *
 * @since 0.1
 */
@FunctionalInterface
public interface Purger {

  /**
   * Purges what the invalidation names.
   *
   * @param invalidation what to purge
   * @return a stage that completes with the result, or exceptionally
   */
  CompletionStage<PurgeResult> purge(Invalidation invalidation);

  /**
   * Returns a short name for reports and logs, e.g. {@code cloudfront:E2QWRUHEXAMPLE}. Must not
   * contain secrets.
   *
   * @return the name; by default the simple class name
   */
  default String name() {
    String simple = getClass().getSimpleName();
    return simple.isEmpty() ? "purger" : simple;
  }
}
