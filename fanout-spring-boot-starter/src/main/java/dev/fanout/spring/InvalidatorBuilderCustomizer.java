package dev.fanout.spring;

import dev.fanout.Invalidator;

/**
 * Adjusts the {@link Invalidator.Builder} after the {@code fanout.*} properties were applied and
 * before the invalidator is built: add a stage built in code, set an executor, and so on. Beans of
 * this type are applied in {@link org.springframework.core.annotation.Order} order.
 *
 * <p>Listeners: register {@link dev.fanout.FanoutListener} beans rather than calling {@code
 * listener(...)} here, which would replace the listener the starter composes (recent reports,
 * metrics and every listener bean).
 *
 * <p>Called once, on the thread that creates the invalidator bean, while the application starts; an
 * exception thrown here stops the start.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface InvalidatorBuilderCustomizer {

  /**
   * Adjusts the builder.
   *
   * @param builder the builder, with the properties' stages and options applied
   */
  void customize(Invalidator.Builder builder);
}
