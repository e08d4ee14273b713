package dev.fanout.bench;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.Invalidator;
import dev.fanout.Stage;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.jdbc.JdbcJournal;
import dev.fanout.jdbc.TestPostgres;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.spi.Discovery;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Measures {@code Invalidator.submit()} with a PostgreSQL {@link JdbcJournal}: submissions a second
 * and the latency of each call from 8 threads (the call returns once the entry is committed), while
 * the invalidator's sender delivers them to two receivers; and, at idle, the delay from the call
 * until both receivers applied the invalidation, compared with {@code invalidate()} and with an
 * in-memory {@code submit()}. Prints tables; see BENCHMARKS.md.
 *
 * <p>PostgreSQL runs from the Maven Central binaries with its default, durable settings ({@code
 * fsync=on}, {@code synchronous_commit=on}), reached through a HikariCP pool of 10 connections.
 * The receivers are {@link InvalidationReceiver}s on JDK HTTP servers on 127.0.0.2 and 127.0.0.3.
 */
public final class JournalSubmitBench {
  private JournalSubmitBench() {}

  /** The receivers: each applied path counts a latch down. */
  private static final Map<String, CountDownLatch> WAITING = new ConcurrentHashMap<>();

  /**
   * Runs the benchmark.
   *
   * @param args {@code --quick} for fewer submissions
   * @throws Exception if a thread fails
   */
  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.dev.fanout", "warn");
    System.setProperty("sun.net.httpserver.nodelay", "true");
    boolean quick = Arrays.asList(args).contains("--quick");
    int perThread = quick ? 300 : 2_500;
    int idleRounds = quick ? 50 : 300;
    String secret = WebhookSigner.generateSecret();
    List<HttpServer> servers = new ArrayList<>();
    List<Endpoint> pods = new ArrayList<>();
    for (String ip : List.of("127.0.0.2", "127.0.0.3")) {
      HttpServer s = receiver(ip, secret, inv -> inv.paths().forEach(p -> {
        CountDownLatch l = WAITING.get(p);
        if (l != null) {
          l.countDown();
        }
      }));
      servers.add(s);
      pods.add(Endpoint.of(ip, s.getAddress().getPort()));
    }
    Stage web = Stage.fanout("web", Discovery.of(pods),
        HttpNotifier.builder().path("/api/revalidate").signingSecret(secret).build());
    try (TestPostgres pg = TestPostgres.start(Map.of());
        HikariDataSource pool = pool(pg);
        JdbcJournal journal = JdbcJournal.builder().dataSource(pool).table("submit_bench")
            .createSchema(true).build();
        Invalidator durable = Invalidator.builder().journal(journal).stage(web).build();
        Invalidator direct = Invalidator.builder().stage(web).build()) {
      System.out.println("== Invalidator.submit() with a PostgreSQL journal (fsync on,"
          + " synchronous_commit on), HikariCP pool of 10, 2 receivers");
      System.out.println("call           | threads | calls       | calls/s       | p50 ms | p99 ms | max ms | all delivered after s");
      System.out.println("-------------- | ------: | ----------: | ------------: | -----: | -----: | -----: | --------------------:");
      submitters(durable, journal, 8, 300, "warm", false);
      submitters(durable, journal, 8, perThread, "run1", true);
      submitters(durable, journal, 8, perThread, "run2", true);
      // The same appends with no invalidator and no sender, on another table, for comparison.
      try (JdbcJournal bare = JdbcJournal.builder().dataSource(pool).table("append_bench")
          .createSchema(true).build()) {
        submitters(bare::append, bare, 8, perThread, "bare", true);
      }

      System.out.println();
      System.out.println("== At idle: from the call until both receivers applied it (" + idleRounds
          + " invalidations, one at a time)");
      System.out.println("path | p50 ms | p90 ms | p99 ms");
      System.out.println("---- | -----: | -----: | -----:");
      idle("warm", direct, false, 30);
      idle("warm", durable, true, 30);
      long[] d = idle("invalidate() without a journal", direct, false, idleRounds);
      long[] j = idle("submit() with the PostgreSQL journal", durable, true, idleRounds);
      try (Invalidator memory = Invalidator.builder().stage(web).build()) {
        idle("submit() in memory (quiet period 500 ms)", memory, true, Math.min(idleRounds, 20));
      }
      System.out.printf(Locale.ROOT, "%nextra median delay of the journal over invalidate(): %.2f ms%n",
          ms(j[j.length / 2]) - ms(d[d.length / 2]));
    } finally {
      servers.forEach(s -> s.stop(0));
    }
  }

  private static void submitters(Invalidator inv, JdbcJournal journal, int threads, int perThread,
      String prefix, boolean print) throws Exception {
    submitters(inv::submit, journal, threads, perThread, prefix, print);
  }

  /** Times {@code call} from several threads; the journal tells when everything was delivered. */
  private static void submitters(Consumer<Invalidation> call, JdbcJournal journal, int threads,
      int perThread, String prefix, boolean print) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    try {
      List<Future<long[]>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          Invalidation[] invs = new Invalidation[perThread];
          for (int i = 0; i < perThread; i++) {
            invs[i] = Invalidation.builder().id(prefix + "-" + thread + "-" + i)
                .path("/blog/" + prefix + "-" + thread + "-" + i).tag("post:" + i).build();
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
      while (!prefix.equals("bare") && journal.backlog().unfinished() > 0) {
        Thread.sleep(10);
      }
      double drained = (System.nanoTime() - t0) / 1e9;
      Arrays.sort(all);
      int n = all.length;
      if (print) {
        System.out.printf(Locale.ROOT, "%-14s | %7d | %11d | %13.0f | %6.2f | %6.2f | %6.2f | %20.1f%n",
            prefix.equals("bare") ? "append() alone" : "submit()", threads, n, n / seconds, ms(all[n / 2]), ms(all[(int) Math.ceil(n * 0.99) - 1]),
            ms(all[n - 1]), drained);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static long[] idle(String name, Invalidator inv, boolean submit, int rounds)
      throws Exception {
    long[] lat = new long[rounds];
    for (int i = 0; i < rounds; i++) {
      String path = "/idle/" + name.hashCode() + "-" + System.nanoTime();
      CountDownLatch both = new CountDownLatch(2);
      WAITING.put(path, both);
      Invalidation x = Invalidation.builder().path(path).build();
      long t0 = System.nanoTime();
      if (submit) {
        inv.submit(x);
      } else {
        inv.invalidate(x);
      }
      if (!both.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException(name + ": not applied within 10 s");
      }
      lat[i] = System.nanoTime() - t0;
      WAITING.remove(path);
      Thread.sleep(20); // idle between invalidations
    }
    Arrays.sort(lat);
    if (!name.equals("warm")) {
      System.out.printf(Locale.ROOT, "%s | %.2f | %.2f | %.2f%n", name, ms(lat[rounds / 2]),
          ms(lat[(int) Math.ceil(rounds * 0.9) - 1]), ms(lat[(int) Math.ceil(rounds * 0.99) - 1]));
    }
    return lat;
  }

  private static HttpServer receiver(String ip, String secret, Consumer<Invalidation> handler)
      throws java.io.IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), 0), 128);
    server.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "bench-receiver");
      t.setDaemon(true);
      return t;
    }));
    InvalidationReceiver receiver = InvalidationReceiver.builder().secret(secret).handler(handler).build();
    server.createContext("/api/revalidate", receiver.httpHandler());
    server.start();
    return server;
  }

  private static HikariDataSource pool(TestPostgres pg) {
    HikariConfig config = new HikariConfig();
    config.setDataSource(pg.dataSource());
    config.setMaximumPoolSize(10);
    config.setPoolName("submit-bench");
    return new HikariDataSource(config);
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
