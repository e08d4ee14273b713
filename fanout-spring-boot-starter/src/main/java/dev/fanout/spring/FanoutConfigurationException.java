package dev.fanout.spring;

import java.util.Objects;

/**
 * A {@code fanout.*} property is wrong: thrown while the application starts, never at the first
 * invalidation. {@link FanoutConfigurationFailureAnalyzer} turns it into Spring Boot's startup
 * report, naming the property, the problem and what is allowed. The message never contains a
 * secret.
 *
 * @since 0.1
 */
public final class FanoutConfigurationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The offending property, e.g. {@code fanout.stages[0].notifier.signing-secret}. */
  private final String property;

  /** What is wrong with it. */
  private final String problem;

  /** What is allowed, or what to do instead. */
  private final String allowed;

  /**
   * Creates the exception.
   *
   * @param property the offending property, e.g. {@code fanout.stages[0].gate}
   * @param problem what is wrong with it, without the value of a secret
   * @param allowed what is allowed, or what to do instead
   * @param cause the exception of the library's builder that refused the value, or null
   */
  public FanoutConfigurationException(String property, String problem, String allowed, Throwable cause) {
    super(Objects.requireNonNull(property, "property") + ": " + problem, cause);
    this.property = property;
    this.problem = Objects.requireNonNull(problem, "problem");
    this.allowed = Objects.requireNonNull(allowed, "allowed");
  }

  /**
   * Creates the exception without a cause.
   *
   * @param property the offending property
   * @param problem what is wrong with it
   * @param allowed what is allowed
   */
  public FanoutConfigurationException(String property, String problem, String allowed) {
    this(property, problem, allowed, null);
  }

  /**
   * Returns the offending property.
   *
   * @return the property, e.g. {@code fanout.stages[1].fastly.service-id}
   */
  public String property() {
    return property;
  }

  /**
   * Returns what is wrong.
   *
   * @return the problem
   */
  public String problem() {
    return problem;
  }

  /**
   * Returns what is allowed, or what to do instead.
   *
   * @return the advice
   */
  public String allowed() {
    return allowed;
  }
}
