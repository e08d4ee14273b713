package dev.fanout.spring;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code fanout.*} properties that build the application's {@link dev.fanout.Invalidator}.
 *
 * <p>A value left unset takes the library's own default (the one the builder documents), so the
 * starter and the library never disagree about a default. Every value is checked when the
 * application starts; a wrong one stops the start with a message that names the property and what
 * is allowed ({@link FanoutConfigurationException}).
 *
 * @param enabled Whether the starter builds the invalidator, its reports and its metrics (default
 *     true); the receiver and the journal have their own switches.
 * @param stages The stages, in order: inner tiers first, the CDN last. An invalidator is built only
 *     when there is at least one stage (or an {@link InvalidatorBuilderCustomizer} bean adds them).
 * @param deadline The overall deadline of one invalidation, covering discovery, every attempt and
 *     retry, and every purge (default 30s).
 * @param coalescer How 'submit()' coalesces submissions.
 * @param shutdown How the invalidator is closed when the application stops.
 * @param journal The durable journal (fanout-jdbc) in the application's 'DataSource'.
 * @param health What the Actuator health indicator checks.
 * @param recentReports How many recent reports are kept for the health indicator and the 'fanout' Actuator endpoint (1 to 10000).
 * @since 0.1
 */
@ConfigurationProperties("fanout")
public record FanoutProperties(
    @DefaultValue("true") boolean enabled,
    List<StageProperties> stages,
    Duration deadline,
    @DefaultValue Coalescer coalescer,
    @DefaultValue Shutdown shutdown,
    @DefaultValue Journal journal,
    @DefaultValue Health health,
    @DefaultValue("50") int recentReports) {

  /**
   * Normalises absent lists to empty ones.
   *
   * @param enabled see the record description
   * @param stages see the record description
   * @param deadline see the record description
   * @param coalescer see the record description
   * @param shutdown see the record description
   * @param journal see the record description
   * @param health see the record description
   * @param recentReports see the record description
   */
  public FanoutProperties {
    stages = stages == null ? List.of() : List.copyOf(stages);
  }

  /**
   * How {@code submit()} coalesces submissions into flushes.
   *
   * @param quietPeriod How long after the latest submission a flush happens (default 500ms).
   * @param maxWait The longest a submission is held back, counted from the first of a flush
   *     (default 5s); not shorter than the quiet period.
   * @param capacity How many paths and tags may wait for a flush (default 10000).
   * @param overflow What happens to a submission that does not fit: 'flush-early' (the
   *     default: flush what is pending at once) or 'reject'.
   * @since 0.1
   */
  public record Coalescer(Duration quietPeriod, Duration maxWait, Integer capacity, Overflow overflow) {}

  /**
   * The values of {@code fanout.coalescer.overflow}, as {@link dev.fanout.Invalidator.Overflow}.
   *
   * @since 0.1
   */
  public enum Overflow {
    /** Refuse a submission that does not fit. */
    REJECT,
    /** Flush what is pending at once and start the next batch with the submission. */
    FLUSH_EARLY
  }

  /**
   * How the invalidator is closed when the application stops: what {@code submit()} accepted is
   * flushed and the invalidations in flight may finish, while the web server still accepts
   * requests (so a replica that is this application itself can still acknowledge).
   *
   * @param enabled Whether the starter closes the invalidator early in the shutdown (default true);
   *     when false it is closed when its bean is destroyed, after the web server stopped.
   * @param timeout The longest the flush and the invalidations in flight may take (default 30s).
   * @since 0.1
   */
  public record Shutdown(@DefaultValue("true") boolean enabled, @DefaultValue("30s") Duration timeout) {}

  /**
   * The durable journal in the application's own database (fanout-jdbc's {@code JdbcJournal}),
   * built when {@code fanout-jdbc} is on the class path, a {@code DataSource} bean exists and
   * {@code enabled} is true.
   *
   * @param enabled Whether to build the journal (default false).
   * @param table The table name (default 'fanout_journal').
   * @param schema The database schema of the table (default: the connection's search path).
   * @param createSchema Whether to create the table at startup if it does not exist (default false:
   *     apply 'schema-postgresql.sql' as a migration).
   * @param pollInterval How often subscribers are polled when the database cannot notify them
   *     (default 1s).
   * @param listen Whether to use PostgreSQL's 'LISTEN/NOTIFY' (default true; false behind a
   *     pooler in transaction mode).
   * @param maxBatchSize The most appends in one group commit (default 256).
   * @param appendTimeout How long an append waits for its commit (default 30s).
   * @since 0.1
   */
  public record Journal(
      @DefaultValue("false") boolean enabled,
      String table,
      String schema,
      @DefaultValue("false") boolean createSchema,
      Duration pollInterval,
      Boolean listen,
      Integer maxBatchSize,
      Duration appendTimeout) {}

  /**
   * What the Actuator health indicator {@code fanout} checks.
   *
   * @param discoveryTimeout How long each fan-out stage's discovery may take to answer (default 2s).
   * @param maxJournalBacklog The most unfinished journal entries before the indicator says DOWN
   *     (default 10000).
   * @param maxJournalAge The longest the oldest unfinished journal entry may wait before the
   *     indicator says DOWN (default 10m).
   * @since 0.1
   */
  public record Health(
      @DefaultValue("2s") Duration discoveryTimeout,
      @DefaultValue("10000") long maxJournalBacklog,
      @DefaultValue("10m") Duration maxJournalAge) {}
}
