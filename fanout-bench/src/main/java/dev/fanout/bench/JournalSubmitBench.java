package dev.fanout.bench;

import com.sun.net.httpserver.HttpServer;
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
import dev.fanout.spi.Lease;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Measures {@code Invalidator.submit()} with a PostgreSQL {@link JdbcJournal}: submissions a second
 * and the latency of each call from 8 threads (the call returns once the entry is committed), while
 * the invalidator's sender delivers them to two receivers; and, at idle, the delay from the call
 * until both receivers applied the invalidation, compared with {@code invalidate()} and with an
 * in-memory {@code submit()}. Prints tables; see BENCHMARKS.md.
 *
 * <p>PostgreSQL runs from the Maven Central binaries with its default, durable settings ({@code
 * fsync=on}, {@code synchronous_commit=on}), reached through a HikariCP pool of 10 connections.
 * The receivers are {@link InvalidationReceiver}s on JDK HTTP servers on 127.0.0.2 and 127.0.0.3,
 * each on a port the system chooses. With {@code --keyed} the invalidations carry entity keys and
 * versions and take the journal's keyed append path.
 */
public final class JournalSubmitBench {
  private static final int THREADS = 8;
  /** With {@code --keyed}: how many entity keys the calls edit in turn. */
  private static final int ENTITY_KEYS = 1_000;
  /** The lease of a leased append: longer than any run. */
  private static final Duration LEASE = Duration.ofMinutes(30);

  private JournalSubmitBench() {}

  /** The receivers: each applied path counts a latch down. */
  private static final Map<String, CountDownLatch> WAITING = new ConcurrentHashMap<>();

  /**
   * Runs the benchmark.
   *
   * @param args {@code --quick} for fewer submissions; {@code --statements} to print, after each
   *     run, the statements that took the database's time (pg_stat_statements); {@code --keyed} for
   *     invalidations with entity keys and versions ({@value #ENTITY_KEYS} keys edited in turn), as
   *     a CMS's webhooks carry, and leased appends with and without keys for comparison; {@code
   *     --appends} for the appends alone (no invalidator, no idle delays)
   * @throws Exception if a thread fails
   */
  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.dev.fanout", "warn");
    System.setProperty("sun.net.httpserver.nodelay", "true");
    List<String> options = Arrays.asList(args);
    boolean quick = options.contains("--quick");
    boolean statements = options.contains("--statements");
    int keys = options.contains("--keyed") ? ENTITY_KEYS : 0;
    boolean appendsOnly = options.contains("--appends");
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
    // pg_stat_statements only counts: PostgreSQL's settings stay its durable defaults.
    try (TestPostgres pg = TestPostgres.start(
            Map.of("shared_preload_libraries", "pg_stat_statements"));
        HikariDataSource pool = ConcurrentCalls.pool(pg, "submit-bench");
        JdbcJournal journal = JdbcJournal.builder().dataSource(pool).table("submit_bench")
            .createSchema(true).build();
        Invalidator durable = Invalidator.builder().journal(journal).stage(web).build();
        Invalidator direct = Invalidator.builder().stage(web).build()) {
      if (statements) {
        execute(pool, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      }
      System.out.println("== Invalidator.submit() with a PostgreSQL journal (fsync on,"
          + " synchronous_commit on), HikariCP pool of 10, 2 receivers"
          + (keys > 0 ? ", entity keys" : ""));
      System.out.println("call                     | threads | calls       | calls/s       | p50 ms | p99 ms | max ms | commits/call | all delivered after s");
      System.out.println("------------------------ | ------: | ----------: | ------------: | -----: | -----: | -----: | -----------: | --------------------:");
      if (!appendsOnly) {
        submitters(null, durable::submit, journal, 300, "warm", keys, pool, false);
        submitters("submit()", durable::submit, journal, perThread, "run1", keys, pool, statements);
        submitters("submit()", durable::submit, journal, perThread, "run2", keys, pool, statements);
      }
      // The same appends with no invalidator and no sender, on other tables, for comparison.
      if (keys == 0) {
        appendsAlone("append() alone", "bare", 0, false, pool, perThread, statements);
      } else {
        // Leased, as submit() appends; without keys, then with them, at the same moment.
        appendsAlone("append() leased, no key", "leased", 0, true, pool, perThread, statements);
        appendsAlone("append() leased, keyed", "keyed", keys, true, pool, perThread, statements);
      }
      if (appendsOnly) {
        return;
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
          ConcurrentCalls.ms(j[j.length / 2]) - ConcurrentCalls.ms(d[d.length / 2]));
    } finally {
      servers.forEach(s -> s.stop(0));
    }
  }

