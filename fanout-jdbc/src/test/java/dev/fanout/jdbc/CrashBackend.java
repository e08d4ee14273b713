package dev.fanout.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.http.HttpNotifier;
import dev.fanout.journal.RedeliveryPolicy;
import dev.fanout.spi.Discovery;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.Awaitility;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A backend process for the crash and several-senders proofs ({@link CrashProofTest}, {@link
 * SendersProofTest}): an {@link Invalidator} with a PostgreSQL {@link JdbcJournal} that submits
 * distinct invalidations at a steady rate from several threads to receivers in the harness process,
 * and appends the id of every submission whose {@code submit()} returned to a file, written
 * unbuffered, so that what was accepted before a SIGKILL is on record.
 *
 * <p>Arguments, {@code name=value}: {@code port} (PostgreSQL on 127.0.0.1), {@code table}, {@code
 * targets} (comma-separated {@code host:port}), {@code prefix} (of the ids, unique per process),
 * {@code rate} (submissions a second), {@code threads}, {@code accepted} (the file), {@code
 * seconds} (how long to submit; 0 for until killed), {@code lease} (ms). The signing secret comes
 * from the environment variable {@code FANOUT_SECRET}. Prints {@code READY} once {@value #WARMUP}
 * submissions were accepted (the JVM and the pool have warmed up), {@code ACCEPTED n} each time
 * another {@value #PROGRESS} were (at least {@code n} ids are on record then, so a harness can kill
 * it after a given number of accepted submissions), and, when {@code seconds} is set, waits after
 * submitting until the journal has nothing unfinished, closes and prints {@code DRAINED}.
 */
public final class CrashBackend {
  /** Submissions accepted before READY: the JVM and the pool warm up first. */
  static final int WARMUP = 300;

  /** Accepted submissions between two {@code ACCEPTED n} lines. */
  static final int PROGRESS = 100;

  private CrashBackend() {}

  /**
   * Runs the backend.
   *
   * @param args see the class description
   * @throws Exception on a setup failure
   */
  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    int port = Integer.parseInt(a.get("port"));
    String prefix = a.get("prefix");
    double rate = Double.parseDouble(a.getOrDefault("rate", "1200"));
    int threads = Integer.parseInt(a.getOrDefault("threads", "8"));
    long seconds = Long.parseLong(a.getOrDefault("seconds", "0"));
    Duration lease = Duration.ofMillis(Long.parseLong(a.getOrDefault("lease", "2000")));
    List<Endpoint> targets = new ArrayList<>();
    for (String t : a.get("targets").split(",")) {
      int colon = t.lastIndexOf(':');
      targets.add(Endpoint.of(t.substring(0, colon), Integer.parseInt(t.substring(colon + 1))));
    }

    PGSimpleDataSource pg = new PGSimpleDataSource();
    pg.setServerNames(new String[] {"127.0.0.1"});
    pg.setPortNumbers(new int[] {port});
    pg.setDatabaseName("postgres");
    pg.setUser("postgres");
    pg.setConnectTimeout(3);
    HikariConfig config = new HikariConfig();
    config.setDataSource(pg);
    config.setMaximumPoolSize(12);
    config.setConnectionTimeout(3_000);
    config.setPoolName("backend-" + prefix);
    try (HikariDataSource pool = new HikariDataSource(config);
        JdbcJournal journal = JdbcJournal.builder().dataSource(pool).table(a.get("table"))
            .pollInterval(Duration.ofMillis(200)).build();
        FileChannel accepted = FileChannel.open(Path.of(a.get("accepted")),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      Invalidator invalidator = Invalidator.builder()
          .journal(journal)
          .redelivery(RedeliveryPolicy.builder().owner("backend-" + prefix).lease(lease)
              .pollInterval(Duration.ofMillis(Math.min(200, lease.toMillis() / 2)))
              .backoff(new RetryPolicy(Integer.MAX_VALUE, Duration.ofMillis(100), Duration.ofSeconds(1)))
              .build())
          .stage(Stage.fanout("web", Discovery.of(targets),
              HttpNotifier.builder().path("/api/revalidate")
                  .signingSecret(System.getenv("FANOUT_SECRET")).build()))
          .build();
      AtomicLong ticket = new AtomicLong();
      AtomicLong done = new AtomicLong();
      long start = System.nanoTime();
      long end = seconds > 0 ? start + TimeUnit.SECONDS.toNanos(seconds) : Long.MAX_VALUE;
      long interval = (long) (1e9 / rate);
      List<Thread> submitters = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Thread th = new Thread(() -> {
          while (true) {
            long n = ticket.getAndIncrement();
            long slot = start + n * interval;
            if (slot - end >= 0) {
              return;
            }
            long wait = slot - System.nanoTime();
            if (wait > 0) {
              LockSupport.parkNanos(wait);
            }
            String id = prefix + "-" + n;
            invalidator.submit(Invalidation.builder().id(id).path("/c/" + id).build());
            record(accepted, id);
            // Counted after the id is on record: when n is printed, n ids are in the file.
            long count = done.incrementAndGet();
            if (count == WARMUP) {
              System.out.println("READY");
              System.out.flush();
            }
            if (count % PROGRESS == 0) {
              System.out.println("ACCEPTED " + count);
              System.out.flush();
            }
          }
        }, "submitter-" + t);
        submitters.add(th);
        th.start();
      }
      for (Thread th : submitters) {
        th.join();
      }
      double secs = (System.nanoTime() - start) / 1e9;
      System.out.printf("SUBMITTED %d in %.1f s%n", ticket.get() - threads, secs);
      // The other backends may still hold claims of this table: their leases end in their time.
      Awaitility.await("the journal has nothing unfinished").atMost(Duration.ofMinutes(5))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> journal.backlog().unfinished() == 0);
      invalidator.close();
      System.out.println("DRAINED");
      System.out.flush();
    }
  }

  private static void record(FileChannel accepted, String id) {
    ByteBuffer line = ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.US_ASCII));
    try {
      synchronized (accepted) {
        while (line.hasRemaining()) {
          accepted.write(line);
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
