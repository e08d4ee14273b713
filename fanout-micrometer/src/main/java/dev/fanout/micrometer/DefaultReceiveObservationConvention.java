package dev.fanout.micrometer;

import dev.fanout.micrometer.FanoutObservationDocumentation.ReceiveDetails;
import dev.fanout.micrometer.FanoutObservationDocumentation.ReceiveKeys;
import dev.fanout.receiver.InvalidationReceiver;
import io.micrometer.common.KeyValues;

/**
 * The default names and tags of {@code fanout.receive}: tags {@code outcome} and {@code status} at
 * the end; span attribute {@code fanout.webhook.id} once the request was verified and applied. Span
 * name {@code fanout receive}.
 *
 * @since 0.1
 */
public class DefaultReceiveObservationConvention implements ReceiveObservationConvention {

  /** Creates the convention. */
  public DefaultReceiveObservationConvention() {}

  /**
   * Returns {@code fanout.receive}.
   *
   * @return the name
   */
  @Override
  public String getName() {
    return "fanout.receive";
  }

  /**
   * Returns {@code fanout receive}.
   *
   * @param context the context
   * @return the span name
   */
  @Override
  public String getContextualName(ReceiveContext context) {
    return "fanout receive";
  }

  /**
   * Returns, once the answer is known, {@code outcome} ({@code applied}, {@code rejected} or
   * {@code failed}) and {@code status}.
   *
   * @param context the context
   * @return the tags
   */
  @Override
  public KeyValues getLowCardinalityKeyValues(ReceiveContext context) {
    InvalidationReceiver.Response response = context.response();
    if (response == null) {
      return KeyValues.empty();
    }
    int status = response.status();
    String outcome = response.isSuccess() ? "applied" : status < 500 ? "rejected" : "failed";
    return KeyValues.of(ReceiveKeys.OUTCOME.withValue(outcome),
        ReceiveKeys.STATUS.withValue(Integer.toString(status)));
  }

  /**
   * Returns the {@code webhook-id} once the receiver answered 2xx: only then was it verified, so an
   * unsigned request cannot put arbitrary text into a span.
   *
   * @param context the context
   * @return the span attributes
   */
  @Override
  public KeyValues getHighCardinalityKeyValues(ReceiveContext context) {
    InvalidationReceiver.Response response = context.response();
    if (response == null || !response.isSuccess()) {
      return KeyValues.empty();
    }
    String id = ReceiveContext.header(context.getCarrier(), "webhook-id");
    return id == null ? KeyValues.empty() : KeyValues.of(ReceiveDetails.WEBHOOK_ID.withValue(id));
  }
}
