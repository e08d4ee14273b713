package dev.fanout.jdbc;

import dev.fanout.spi.Journal;
import dev.fanout.testing.JournalContract;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** The journal contract on real PostgreSQL, a fresh table per test. */
class PostgresJournalTest extends JournalContract {
  private static final AtomicInteger TABLES = new AtomicInteger();

  @Override
  protected Journal createJournal(Clock clock) {
    return JdbcJournal.builder()
        .dataSource(TestPostgres.shared().pool())
        .table("contract_" + TABLES.incrementAndGet())
        .createSchema(true)
        .clock(clock)
        .pollInterval(Duration.ofMillis(100))
        .build();
  }
}
