package dev.fanout;

import dev.fanout.spi.PurgeResult;
import java.time.Duration;
import java.util.List;

/**
 * Observes everything an {@link Invalidator} does: every stage, every delivery attempt, every purge,
 * every coalescer flush. Use it for metrics and tracing; the report is the place for results.
 *
 * <p>All methods have no-op defaults. They are called on the engine's threads and must return
 * quickly. Exceptions they throw are caught, logged at DEBUG and otherwise ignored: a broken
 * listener never changes the outcome of an invalidation.
 *
 * <p>Order, per invalidation: {@code onInvalidationStart}; for each stage {@code onStageStart}, then
 * for fan-out stages {@code onDiscovery} and, per target, {@code onAttemptStart}/{@code
 * onAttemptEnd} pairs (with {@code onRetryScheduled} between retries) ending in {@code
 * onTargetEnd}, or for purge stages {@code onPurgeStart}/{@code onPurgeEnd} pairs; then {@code
 * onStageEnd}; finally {@code onInvalidationEnd}. Events of different targets interleave. {@code
 * onStageEnd} returns before the next stage starts, so a listener can observe the caches between two
 * stages (the end-to-end example reads through Varnish there to prove the order matters).
 *
 * @since 0.1
 */
public interface FanoutListener {

  /** A listener that does nothing. */
  FanoutListener NONE = new FanoutListener() {};

  /**
   * An invalidation starts running through the stages.
   *
   * @param invalidation the invalidation
   */
  default void onInvalidationStart(Invalidation invalidation) {}

  /**
   * An invalidation finished; its report is complete.
   *
   * @param report the report
   */
  default void onInvalidationEnd(InvalidationReport report) {}

  /**
   * A stage starts.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   */
  default void onStageStart(Invalidation invalidation, String stage) {}

  /**
   * A stage ended.
   *
   * @param invalidation the invalidation
   * @param report the stage's report
   */
  default void onStageEnd(Invalidation invalidation, StageReport report) {}

  /**
   * Discovery answered.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param endpoints what discovery returned, before filtering and deduplication
   * @param recheck true for the membership re-check after the fan-out
   */
  default void onDiscovery(
      Invalidation invalidation, String stage, List<Endpoint> endpoints, boolean recheck) {}

  /**
   * A delivery attempt starts.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param endpoint the target
   * @param attempt the attempt number, starting at 1
   */
  default void onAttemptStart(
      Invalidation invalidation, String stage, Endpoint endpoint, int attempt) {}

  /**
   * A delivery attempt ended.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param endpoint the target
   * @param attempt the attempt number
   * @param failure the failure, or {@code null} if the target acknowledged
   * @param latency how long the attempt took
   */
  default void onAttemptEnd(
      Invalidation invalidation,
      String stage,
      Endpoint endpoint,
      int attempt,
      Throwable failure,
      Duration latency) {}

  /**
   * A failed target will be retried after a delay.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param endpoint the target
   * @param nextAttempt the number of the next attempt
   * @param delay the delay before it
   */
  default void onRetryScheduled(
      Invalidation invalidation, String stage, Endpoint endpoint, int nextAttempt, Duration delay) {}

  /**
   * A target reached its final outcome.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param result the result
   */
  default void onTargetEnd(Invalidation invalidation, String stage, TargetResult result) {}

  /**
   * A purger is called.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param purger the purger's name
   */
  default void onPurgeStart(Invalidation invalidation, String stage, String purger) {}

  /**
   * A purger finished.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param result the result
   */
  default void onPurgeEnd(Invalidation invalidation, String stage, PurgeResult result) {}

  /**
   * The coalescer flushed: the submissions accepted by {@link Invalidator#submit} since the
   * previous flush were merged into one invalidation, which starts right after this call (so this
   * event precedes its {@code onInvalidationStart}).
   *
   * @param merged the merged invalidation that will run
   * @param submissions how many submissions it carries
   * @param superseded how many submissions were dropped since the previous flush as older versions
   *     of an entity (their futures completed at once with a superseded report)
   */
  default void onFlush(Invalidation merged, int submissions, int superseded) {}

  /**
   * A replica's catch-up ended (see {@code Stage.Fanout#catchUp}): it was sent the history it
   * missed, or it could not be caught up after its retries. Called once per outcome, on the
   * invalidator's threads, outside any invalidation.
   *
   * @param report the outcome
   * @since 0.2
   */
  default void onCatchUp(dev.fanout.catchup.CatchUpReport report) {}
}
