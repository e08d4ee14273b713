package dev.fanout.spring;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.ConfigurationPropertyState;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.ConfigurationCondition;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when there is something to build an invalidator from: a {@code fanout.stages} entry, or
 * an {@link InvalidatorBuilderCustomizer} bean (which may add stages in code). An application that
 * only receives invalidations has neither and gets no invalidator.
 */
final class OnStagesCondition extends SpringBootCondition implements ConfigurationCondition {
  private static final ConfigurationPropertyName STAGES = ConfigurationPropertyName.of("fanout.stages");

  @Override
  public ConfigurationPhase getConfigurationPhase() {
    return ConfigurationPhase.REGISTER_BEAN;
  }

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(context.getEnvironment())) {
      if (source.containsDescendantOf(STAGES) == ConfigurationPropertyState.PRESENT) {
        return ConditionOutcome.match("fanout.stages is set");
      }
    }
    if (context.getBeanFactory() != null
        && context.getBeanFactory().getBeanNamesForType(InvalidatorBuilderCustomizer.class, true, false).length > 0) {
      return ConditionOutcome.match("an InvalidatorBuilderCustomizer bean exists");
    }
    return ConditionOutcome.noMatch("neither fanout.stages nor an InvalidatorBuilderCustomizer bean");
  }
}
