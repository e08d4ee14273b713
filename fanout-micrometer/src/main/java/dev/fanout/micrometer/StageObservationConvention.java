package dev.fanout.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the {@code fanout.stage} observation of a stage. Implement it (or extend {@link
 * DefaultStageObservationConvention}) to replace the default; keep low-cardinality values bounded.
 *
 * @since 0.1
 */
public interface StageObservationConvention extends ObservationConvention<StageContext> {

  /**
   * Returns whether the context is a {@link StageContext}.
   *
   * @param context the context
   * @return true if this convention applies
   */
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof StageContext;
  }
}
