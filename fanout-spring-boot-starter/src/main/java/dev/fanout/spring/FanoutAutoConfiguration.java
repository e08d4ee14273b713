package dev.fanout.spring;

import static dev.fanout.spring.internal.Settings.get;
import static dev.fanout.spring.internal.Settings.set;

import dev.fanout.FanoutListener;
import dev.fanout.Invalidator;
import dev.fanout.spi.Journal;
import java.time.Clock;
import java.util.List;
import java.util.stream.Collectors;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * Builds the application's {@link Invalidator} from the {@code fanout.*} properties ({@link
 * FanoutProperties}), unless the application defines its own {@code Invalidator} bean.
 *
 * <ul>
 *   <li>Stages come from {@code fanout.stages[*]}; {@link StageCustomizer}, {@link
 *       HttpNotifierCustomizer} and {@link InvalidatorBuilderCustomizer} beans adjust what the
 *       properties built.
 *   <li>The invalidator's listener calls every {@link FanoutListener} bean in order (among them
 *       {@link RecentReports} and, when wired, fanout-micrometer's {@code FanoutObservability}).
 *   <li>{@link FanoutShutdown} closes the invalidator early in the application's shutdown, flushing
 *       what {@code submit()} accepted while the web server still accepts requests.
 * </ul>
 *
 * <p>Every value is checked while the application starts; a wrong one stops it with a {@link
 * FanoutConfigurationException} naming the property.
 *
 * @since 0.1
 */
@AutoConfiguration(
    afterName = {
      "dev.fanout.spring.FanoutJournalAutoConfiguration",
      "dev.fanout.spring.FanoutObservabilityAutoConfiguration"
    })
@ConditionalOnProperty(prefix = "fanout", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(FanoutProperties.class)
public class FanoutAutoConfiguration {

  /** Creates the configuration; Spring Boot instantiates it. */
  public FanoutAutoConfiguration() {}

  /**
   * The recent reports, for the health indicator and the Actuator endpoint.
   *
   * @param properties the properties
   * @return the ring buffer
   */
  @Bean
  @ConditionalOnMissingBean
  public RecentReports fanoutRecentReports(FanoutProperties properties) {
    return get("fanout.recent-reports", "1 to 10000.",
        () -> new RecentReports(properties.recentReports(), Clock.systemUTC()));
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(Invalidator.class)
  @Conditional(OnStagesCondition.class)
  FanoutResources fanoutResources() {
    return new FanoutResources();
  }

  /**
   * The invalidator the properties describe.
   *
   * @param properties the properties
   * @param resources collects what the stages own, closed after the invalidator
   * @param beans for purger beans and an application's CloudFront client
   * @param listeners every listener bean, in order
   * @param builderCustomizers adjust the builder
   * @param stageCustomizers adjust each stage
   * @param notifierCustomizers adjust each notifier
   * @param journal the journal, when one is configured: the invalidator sends from it
   * @return the invalidator
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(Invalidator.class)
  @Conditional(OnStagesCondition.class)
  Invalidator fanoutInvalidator(
      FanoutProperties properties,
      FanoutResources resources,
      BeanFactory beans,
      ObjectProvider<FanoutListener> listeners,
      ObjectProvider<InvalidatorBuilderCustomizer> builderCustomizers,
      ObjectProvider<StageCustomizer> stageCustomizers,
      ObjectProvider<HttpNotifierCustomizer> notifierCustomizers,
      ObjectProvider<Journal> journal) {
    Invalidator.Builder b = Invalidator.builder();
    // With the journal (fanout.journal.enabled), submit() returns once the entry is committed and
    // this process's sender loop delivers it; a customizer may still replace it.
    journal.ifAvailable(b::journal);
    StageFactory factory = new StageFactory(beans,
        notifierCustomizers.orderedStream().collect(Collectors.toList()),
        stageCustomizers.orderedStream().collect(Collectors.toList()));
    StageFactory.Built built = factory.build(properties.stages());
    resources.addAll(built.resources());
    built.stages().forEach(b::stage);
    if (properties.deadline() != null) {
      set("fanout.deadline", "A positive duration, e.g. 30s.", () -> b.deadline(properties.deadline()));
    }
    coalescer(b, properties.coalescer());
    List<FanoutListener> all = listeners.orderedStream().collect(Collectors.toList());
    if (!all.isEmpty()) {
      b.listener(CompositeListener.of(all));
    }
    builderCustomizers.orderedStream().forEach(c -> c.customize(b));
    try {
      return b.build();
    } catch (IllegalStateException e) {
      // build() refuses three things: no stage, two stages of one name (added by a customizer, since
      // the factory checks the properties' names), or max-wait shorter than the quiet period.
      String m = String.valueOf(e.getMessage());
      if (m.startsWith("maxWait")) {
        throw new FanoutConfigurationException("fanout.coalescer.max-wait", m,
            "Set max-wait to at least the quiet period (defaults: quiet-period 500ms, max-wait 5s).", e);
      }
      throw new FanoutConfigurationException("fanout.stages", m,
          "List at least one stage, each with its own name, under fanout.stages (or add stages in an "
              + "InvalidatorBuilderCustomizer).", e);
    }
  }

  private static void coalescer(Invalidator.Builder b, FanoutProperties.Coalescer c) {
    if (c.quietPeriod() != null) {
      set("fanout.coalescer.quiet-period", "A positive duration, e.g. 500ms.", () -> b.quietPeriod(c.quietPeriod()));
    }
    if (c.maxWait() != null) {
      set("fanout.coalescer.max-wait", "A positive duration, e.g. 5s.", () -> b.maxWait(c.maxWait()));
    }
    if (c.capacity() != null) {
      set("fanout.coalescer.capacity", "A positive number of paths and tags, e.g. 10000.",
          () -> b.capacity(c.capacity()));
    }
    if (c.overflow() != null) {
      b.overflow(Invalidator.Overflow.valueOf(c.overflow().name()));
    }
  }

  /**
   * Closes the invalidator early in the shutdown, while the web server still accepts requests.
   *
   * @param properties the properties
   * @param invalidator the invalidator, if there is one
   * @return the lifecycle
   */
  @Bean
  @ConditionalOnProperty(prefix = "fanout.shutdown", name = "enabled", matchIfMissing = true)
  public FanoutShutdown fanoutShutdown(FanoutProperties properties, ObjectProvider<Invalidator> invalidator) {
    java.time.Duration timeout = properties.shutdown().timeout();
    if (timeout.isNegative()) {
      throw new FanoutConfigurationException("fanout.shutdown.timeout", "is negative: " + timeout,
          "Zero or a positive duration, e.g. 30s.");
    }
    return new FanoutShutdown(invalidator, timeout);
  }
}
