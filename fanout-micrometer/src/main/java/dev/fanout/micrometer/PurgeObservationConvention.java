package dev.fanout.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the {@code fanout.purge} observation of a purger call. Implement it (or extend {@link
 * DefaultPurgeObservationConvention}) to replace the default; keep low-cardinality values bounded.
 *
 * @since 0.1
 */
public interface PurgeObservationConvention extends ObservationConvention<PurgeContext> {

  /**
   * Returns whether the context is a {@link PurgeContext}.
   *
   * @param context the context
   * @return true if this convention applies
   */
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof PurgeContext;
  }
}
