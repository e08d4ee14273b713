package dev.fanout.spring.internal;

import dev.fanout.spring.FanoutConfigurationException;

import java.util.function.Supplier;

/**
 * Internal: applies one property to a library builder, turning the builder's refusal into a {@link
 * FanoutConfigurationException} that names the property. The library's messages never contain
 * secrets, so they are passed on as they are.
 */
public final class Settings {
  private Settings() {}

  /** Runs {@code apply}; a refusal names {@code property} and says what is allowed. */
  public static void set(String property, String allowed, Runnable apply) {
    get(property, allowed, () -> {
      apply.run();
      return null;
    });
  }

  /** Returns what {@code build} builds; a refusal names {@code property}. */
  public static <T> T get(String property, String allowed, Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException | IllegalStateException | NullPointerException e) {
      String problem = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      throw new FanoutConfigurationException(property, problem, allowed, e);
    }
  }

  /** Fails unless {@code value} is set. */
  public static <T> T required(String property, T value, String allowed) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      throw new FanoutConfigurationException(property, "is required", allowed);
    }
    return value;
  }

  /** Fails unless the class is on the class path. */
  public static void requireModule(String property, String className, String artifact,
      ClassLoader classLoader) {
    if (!org.springframework.util.ClassUtils.isPresent(className, classLoader)) {
      throw new FanoutConfigurationException(property, "needs " + artifact + " on the class path",
          "Add the dependency dev.fanout:" + artifact + " (the same version as the starter), or "
              + "remove the property.");
    }
  }
}
