package dev.fanout.micrometer;

import dev.fanout.micrometer.FanoutObservationDocumentation.PurgeDetails;
import dev.fanout.micrometer.FanoutObservationDocumentation.PurgeKeys;
import dev.fanout.spi.PurgeResult;
import io.micrometer.common.KeyValues;

/**
 * The default names and tags of {@code fanout.purge}: tags {@code stage}, {@code purger} and, at the
 * end, {@code outcome} and {@code error.kind}; span attributes with the request count, what was
 * not purged and the vendor's ids. Span name {@code fanout purge <purger>}.
 *
 * @since 0.1
 */
public class DefaultPurgeObservationConvention implements PurgeObservationConvention {
  /** At most this many vendor ids go into the span attribute. */
  private static final int MAX_IDS = 10;

  /** Creates the convention. */
  public DefaultPurgeObservationConvention() {}

  /**
   * Returns {@code fanout.purge}.
   *
   * @return the name
   */
  @Override
  public String getName() {
    return "fanout.purge";
  }

  /**
   * Returns {@code fanout purge <purger>}.
   *
   * @param context the context
   * @return the span name
   */
  @Override
  public String getContextualName(PurgeContext context) {
    return "fanout purge " + context.purger();
  }

  /**
   * Returns {@code stage}, {@code purger} and, once the purger finished, {@code outcome} and {@code
   * error.kind}.
   *
   * @param context the context
   * @return the tags
   */
  @Override
  public KeyValues getLowCardinalityKeyValues(PurgeContext context) {
    KeyValues kv = KeyValues.of(
        PurgeKeys.STAGE.withValue(context.stage()), PurgeKeys.PURGER.withValue(context.purger()));
    PurgeResult result = context.result();
    if (result != null) {
      kv = kv.and(PurgeKeys.OUTCOME.withValue(Names.lower(result.status())),
          PurgeKeys.ERROR_KIND.withValue(Names.errorKind(result.errorKind())));
    }
    return kv;
  }

  /**
   * Returns, once the purger finished, its request count, how many items were not purged and the
   * first vendor ids.
   *
   * @param context the context
   * @return the span attributes
   */
  @Override
  public KeyValues getHighCardinalityKeyValues(PurgeContext context) {
    PurgeResult result = context.result();
    if (result == null) {
      return KeyValues.empty();
    }
    return KeyValues.of(
        PurgeDetails.REQUESTS.withValue(Integer.toString(result.requests())),
        PurgeDetails.NOT_PURGED.withValue(Integer.toString(result.notPurged().size())),
        PurgeDetails.REQUEST_IDS.withValue(String.join(",",
            result.requestIds().subList(0, Math.min(MAX_IDS, result.requestIds().size())))));
  }
}
