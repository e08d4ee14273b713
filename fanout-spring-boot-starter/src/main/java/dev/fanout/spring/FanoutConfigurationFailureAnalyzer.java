package dev.fanout.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a {@link FanoutConfigurationException} at startup the way Spring Boot reports a wrong
 * property: the property, the problem, and what is allowed. Registered in {@code
 * META-INF/spring.factories}.
 *
 * @since 0.1
 */
public final class FanoutConfigurationFailureAnalyzer
    extends AbstractFailureAnalyzer<FanoutConfigurationException> {

  /** Creates the analyzer; Spring Boot instantiates it. */
  public FanoutConfigurationFailureAnalyzer() {}

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, FanoutConfigurationException cause) {
    String description = "The fanout configuration is invalid.\n\n"
        + "    Property: " + cause.property() + "\n"
        + "    Problem:  " + cause.problem() + "\n";
    String action = "Update the property '" + cause.property() + "' in your configuration. "
        + cause.allowed();
    return new FailureAnalysis(description, action, cause);
  }
}
