package dev.fanout.spring;

import dev.fanout.http.HttpNotifier;

/**
 * Adjusts the {@link HttpNotifier.Builder} of a fan-out stage after its {@code notifier.*}
 * properties were applied: a computed header, {@code ackWhen(...)}, a client of your own. The
 * starter itself registers one that adds the W3C trace context when fanout-micrometer is wired.
 * Beans of this type are applied in {@link org.springframework.core.annotation.Order} order.
 *
 * <p>Called once per fan-out stage while the application starts; an exception thrown here stops the
 * start.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface HttpNotifierCustomizer {

  /**
   * Adjusts the builder.
   *
   * @param stage the stage's name
   * @param builder the builder, with the stage's properties applied
   */
  void customize(String stage, HttpNotifier.Builder builder);
}
