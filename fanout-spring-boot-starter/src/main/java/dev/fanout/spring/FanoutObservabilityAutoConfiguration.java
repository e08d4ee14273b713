package dev.fanout.spring;

import dev.fanout.micrometer.FanoutObservability;
import dev.fanout.spi.Backlog;
import dev.fanout.spi.Journal;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.util.Optional;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.ConfigurationCondition;

/**
 * Wires fanout-micrometer when it is on the class path and the application has an {@link
 * ObservationRegistry} or a {@link MeterRegistry} bean (Spring Boot's Actuator provides both): a
 * {@link FanoutObservability} listener on the invalidator, the W3C trace context on every {@code
 * HttpNotifier} request (through an {@link HttpNotifierCustomizer}), the journal gauges when there
 * is a journal, and an observed receiver on the receiving side.
 *
 * @since 0.1
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration",
      // The same, where Spring Boot 4 moved them (names that do not exist are ignored).
      "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
      "dev.fanout.spring.FanoutJournalAutoConfiguration"
    })
@ConditionalOnClass({FanoutObservability.class, ObservationRegistry.class, MeterRegistry.class})
@ConditionalOnProperty(prefix = "fanout", name = "enabled", matchIfMissing = true)
@Conditional(FanoutObservabilityAutoConfiguration.OnRegistry.class)
public class FanoutObservabilityAutoConfiguration {

  /** How long a journal backlog read serves the two journal gauges of one scrape. */
  private static final long BACKLOG_REUSE_NANOS = 1_000_000_000L;

  /** Creates the configuration; Spring Boot instantiates it. */
  public FanoutObservabilityAutoConfiguration() {}

  /**
   * The listener that records meters and spans.
   *
   * @param observations the observation registry, if any
   * @param meters the meter registry, if any
   * @param journal the journal, if any: its backlog becomes gauges
   * @return the listener, closed with the context (its gauges are removed)
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public FanoutObservability fanoutObservability(ObjectProvider<ObservationRegistry> observations,
      ObjectProvider<MeterRegistry> meters, ObjectProvider<Journal> journal) {
    FanoutObservability.Builder b = FanoutObservability.builder();
    ObservationRegistry o = observations.getIfUnique();
    MeterRegistry m = meters.getIfUnique();
    if (o != null) {
      b.observationRegistry(o);
    }
    if (m != null) {
      b.meterRegistry(m);
    }
    FanoutObservability observability = b.build();
    Journal j = journal.getIfUnique();
    if (j != null && m != null) {
      BacklogReader reader = new BacklogReader(j);
      observability.bindJournal(() -> reader.read().unfinished(),
          () -> Optional.ofNullable(reader.read().oldestAcceptedAt()));
    }
    return observability;
  }

  /**
   * Adds {@code traceparent} and {@code tracestate} to every request the stages' notifiers send.
   *
   * @param observability the listener whose stage observations carry the trace context
   * @return the customizer
   */
  @Bean
  public HttpNotifierCustomizer fanoutTraceContextPropagation(FanoutObservability observability) {
    return (stage, builder) -> observability.propagateTraceContext(builder);
  }

  /** Reads the journal's backlog at most once a second for the two gauges that share it. */
  private static final class BacklogReader {
    private final Journal journal;
    private Backlog last = Backlog.EMPTY;
    private long readAt;
    private boolean read;

    BacklogReader(Journal journal) {
      this.journal = journal;
    }

    synchronized Backlog read() {
      long now = System.nanoTime();
      if (!read || now - readAt > BACKLOG_REUSE_NANOS) {
        last = journal.backlog();
        readAt = now;
        read = true;
      }
      return last;
    }
  }

  /** Either registry will do. */
  static final class OnRegistry extends AnyNestedCondition {
    OnRegistry() {
      super(ConfigurationCondition.ConfigurationPhase.REGISTER_BEAN);
    }

    @ConditionalOnBean(ObservationRegistry.class)
    static final class Observations {}

    @ConditionalOnBean(MeterRegistry.class)
    static final class Meters {}
  }
}
