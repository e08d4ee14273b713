package dev.fanout.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the {@code fanout.receive} observation of a replica's receive. Implement it (or extend {@link
 * DefaultReceiveObservationConvention}) to replace the default; keep low-cardinality values bounded.
 *
 * @since 0.1
 */
public interface ReceiveObservationConvention extends ObservationConvention<ReceiveContext> {

  /**
   * Returns whether the context is a {@link ReceiveContext}.
   *
   * @param context the context
   * @return true if this convention applies
   */
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof ReceiveContext;
  }
}
