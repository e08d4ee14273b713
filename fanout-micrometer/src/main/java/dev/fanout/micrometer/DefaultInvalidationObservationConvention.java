package dev.fanout.micrometer;

import dev.fanout.InvalidationReport;
import dev.fanout.micrometer.FanoutObservationDocumentation.InvalidationDetails;
import dev.fanout.micrometer.FanoutObservationDocumentation.InvalidationKeys;
import io.micrometer.common.KeyValues;

/**
 * The default names and tags of {@code fanout.invalidation}: tags {@code mode} and, at the end,
 * {@code outcome}; span attributes id, path and tag counts, submissions. Span name {@code fanout
 * invalidate} or {@code fanout flush}.
 *
 * @since 0.1
 */
public class DefaultInvalidationObservationConvention implements InvalidationObservationConvention {

  /** Creates the convention. */
  public DefaultInvalidationObservationConvention() {}

  /**
   * Returns {@code fanout.invalidation}.
   *
   * @return the name
   */
  @Override
  public String getName() {
    return "fanout.invalidation";
  }

  /**
   * Returns {@code fanout flush} for a coalesced flush, {@code fanout invalidate} otherwise.
   *
   * @param context the context
   * @return the span name
   */
  @Override
  public String getContextualName(InvalidationContext context) {
    return context.coalesced() ? "fanout flush" : "fanout invalidate";
  }

  /**
   * Returns {@code mode} and, once the report is known, {@code outcome}.
   *
   * @param context the context
   * @return the tags
   */
  @Override
  public KeyValues getLowCardinalityKeyValues(InvalidationContext context) {
    KeyValues kv = KeyValues.of(
        InvalidationKeys.MODE.withValue(context.coalesced() ? "submit" : "invalidate"));
    InvalidationReport report = context.report();
    if (report != null) {
      kv = kv.and(InvalidationKeys.OUTCOME.withValue(Names.outcome(report)));
    }
    return kv;
  }

  /**
   * Returns the id, the numbers of paths and tags, and the number of submissions.
   *
   * @param context the context
   * @return the span attributes
   */
  @Override
  public KeyValues getHighCardinalityKeyValues(InvalidationContext context) {
    return KeyValues.of(
        InvalidationDetails.ID.withValue(context.invalidation().id()),
        InvalidationDetails.PATHS.withValue(Integer.toString(context.invalidation().paths().size())),
        InvalidationDetails.TAGS.withValue(Integer.toString(context.invalidation().tags().size())),
        InvalidationDetails.SUBMISSIONS.withValue(Integer.toString(context.submissions())));
  }
}
