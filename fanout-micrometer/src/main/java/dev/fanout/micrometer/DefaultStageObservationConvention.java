package dev.fanout.micrometer;

import dev.fanout.StageReport;
import dev.fanout.TargetResult;
import dev.fanout.micrometer.FanoutObservationDocumentation.StageDetails;
import dev.fanout.micrometer.FanoutObservationDocumentation.StageKeys;
import io.micrometer.common.KeyValues;

/**
 * The default names and tags of {@code fanout.stage}: tags {@code stage} and, at the end, {@code
 * status}; span attributes with the target counts and the report's summary line. Span name {@code
 * fanout stage <name>}.
 *
 * @since 0.1
 */
public class DefaultStageObservationConvention implements StageObservationConvention {

  /** Creates the convention. */
  public DefaultStageObservationConvention() {}

  /**
   * Returns {@code fanout.stage}.
   *
   * @return the name
   */
  @Override
  public String getName() {
    return "fanout.stage";
  }

  /**
   * Returns {@code fanout stage <name>}.
   *
   * @param context the context
   * @return the span name
   */
  @Override
  public String getContextualName(StageContext context) {
    return "fanout stage " + context.stage();
  }

  /**
   * Returns {@code stage} and, once the stage ended, {@code status}.
   *
   * @param context the context
   * @return the tags
   */
  @Override
  public KeyValues getLowCardinalityKeyValues(StageContext context) {
    KeyValues kv = KeyValues.of(StageKeys.STAGE.withValue(context.stage()));
    StageReport report = context.report();
    if (report != null) {
      kv = kv.and(StageKeys.STATUS.withValue(Names.lower(report.status())));
    }
    return kv;
  }

  /**
   * Returns, once the stage ended, its kind, the target counts by outcome, the number of attempts
   * and the report's summary line.
   *
   * @param context the context
   * @return the span attributes
   */
  @Override
  public KeyValues getHighCardinalityKeyValues(StageContext context) {
    StageReport report = context.report();
    if (report == null) {
      return KeyValues.empty();
    }
    int excused = 0;
    int skipped = 0;
    int attempts = 0;
    for (TargetResult t : report.targets()) {
      attempts += t.attempts();
      if (t.outcome() == TargetResult.Outcome.EXCUSED) {
        excused++;
      } else if (t.outcome() == TargetResult.Outcome.SKIPPED) {
        skipped++;
      }
    }
    return KeyValues.of(
        StageDetails.KIND.withValue(Names.lower(report.kind())),
        StageDetails.ACKED.withValue(Integer.toString(report.acked())),
        StageDetails.FAILED.withValue(Integer.toString(report.failed())),
        StageDetails.EXCUSED.withValue(Integer.toString(excused)),
        StageDetails.SKIPPED.withValue(Integer.toString(skipped)),
        StageDetails.ATTEMPTS.withValue(Integer.toString(attempts)),
        StageDetails.SUMMARY.withValue(report.summary()));
  }
}
