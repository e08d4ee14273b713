package dev.fanout.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.fanout.Invalidation;
import dev.fanout.jdbc.JdbcJournal;
import dev.fanout.jdbc.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures {@link JdbcJournal#append(Invalidation, dev.fanout.spi.Lease)} into real PostgreSQL:
 * appends a second and the latency of each call (p50, p99, max), from 1 and 8 threads, with group
 * commit and without it ({@code maxBatchSize(1)}), and how many appends shared a commit. Prints a
 * table; see BENCHMARKS.md.
 *
 * <p>PostgreSQL runs from the Maven Central binaries (fanout-jdbc's {@code TestPostgres}) with its
 * default, durable settings ({@code fsync=on}, {@code synchronous_commit=on}): every commit waits
 * for the disk. The journal reaches it through a HikariCP pool of 10 connections, as an
 * application would.
 */
public final class JournalBench {
  private static final int WARMUP_PER_THREAD = 300;

  private JournalBench() {}

  /**
   * Runs the benchmark.
   *
   * @param args {@code --quick} for fewer appends
   * @throws Exception if a thread fails
   */
  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    boolean quick = Arrays.asList(args).contains("--quick");
    int perThread8 = quick ? 500 : 2_500;
    try (TestPostgres pg = TestPostgres.start(Map.of());
        HikariDataSource pool = ConcurrentCalls.pool(pg, "bench")) {
      System.out.println("== JdbcJournal.append() into PostgreSQL " + version(pool)
          + " (fsync on, synchronous_commit on), HikariCP pool of 10");
      System.out.println("threads | group commit   | appends | appends/s | p50 ms | p99 ms | max ms | appends/commit");
      System.out.println("------: | -------------- | ------: | --------: | -----: | -----: | -----: | -------------:");
      run(pool, 1, quick ? 500 : 2_000, 256, 2);
      run(pool, 8, perThread8 / 2, 1, 1);
      run(pool, 8, perThread8, 256, 1);
      run(pool, 8, perThread8, 256, 2);
      run(pool, 8, perThread8, 256, 2);
    }
  }

  private static final AtomicInteger TABLES = new AtomicInteger();

  private static void run(HikariDataSource pool, int threads, int perThread, int maxBatch, int committers)
      throws Exception {
    String table = "bench_" + TABLES.incrementAndGet();
    try (JdbcJournal journal = JdbcJournal.builder().dataSource(pool).table(table)
        .createSchema(true).maxBatchSize(maxBatch).committers(committers).build()) {
      ConcurrentCalls.run(threads, WARMUP_PER_THREAD, "warm-" + table, journal::append);
      long commitsBefore = ConcurrentCalls.commits(pool);
      ConcurrentCalls.Latencies l = ConcurrentCalls.run(threads, perThread, table, journal::append);
      long commits = ConcurrentCalls.commits(pool) - commitsBefore;
      System.out.printf(Locale.ROOT, "%7d | %-14s | %7d | %9.0f | %6.2f | %6.2f | %6.2f | %14.1f%n",
          threads, maxBatch == 1 ? "off" : committers + " committer" + (committers > 1 ? "s" : ""),
          l.count(), l.perSecond(), l.p50Ms(), l.p99Ms(), l.maxMs(),
          commits > 0 ? (double) l.count() / commits : Double.NaN);
    }
  }

  private static String version(HikariDataSource pool) throws Exception {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
