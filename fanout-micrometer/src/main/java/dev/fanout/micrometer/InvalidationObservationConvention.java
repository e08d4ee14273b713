package dev.fanout.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the {@code fanout.invalidation} observation of an invalidation. Implement it (or extend {@link
 * DefaultInvalidationObservationConvention}) to replace the default; keep low-cardinality values bounded.
 *
 * @since 0.1
 */
public interface InvalidationObservationConvention extends ObservationConvention<InvalidationContext> {

  /**
   * Returns whether the context is a {@link InvalidationContext}.
   *
   * @param context the context
   * @return true if this convention applies
   */
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof InvalidationContext;
  }
}