  /**
   * Times {@code JdbcJournal.append()} alone (no invalidator, no sender) on a fresh table of its
   * own, with a lease for the bench's owner when {@code leased}, as {@code submit()} appends.
   */
  private static void appendsAlone(String label, String table, int keys, boolean leased,
      DataSource pool, int perThread, boolean statements) throws Exception {
    try (JdbcJournal bare = JdbcJournal.builder().dataSource(pool).table(table + "_bench")
        .createSchema(true).build()) {
      Consumer<Invalidation> append = leased
          ? inv -> bare.append(inv, new Lease("bench", Instant.now().plus(LEASE)))
          : bare::append;
      submitters(null, append, null, 300, "warm" + table, keys, pool, false);
      submitters(label, append, null, perThread, table, keys, pool, statements);
    }
  }

  /**
   * Times {@code call} from 8 threads; with {@code journal}, waits until it has nothing unfinished.
   * Prints a row with the commits per call and, with {@code statements}, the statements that took
   * the database's time (pg_stat_statements, reset before the run).
   */
  private static void submitters(String label, Consumer<Invalidation> call, JdbcJournal journal,
      int perThread, String prefix, int keys, DataSource db, boolean statements) throws Exception {
    boolean print = label != null;
    long commitsBefore = print ? ConcurrentCalls.commits(db) : 0;
    if (statements) {
      execute(db, "SELECT pg_stat_statements_reset()");
    }
    long t0 = System.nanoTime();
    ConcurrentCalls.Latencies l = ConcurrentCalls.run(THREADS, perThread, prefix, keys, call);
    while (journal != null && journal.backlog().unfinished() > 0) {
      Thread.sleep(10);
    }
    double drained = (System.nanoTime() - t0) / 1e9;
    if (!print) {
      return;
    }
    long commits = ConcurrentCalls.commits(db) - commitsBefore;
    System.out.printf(Locale.ROOT, "%-24s | %7d | %11d | %13.0f | %6.2f | %6.2f | %6.2f | %12.2f | %20s%n",
        label, THREADS, l.count(), l.perSecond(), l.p50Ms(), l.p99Ms(), l.maxMs(),
        (double) commits / l.count(), journal == null ? "" : String.format(Locale.ROOT, "%.1f", drained));
    if (statements) {
      printStatements(db);
    }
  }

  /** The statements that took the most time since the reset, with their calls and rows. */
  private static void printStatements(DataSource db) throws Exception {
    try (Connection c = db.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT calls, total_exec_time, rows, query"
            + " FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12")) {
      while (rs.next()) {
        String q = rs.getString(4).replaceAll("\\s+", " ");
        System.out.printf(Locale.ROOT, "    %8d calls %9.0f ms %8d rows  %s%n", rs.getLong(1),
            rs.getDouble(2), rs.getLong(3), q.length() > 150 ? q.substring(0, 150) + "..." : q);
      }
    }
  }

  private static void execute(DataSource db, String sql) throws Exception {
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.execute(sql);
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
      System.out.printf(Locale.ROOT, "%s | %.2f | %.2f | %.2f%n", name,
          ConcurrentCalls.ms(lat[rounds / 2]), ConcurrentCalls.ms(lat[(int) Math.ceil(rounds * 0.9) - 1]),
          ConcurrentCalls.ms(lat[(int) Math.ceil(rounds * 0.99) - 1]));
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
}
