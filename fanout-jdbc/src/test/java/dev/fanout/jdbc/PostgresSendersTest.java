package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.Invalidation;
import java.util.Random;
import java.util.HashMap;
import java.time.Instant;
import java.sql.Statement;
import java.sql.ResultSet;
import java.sql.Connection;
import dev.fanout.spi.Lease;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.spi.Appended;
import dev.fanout.spi.JournalEntry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Several senders on one PostgreSQL journal table: each sender is its own {@link JdbcJournal} with
 * its own connections, as a backend replica in its own process would be. Real clock, real leases.
 */
class PostgresSendersTest {
  private static final AtomicInteger TABLES = new AtomicInteger();
  private final String table = "senders_" + TABLES.incrementAndGet();
  private final List<JdbcJournal> journals = new ArrayList<>();

  private JdbcJournal sender() {
    JdbcJournal j = JdbcJournal.builder().dataSource(TestPostgres.shared().pool())
        .table(table).createSchema(true).clock(Clock.systemUTC()).build();
    journals.add(j);
    return j;
  }

  @AfterEach
  void close() {
    journals.forEach(JdbcJournal::close);
  }

  @Test
  void theSameIdsAppendedConcurrentlyByTwoJournalsAreAcceptedOnceAndDuplicatesNameTheFirst()
      throws Exception {
    // Two journals (two processes' group commits) and 8 threads, all appending the same 200 ids
    // in the same order: batches with repeated ids, and inserts that meet another transaction's
    // uncommitted insert of the same id.
    List<JdbcJournal> both = List.of(sender(), sender());
    int threads = 8;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    Map<String, Set<Long>> seqs = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> accepted = new ConcurrentHashMap<>();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        JdbcJournal j = both.get(t % 2);
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 200; i++) {
            Appended a = j.append(Invalidation.builder().id("same-" + i).path("/s/" + i).build());
            seqs.computeIfAbsent(a.entry().id(), k -> ConcurrentHashMap.newKeySet())
                .add(a.entry().seq());
            if (a.outcome() == Appended.Outcome.ACCEPTED) {
              accepted.computeIfAbsent(a.entry().id(), k -> new AtomicInteger()).incrementAndGet();
            } else {
              assertThat(a.outcome()).isEqualTo(Appended.Outcome.DUPLICATE);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(seqs).hasSize(200).allSatisfy((id, s) -> assertThat(s).as(id).hasSize(1));
    assertThat(accepted).hasSize(200).allSatisfy((id, n) -> assertThat(n.get()).as(id).isEqualTo(1));
    assertThat(both.get(0).backlog().pending()).isEqualTo(200);
  }

  @ParameterizedTest(name = "{0} senders")
  @ValueSource(ints = {2, 4})
  void concurrentSendersNeverClaimTheSameEntry(int senders) throws Exception {
    JdbcJournal appender = sender();
    int entries = 600;
    for (int i = 0; i < entries; i++) {
      // a third of the entries carry an entity key with three versions each
      appender.append(i % 3 == 0
          ? Invalidation.builder().id("e" + i).path("/p/" + i).entity("k" + (i / 9), i).build()
          : Invalidation.builder().id("e" + i).path("/p/" + i).build());
    }
    List<JdbcJournal> claimers = new ArrayList<>();
    for (int s = 0; s < senders; s++) {
      claimers.add(sender());
    }
    Map<String, String> claimedBy = new ConcurrentHashMap<>();
    List<String> doubles = Collections.synchronizedList(new ArrayList<>());
    CyclicBarrier start = new CyclicBarrier(senders);
    ExecutorService pool = Executors.newFixedThreadPool(senders);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int s = 0; s < senders; s++) {
        JdbcJournal j = claimers.get(s);
        String owner = "backend-" + s;
        done.add(pool.submit(() -> {
          start.await();
          int claimed = 0;
          int emptyInARow = 0;
          while (emptyInARow < 3) {
            List<JournalEntry> got = j.claim(owner, 10, Duration.ofMinutes(5));
            emptyInARow = got.isEmpty() ? emptyInARow + 1 : 0;
            for (JournalEntry e : got) {
              claimed++;
              if (claimedBy.putIfAbsent(e.id(), owner) != null) {
                doubles.add(e.id());
              }
              // finish half of them at once, as a sender would, so claims and completions interleave
              if (e.seq() % 2 == 0) {
                j.complete(e.id(), owner, State.DELIVERED, "ok");
              }
            }
          }
          return claimed;
        }));
      }
      List<Integer> perSender = new ArrayList<>();
      for (Future<Integer> f : done) {
        perSender.add(f.get(120, TimeUnit.SECONDS));
      }
      assertThat(doubles).isEmpty();
      assertThat(claimedBy).hasSize(entries);
      assertThat(perSender.stream().mapToInt(Integer::intValue).sum()).isEqualTo(entries);
      assertThat(new HashSet<>(claimedBy.values())).as("the work was shared").hasSizeGreaterThan(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aSenderThatStopsRenewingLosesItsEntriesWhenTheLeaseEnds() {
    JdbcJournal crashed = sender();
    JdbcJournal survivor = sender();
    for (int i = 0; i < 5; i++) {
      crashed.append(Invalidation.builder().id("c" + i).path("/c/" + i).build());
    }
    Duration lease = Duration.ofMillis(800);
    assertThat(crashed.claim("crashed", 10, lease)).hasSize(5);
    assertThat(survivor.claim("survivor", 10, lease)).as("leases are live").isEmpty();

    // "crashed" never renews: the survivor's claims take its entries once the lease ends.
    List<JournalEntry> taken = new ArrayList<>();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
      taken.addAll(survivor.claim("survivor", 10, Duration.ofMinutes(1)));
      return taken.size() == 5;
    });
    assertThat(taken).allSatisfy(e -> assertThat(e.attempts()).isEqualTo(2));
    assertThat(crashed.renew("crashed", List.of("c0", "c1"), lease)).containsExactly("c0", "c1");
    assertThat(crashed.complete("c0", "crashed", State.DELIVERED, "late")).isFalse();
    assertThat(survivor.complete("c0", "survivor", State.DELIVERED, "ok")).isTrue();
  }

