package dev.fanout.spring.actuate;

import dev.fanout.Invalidator;
import dev.fanout.spi.Journal;
import dev.fanout.spring.FanoutAutoConfiguration;
import dev.fanout.spring.FanoutProperties;
import dev.fanout.spring.RecentReports;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The Actuator parts, when spring-boot-actuator is on the class path: the {@code fanout} health
 * indicator (when there is an invalidator) and the {@code fanout} endpoint.
 *
 * @since 0.1
 */
@AutoConfiguration(after = FanoutAutoConfiguration.class,
    afterName = "dev.fanout.spring.FanoutJournalAutoConfiguration")
@ConditionalOnClass({HealthIndicator.class, ConditionalOnAvailableEndpoint.class})
@ConditionalOnBean(RecentReports.class)
public class FanoutActuatorAutoConfiguration {

  /** Creates the configuration; Spring Boot instantiates it. */
  public FanoutActuatorAutoConfiguration() {}

  /**
   * The health indicator.
   *
   * @param invalidator the invalidator
   * @param reports the recent reports
   * @param journal the journal, if any
   * @param properties the thresholds
   * @return the indicator
   */
  @Bean
  @ConditionalOnBean(Invalidator.class)
  @ConditionalOnEnabledHealthIndicator("fanout")
  @ConditionalOnMissingBean(name = "fanoutHealthIndicator")
  public FanoutHealthIndicator fanoutHealthIndicator(Invalidator invalidator, RecentReports reports,
      ObjectProvider<Journal> journal, FanoutProperties properties) {
    return new FanoutHealthIndicator(invalidator, reports, journal.getIfUnique(),
        properties.health(), Clock.systemUTC());
  }

  /**
   * The endpoint.
   *
   * @param invalidator the invalidator, if any
   * @param reports the recent reports
   * @param journal the journal, if any
   * @return the endpoint
   */
  @Bean
  @ConditionalOnAvailableEndpoint
  @ConditionalOnMissingBean
  public FanoutEndpoint fanoutEndpoint(ObjectProvider<Invalidator> invalidator, RecentReports reports,
      ObjectProvider<Journal> journal) {
    return new FanoutEndpoint(invalidator.getIfUnique(), reports, journal.getIfUnique());
  }
}
