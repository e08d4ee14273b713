package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.JournalException;
import dev.fanout.spi.JournalEntry;
import dev.fanout.spi.Progress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The database stops in the middle: clear, retryable failures; after its restart, nothing lost. */
class PostgresOutageTest {
  private static TestPostgres pg;

  @BeforeAll
  static void start() {
    pg = TestPostgres.start();
  }

  @AfterAll
  static void stop() {
    pg.close();
  }

  @Test
  void aStoppedDatabaseFailsCallsClearlyAndNothingIsLostAfterItsRestart() throws Exception {
    JdbcJournal journal = JdbcJournal.builder().dataSource(pg.pool()).createSchema(true)
        .pollInterval(Duration.ofMillis(200)).build();
    try {
      AtomicInteger wakeups = new AtomicInteger();
      journal.subscribe(wakeups::incrementAndGet);
      await().atMost(Duration.ofSeconds(10)).until(() -> wakeups.get() >= 1);
      for (int i = 0; i < 20; i++) {
        journal.append(Invalidation.builder().id("before-" + i).path("/b/" + i).build());
      }
      List<JournalEntry> held = journal.claim("sender", 5, Duration.ofMinutes(5));
      assertThat(held).hasSize(5);

      pg.stop();

      // Every caller of a batch gets the failure; nothing of it is accepted.
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> appends = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int n = t;
        appends.add(pool.submit(() -> journal.append(
            Invalidation.builder().id("during-" + n).path("/d/" + n).build())));
      }
      for (Future<?> f : appends) {
        assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(JournalException.class)
            .hasMessageContaining("journal append failed")
            .satisfies(e -> assertThat(((JournalException) e).isRetryable()).isTrue());
      }
      pool.shutdownNow();
      assertThatThrownBy(() -> journal.claim("sender", 5, Duration.ofMinutes(5)))
          .isInstanceOf(JournalException.class).hasMessageContaining("journal claim failed")
          .satisfies(e -> assertThat(((JournalException) e).isRetryable()).isTrue());
      assertThatThrownBy(() -> journal.recordProgress(held.get(0).id(), "sender", Progress.stageDone("web")))
          .isInstanceOf(JournalException.class)
          .satisfies(e -> assertThat(((JournalException) e).isRetryable()).isTrue());
      assertThatThrownBy(() -> journal.status("before-0")).isInstanceOf(JournalException.class);
      int wakeupsWhileDown = wakeups.get();

      pg.startServer();

      // The same calls, retried, succeed once the pool has replaced its broken connections.
      await().atMost(Duration.ofSeconds(20)).ignoreExceptionsInstanceOf(JournalException.class)
          .until(() -> journal.recordProgress(held.get(0).id(), "sender", Progress.stageDone("web")));
      for (int t = 0; t < 8; t++) {
        String id = "during-" + t;
        await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(JournalException.class)
            .until(() -> journal.append(Invalidation.builder().id(id).path("/d/x").build()) != null);
      }
      assertThat(journal.complete(held.get(0).id(), "sender", State.DELIVERED, "ok")).isTrue();
      await().atMost(Duration.ofSeconds(20)).until(() -> wakeups.get() > wakeupsWhileDown);

      Set<String> all = new HashSet<>(held.stream().map(JournalEntry::id).toList());
      journal.claim("sender", 100, Duration.ofMinutes(5)).forEach(e -> all.add(e.id()));
      assertThat(all).hasSize(28);
      for (int i = 0; i < 20; i++) {
        assertThat(all).contains("before-" + i);
      }
    } finally {
      journal.close();
    }
  }

  @Test
  void anUnreachableDatabaseFailsAnAppendAtOnce() {
    TestPostgres other = TestPostgres.start();
    JdbcJournal journal = JdbcJournal.builder().dataSource(other.dataSource()).createSchema(true).build();
    try {
      other.stop();
      long start = System.nanoTime();
      assertThatThrownBy(() -> journal.append(Invalidation.ofPaths("/x")))
          .isInstanceOf(JournalException.class)
          .hasMessageContaining("unreachable")
          .hasMessageContaining("SQLState 08");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    } finally {
      journal.close();
      other.close();
    }
  }
}