  @Test
  void aSenderThatRenewsKeepsItsEntries() {
    JdbcJournal a = sender();
    JdbcJournal b = sender();
    a.append(Invalidation.builder().id("kept").path("/k").build());
    Duration lease = Duration.ofMillis(600);
    a.claim("a", 10, lease);
    long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
    // renew well inside the lease for longer than two leases; b never gets it
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
      assertThat(a.renew("a", List.of("kept"), lease)).isEmpty();
      assertThat(b.claim("b", 10, lease)).isEmpty();
      return System.nanoTime() > until;
    });
  }

  @Test
  void theSameEntityVersionFromTwoAppendersIsJournaledOnce() throws Exception {
    JdbcJournal replicaA = sender();
    JdbcJournal replicaB = sender();
    int keys = 100;
    ExecutorService pool = Executors.newFixedThreadPool(8);
    Map<String, List<Appended>> byKey = new ConcurrentHashMap<>();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        JdbcJournal j = t % 2 == 0 ? replicaA : replicaB;
        String replica = "r" + t;
        done.add(pool.submit(() -> {
          for (int k = 0; k < keys; k++) {
            // the same CMS webhook (post:k, version 3) received by every replica under its own id
            Appended a = j.append(Invalidation.builder().id(replica + "-" + k).path("/post/" + k)
                .entity("post:" + k, 3).build());
            byKey.computeIfAbsent("post:" + k, x -> Collections.synchronizedList(new ArrayList<>())).add(a);
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(byKey).hasSize(keys);
    byKey.forEach((key, appends) -> {
      assertThat(appends).hasSize(8);
      assertThat(appends.stream().filter(a -> a.outcome() == Appended.Outcome.ACCEPTED)).hasSize(1);
      Set<String> ids = new HashSet<>();
      appends.forEach(a -> ids.add(a.entry().id()));
      assertThat(ids).as("every duplicate names the one entry of " + key).hasSize(1);
    });
    assertThat(replicaA.backlog().pending()).isEqualTo(keys);
  }

  private static final int KEYED_THREADS = 8;
  private static final int KEYED_PER_THREAD = 150;
  private static final int KEYED_KEYS = 5;

  /** A row as stored, in the order the journal wrote it. */
  private record Row(long seq, String id, String key, long version, String state, String owner,
      String summary) {}

  /**
   * Appends with entity keys from many threads through two journals (two processes' group
   * commits), few keys, versions out of order, repeated ids and repeated versions: what the journal
   * decided must be what one append at a time would have decided, in the order the entries of each
   * key were written.
   */
  @Test
  void concurrentKeyedAppendsKeepEachKeysOrderSupersededRuleLeasesAndDuplicates() throws Exception {
    List<JdbcJournal> both = List.of(sender(), sender());
    CyclicBarrier start = new CyclicBarrier(KEYED_THREADS);
    ExecutorService pool = Executors.newFixedThreadPool(KEYED_THREADS);
    Map<String, List<Appended>> byId = new ConcurrentHashMap<>();
    List<Appended> all = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < KEYED_THREADS; t++) {
        int thread = t;
        JdbcJournal j = both.get(t % 2);
        done.add(pool.submit(() -> {
          Random random = new Random(thread);
          Lease lease = new Lease("sender-" + thread, Instant.now().plus(Duration.ofHours(1)));
          start.await();
          for (int i = 0; i < KEYED_PER_THREAD; i++) {
            String key = "post:" + random.nextInt(KEYED_KEYS);
            long version = 1 + random.nextInt(400);
            // Every 10th call repeats an id another thread also appends (same content); the rest
            // are this thread's own ids, some of which repeat another thread's (key, version).
            String id = i % 10 == 0 ? "shared-" + i : "t" + thread + "-" + i;
            if (i % 10 == 0) {
              key = "post:shared";
              version = i;
            }
            Invalidation inv = Invalidation.builder().id(id).path("/p/" + id)
                .entity(key, version).build();
            Appended a = j.append(inv, lease);
            all.add(a);
            byId.computeIfAbsent(id, k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                .add(a);
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }

    List<Row> rows = rows();
    Map<Long, Row> bySeq = new HashMap<>();
    rows.forEach(r -> bySeq.put(r.seq(), r));
    // One row per id and per (key, version).
    assertThat(rows).extracting(Row::id).doesNotHaveDuplicates();
    assertThat(rows).extracting(r -> r.key() + "@" + r.version()).doesNotHaveDuplicates();

    // Each key in the order its entries were written: an entry is superseded exactly when a newer
    // version of its key was written before it, and names that newest version; only the first
    // unfinished entry of a key gets its appender's lease (nothing is completed here).
    Map<String, Long> newest = new HashMap<>();
    Map<String, Boolean> unfinished = new HashMap<>();
    for (Row r : rows) {
      Long before = newest.get(r.key());
      if (before != null && before > r.version()) {
        assertThat(r.state()).as("%s", r).isEqualTo("S");
        assertThat(r.summary()).as("%s", r).contains("superseded by version " + before + " ");
      } else {
        assertThat(r.state()).as("%s", r).isEqualTo("P");
        assertThat(r.owner() != null).as("leased: %s", r)
            .isEqualTo(!unfinished.getOrDefault(r.key(), false));
        unfinished.put(r.key(), true);
      }
      newest.merge(r.key(), r.version(), Math::max);
    }
    assertThat(rows).extracting(Row::state).contains("S", "P");

    // Every call's answer is the stored row: the one it wrote, or the one it duplicates.
    for (Appended a : all) {
      Row r = bySeq.get(a.entry().seq());
      assertThat(r).as("%s", a).isNotNull();
      Invalidation inv = a.entry().invalidation();
      switch (a.outcome()) {
        case ACCEPTED -> assertThat(r.state()).isEqualTo("P");
        case SUPERSEDED -> {
          assertThat(r.state()).isEqualTo("S");
          assertThat(r.summary()).contains("superseded by version " + a.newerVersion() + " ");
        }
        case DUPLICATE -> assertThat(r.id().equals(inv.id())
            || (r.key().equals(inv.entity()) && r.version() == inv.version())).as("%s", a).isTrue();
        default -> throw new AssertionError(a);
      }
    }
    // Repeated ids: each caller got the one entry.
    for (List<Appended> same : byId.values()) {
      assertThat(same).extracting(a -> a.entry().seq()).containsOnly(same.get(0).entry().seq());
      assertThat(same).filteredOn(a -> a.outcome() != Appended.Outcome.DUPLICATE).hasSizeLessThanOrEqualTo(1);
    }
  }

  private List<Row> rows() throws Exception {
    List<Row> rows = new ArrayList<>();
    try (Connection c = TestPostgres.shared().pool().getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT seq, id, entity_key, version, state, lease_owner,"
            + " summary FROM " + table + " ORDER BY seq")) {
      while (rs.next()) {
        rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4),
            rs.getString(5), rs.getString(6), rs.getString(7)));
      }
    }
    return rows;
  }
}
