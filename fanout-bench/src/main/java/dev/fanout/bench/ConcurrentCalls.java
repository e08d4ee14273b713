package dev.fanout.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.fanout.Invalidation;
import dev.fanout.jdbc.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * What the journal benchmarks ({@link JournalBench}, {@link JournalSubmitBench}) share: a call
 * timed from several threads at once, each calling with distinct one-path, one-tag invalidations
 * one after the other (with or without entity keys); the latencies' percentiles; the pool the
 * journal reaches PostgreSQL through; and the database's commit count.
 */
final class ConcurrentCalls {
  private ConcurrentCalls() {}

  /**
   * The sorted latencies of a run and how long it took.
   *
   * @param sorted every call's latency in nanoseconds, ascending
   * @param seconds from the start of the calls until the last returned
   */
  record Latencies(long[] sorted, double seconds) {
    int count() {
      return sorted.length;
    }

    double perSecond() {
      return sorted.length / seconds;
    }

    double p50Ms() {
      return ms(sorted[sorted.length / 2]);
    }

    double p99Ms() {
      return ms(sorted[(int) Math.ceil(sorted.length * 0.99) - 1]);
    }

    double maxMs() {
      return ms(sorted[sorted.length - 1]);
    }
  }

  /**
   * Calls {@code call} {@code perThread} times from each of {@code threads} threads, which start
   * together once their invalidations are built; ids and paths start with {@code prefix}. No
   * invalidation has an entity key.
   */
  static Latencies run(int threads, int perThread, String prefix, Consumer<Invalidation> call)
      throws Exception {
    return run(threads, perThread, prefix, 0, call);
  }

  /**
   * As {@link #run(int, int, String, Consumer)}; with {@code entityKeys > 0}, every invalidation
   * has an entity key and version, as a CMS's webhooks do: the calls of all threads, counted
   * together, go to the keys {@code <prefix>:0} to {@code <prefix>:<entityKeys - 1>} in turn, each
   * call with the next version of its key (call n of thread t is number n * threads + t). So every
   * key is edited again and again, by different threads, in version order as long as the threads
   * keep pace (a call that falls behind a newer version of its key is superseded).
   */
  static Latencies run(int threads, int perThread, String prefix, int entityKeys,
      Consumer<Invalidation> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    try {
      List<Future<long[]>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          Invalidation[] invs = new Invalidation[perThread];
          for (int i = 0; i < perThread; i++) {
            Invalidation.Builder b = Invalidation.builder().id(prefix + "-" + thread + "-" + i)
                .path("/blog/" + prefix + "-" + thread + "-" + i).tag("post:" + i);
            if (entityKeys > 0) {
              long n = (long) i * threads + thread;
              b.entity(prefix + ":" + n % entityKeys, n / entityKeys + 1);
            }
            invs[i] = b.build();
          }
          long[] lat = new long[perThread];
          start.await();
          for (int i = 0; i < perThread; i++) {
            long t0 = System.nanoTime();
            call.accept(invs[i]);
            lat[i] = System.nanoTime() - t0;
          }
          return lat;
        }));
      }
      start.await();
      long t0 = System.nanoTime();
      long[] all = new long[threads * perThread];
      int k = 0;
      for (Future<long[]> f : futures) {
        long[] l = f.get();
        System.arraycopy(l, 0, all, k, l.length);
        k += l.length;
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      Arrays.sort(all);
      return new Latencies(all, seconds);
    } finally {
      pool.shutdownNow();
    }
  }

  /** A HikariCP pool of 10 connections to the server, as an application would have. */
  static HikariDataSource pool(TestPostgres pg, String name) {
    HikariConfig config = new HikariConfig();
    config.setDataSource(pg.dataSource());
    config.setMaximumPoolSize(10);
    config.setPoolName(name);
    return new HikariDataSource(config);
  }

  /**
   * Transactions committed in the database so far. Backends report to the statistics collector
   * at most every 500 ms, so this waits a second first; the few transactions of the bench itself
   * are counted too.
   */
  static long commits(DataSource db) throws Exception {
    Thread.sleep(1_000);
    try (Connection c = db.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }
}
