package dev.fanout.spring;

import dev.fanout.spi.Journal;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Builds the durable journal ({@code fanout-jdbc}'s {@code JdbcJournal}) on the application's
 * {@link DataSource} when {@code fanout.journal.enabled} is true. Enabled without fanout-jdbc on the
 * class path or without a {@code DataSource} bean, the application does not start (rather than run
 * without the durability it asked for). The table must be readable at startup.
 *
 * <p>The journal serves the Actuator health indicator (its backlog), the {@code fanout} endpoint
 * (the status of an invalidation by id) and fanout-micrometer's journal gauges, and is available to
 * the application for its transactional outbox ({@code journal.append(connection, invalidation)}).
 *
 * @since 0.1
 */
@AutoConfiguration(afterName = {
  "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
  "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration" // where Spring Boot 4 has it
})
@ConditionalOnClass(DataSource.class)
@ConditionalOnProperty(prefix = "fanout.journal", name = "enabled", havingValue = "true")
@EnableConfigurationProperties(FanoutProperties.class)
public class FanoutJournalAutoConfiguration {

  /** Creates the configuration; Spring Boot instantiates it. */
  public FanoutJournalAutoConfiguration() {}

  /**
   * The journal in the application's database.
   *
   * @param properties the properties
   * @param dataSource the application's data source
   * @param resources the class loader that tells whether fanout-jdbc is there
   * @return the journal, closed with the context (the data source is not)
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(Journal.class)
  public Journal fanoutJournal(FanoutProperties properties, ObjectProvider<DataSource> dataSource,
      org.springframework.core.io.ResourceLoader resources) {
    dev.fanout.spring.internal.Settings.requireModule("fanout.journal.enabled", "dev.fanout.jdbc.JdbcJournal",
        "fanout-jdbc", resources.getClassLoader());
    DataSource ds = dataSource.getIfUnique();
    if (ds == null) {
      throw new FanoutConfigurationException("fanout.journal.enabled",
          "is true but the application has no single DataSource bean",
          "Configure spring.datasource.* (or define one primary DataSource bean), or set "
              + "fanout.journal.enabled: false.");
    }
    return JdbcJournals.build(ds, properties.journal());
  }
}
