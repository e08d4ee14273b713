package dev.fanout.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.fanout.Invalidation;
import dev.fanout.jdbc.JdbcJournal;
import dev.fanout.jdbc.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
        HikariDataSource pool = pool(pg)) {
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

  private static HikariDataSource pool(TestPostgres pg) {
    HikariConfig config = new HikariConfig();
    config.setDataSource(pg.dataSource());
    config.setMaximumPoolSize(10);
    config.setPoolName("bench");
    return new HikariDataSource(config);
  }

  private static final AtomicInteger TABLES = new AtomicInteger();

  private static void run(HikariDataSource pool, int threads, int perThread, int maxBatch, int committers)
      throws Exception {
    String table = "bench_" + TABLES.incrementAndGet();
    try (JdbcJournal journal = JdbcJournal.builder().dataSource(pool).table(table)
        .createSchema(true).maxBatchSize(maxBatch).committers(committers).build()) {
      measure(journal, threads, WARMUP_PER_THREAD, "warm-" + table);
      long commitsBefore = commits(pool);
      long start = System.nanoTime();
      long[] latencies = measure(journal, threads, perThread, table);
      double seconds = (System.nanoTime() - start) / 1e9;
      long commits = commits(pool) - commitsBefore;
      Arrays.sort(latencies);
      int n = latencies.length;
      System.out.printf(Locale.ROOT, "%7d | %-14s | %7d | %9.0f | %6.2f | %6.2f | %6.2f | %14.1f%n",
          threads, maxBatch == 1 ? "off" : committers + " committer" + (committers > 1 ? "s" : ""), n, n / seconds,
          ms(latencies[n / 2]), ms(latencies[(int) Math.ceil(n * 0.99) - 1]), ms(latencies[n - 1]),
          commits > 0 ? (double) n / commits : Double.NaN);
    }
  }

  /** Each thread appends distinct one-path invalidations as fast as it can; returns every latency. */
  private static long[] measure(JdbcJournal journal, int threads, int perThread, String prefix) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CyclicBarrier start = new CyclicBarrier(threads);
    try {
      List<Future<long[]>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          Invalidation[] invs = new Invalidation[perThread];
          for (int i = 0; i < perThread; i++) {
            invs[i] = Invalidation.builder().id(prefix + "-" + thread + "-" + i)
                .path("/blog/post-" + thread + "-" + i).tag("post:" + i).build();
          }
          long[] lat = new long[perThread];
          start.await();
          for (int i = 0; i < perThread; i++) {
            long t0 = System.nanoTime();
            journal.append(invs[i]);
            lat[i] = System.nanoTime() - t0;
          }
          return lat;
        }));
      }
      long[] all = new long[threads * perThread];
      int k = 0;
      for (Future<long[]> f : futures) {
        long[] l = f.get();
        System.arraycopy(l, 0, all, k, l.length);
        k += l.length;
      }
      return all;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Transactions committed in the database so far. Backends report to the statistics collector
   * at most every 500 ms, so this waits a second first; the few transactions of the bench itself
   * are counted too, which makes the appends-per-commit figure a slight underestimate.
   */
  private static long commits(HikariDataSource pool) throws Exception {
    Thread.sleep(1_000);
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String version(HikariDataSource pool) throws Exception {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
