package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.Invalidation;
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
}
