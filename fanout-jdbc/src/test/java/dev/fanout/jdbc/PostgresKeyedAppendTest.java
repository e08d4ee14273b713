package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Invalidation;
import dev.fanout.spi.Appended;
import dev.fanout.spi.Lease;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Appends with entity keys from many threads through two journals on one PostgreSQL table (two
 * processes' group commits), few keys, versions out of order, repeated ids and repeated versions:
 * what the journal decided must be what one append at a time would have decided, in the order the
 * entries of each key were written.
 */
class PostgresKeyedAppendTest {
  private static final AtomicInteger TABLES = new AtomicInteger();
  private static final int THREADS = 8;
  private static final int PER_THREAD = 150;
  private static final int KEYS = 5;

  private final String table = "keyed_" + TABLES.incrementAndGet();
  private final List<JdbcJournal> journals = new ArrayList<>();

  /** A row as stored, in the order the journal wrote it. */
  private record Row(long seq, String id, String key, long version, String state, String owner,
      String summary) {}

  private JdbcJournal journal() {
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
  void concurrentKeyedAppendsKeepEachKeysOrderSupersededRuleLeasesAndDuplicates() throws Exception {
    List<JdbcJournal> both = List.of(journal(), journal());
    CyclicBarrier start = new CyclicBarrier(THREADS);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    Map<String, List<Appended>> byId = new ConcurrentHashMap<>();
    List<Appended> all = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        JdbcJournal j = both.get(t % 2);
        done.add(pool.submit(() -> {
          Random random = new Random(thread);
          Lease lease = new Lease("sender-" + thread, Instant.now().plus(Duration.ofHours(1)));
          start.await();
          for (int i = 0; i < PER_THREAD; i++) {
            String key = "post:" + random.nextInt(KEYS);
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
