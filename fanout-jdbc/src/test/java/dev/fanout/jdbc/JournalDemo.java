package dev.fanout.jdbc;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.spi.Appended;
import dev.fanout.spi.JournalEntry;
import dev.fanout.spi.Lease;
import dev.fanout.spi.Progress;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;

/**
 * The README's journal demo: a JdbcJournal on an H2 file database, walked through what a backend
 * and its senders do with it. Run it twice: the second run finds what the first left pending,
 * because the journal outlives the process.
 *
 * <pre>
 * mvn -B -q -DskipTests -Dmaven.javadoc.skip test-compile exec:exec -pl fanout-jdbc -am
 * </pre>
 */
public final class JournalDemo {
  private JournalDemo() {}

  /**
   * Runs the demo.
   *
   * @param args ignored
   * @throws Exception if the database fails
   */
  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    Path file = Path.of("target", "journal-demo").toAbsolutePath();
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:file:" + file + ";AUTO_SERVER=FALSE");
    System.out.println("journal: H2 file database " + file + ".mv.db");

    // Short leases, so that a second run a few seconds later can take over what this one leaves.
    Duration lease = Duration.ofSeconds(2);
    try (JdbcJournal journal = JdbcJournal.builder().dataSource(ds).createSchema(true).build()) {
      System.out.println("left unfinished by earlier runs: " + journal.backlog());
      List<JournalEntry> recovered = journal.claim("sender-restarted", 100, Duration.ofSeconds(30));
      if (!recovered.isEmpty()) {
        System.out.println("a restarted sender takes them over (their leases ended): " + ids(recovered));
        for (JournalEntry e : recovered) {
          journal.complete(e.id(), "sender-restarted", State.DELIVERED, "web: 2/2 acked; cdn: purged");
        }
      }

      String run = Long.toString(System.currentTimeMillis() % 100_000);
      String post = "post:42:" + run;
      // A CMS webhook for version 7 of a post, received by two backend replicas.
      Appended a = journal.append(Invalidation.builder().id("hook-a-" + run).path("/blog/hello")
          .tag("post:42").entity(post, 7).build());
      Appended b = journal.append(Invalidation.builder().id("hook-b-" + run).path("/blog/hello")
          .tag("post:42").entity(post, 7).build());
      System.out.println("replica A appends " + post + " v7 -> " + a.outcome());
      System.out.println("replica B appends " + post + " v7 -> " + b.outcome() + " of " + b.entry().id());
      Appended late = journal.append(Invalidation.builder().id("late-" + run).path("/blog/hello")
          .entity(post, 6).build());
      System.out.println("a late v6 arrives -> " + late.outcome() + " (newer: v" + late.newerVersion() + ")");

      // The transactional outbox: the entry exists only if the caller's transaction commits.
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        journal.append(c, Invalidation.builder().id("outbox-ok-" + run).path("/shop/item/9").build());
        c.commit();
        journal.append(c, Invalidation.builder().id("outbox-undone-" + run).path("/shop/item/10").build());
        c.rollback();
      }
      System.out.println("outbox: committed -> " + state(journal, "outbox-ok-" + run)
          + ", rolled back -> " + state(journal, "outbox-undone-" + run));

      // Two senders share the work; each entry goes to one of them.
      List<JournalEntry> first = journal.claim("sender-1", 1, lease);
      List<JournalEntry> second = journal.claim("sender-2", 100, lease);
      System.out.println("sender-1 claims " + ids(first) + ", sender-2 claims " + ids(second));
      for (JournalEntry e : first) {
        journal.recordProgress(e.id(), "sender-1", Progress.acked("web", List.of("10.0.0.7:3000", "10.0.0.8:3000")));
        journal.complete(e.id(), "sender-1", State.DELIVERED, "web: 2/2 acked; cdn: purged");
        InvalidationStatus s = journal.status(e.id()).orElseThrow();
        System.out.println("status of " + e.id() + ": " + s.state() + " after " + s.attempts()
            + " attempt(s): " + s.summary());
      }

      // A backend sending its own submission at once: no other sender may claim it meanwhile.
      Appended own = journal.append(Invalidation.ofPaths("/about"), new Lease("sender-1", Instant.now().plus(lease)));
      System.out.println("sender-1 appends /about with a lease -> sends it itself: " + own.claimed());

      // sender-2 "crashes": it never completes; its entries stay in the database, leased for 2 s.
      System.out.println("sender-2 stops without finishing; unfinished now: " + journal.backlog());
    }
    System.out.println("run it again: the next run finds them and takes them over");
  }

  private static String state(JdbcJournal journal, String id) {
    return journal.status(id).map(s -> s.state().toString()).orElse("absent");
  }

  private static List<String> ids(List<JournalEntry> entries) {
    return entries.stream().map(JournalEntry::id).toList();
  }
}
