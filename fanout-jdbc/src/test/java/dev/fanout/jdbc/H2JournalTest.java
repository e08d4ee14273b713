package dev.fanout.jdbc;

import dev.fanout.spi.Journal;
import dev.fanout.testing.JournalContract;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.jdbcx.JdbcDataSource;

/** The journal contract on H2 (the demo database), a fresh in-memory database per test. */
class H2JournalTest extends JournalContract {
  private static final AtomicInteger DATABASES = new AtomicInteger();

  @Override
  protected Journal createJournal(Clock clock) {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:contract" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    return JdbcJournal.builder()
        .dataSource(ds)
        .createSchema(true)
        .clock(clock)
        .pollInterval(Duration.ofMillis(100))
        .build();
  }
}
