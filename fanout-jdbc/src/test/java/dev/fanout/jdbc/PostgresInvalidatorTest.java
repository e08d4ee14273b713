package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.InvalidationStatus;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.Invalidator;
import dev.fanout.JournalException;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.journal.RedeliveryPolicy;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.Notifier;
import dev.fanout.testing.ReceiverPod;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An {@link Invalidator} with a {@link JdbcJournal} on real PostgreSQL, its sender thread and a real
 * receiver: submissions, the transactional outbox, status, and the database going away mid-stream.
 */
class PostgresInvalidatorTest {
  private static final AtomicInteger TABLES = new AtomicInteger();
  private static final String SECRET = WebhookSigner.generateSecret();

  private static RedeliveryPolicy quick() {
    return RedeliveryPolicy.builder().owner("pg-test-" + TABLES.get())
        .backoff(new RetryPolicy(Integer.MAX_VALUE, Duration.ofMillis(50), Duration.ofMillis(500)))
        .lease(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(200)).build();
  }

  private static Invalidator invalidator(JdbcJournal journal, ReceiverPod pod) {
    return invalidator(journal, pod, HttpNotifier.builder().path("/api/revalidate")
        .signingSecret(SECRET).build());
  }

  private static Invalidator invalidator(JdbcJournal journal, ReceiverPod pod, Notifier notifier) {
    return Invalidator.builder().journal(journal).redelivery(quick())
        .stage(Stage.fanout("web", Discovery.of(pod.endpoint()), notifier))
        .build();
  }

  @Test
  void submissionsAndOutboxAppendsAreDeliveredAndTheirStatusSaysSo() throws Exception {
    DataSource ds = TestPostgres.shared().pool();
    try (JdbcJournal journal = JdbcJournal.builder().dataSource(ds)
            .table("inv_" + TABLES.incrementAndGet()).createSchema(true)
            .pollInterval(Duration.ofHours(1)).build();
        ReceiverPod pod = ReceiverPod.start("127.0.0.2", SECRET);
        Invalidator invalidator = invalidator(journal, pod)) {
      List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        futures.add(invalidator.submit(Invalidation.builder().id("s-" + i).path("/s/" + i).build()));
        // submit() returned: the entry is committed, whoever reads the table sees it.
        assertThat(journal.status("s-" + i)).isPresent();
      }
      for (CompletableFuture<InvalidationReport> f : futures) {
        assertThat(f.get(30, TimeUnit.SECONDS).isComplete()).isTrue();
      }
      InvalidationStatus s = invalidator.status("s-3").orElseThrow();
      assertThat(s.state()).isEqualTo(State.DELIVERED);
      assertThat(s.summary()).contains("web");

      // Outbox: the sender is woken by NOTIFY at commit (polling is hourly here).
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        journal.append(c, Invalidation.builder().id("outbox-1").path("/outbox/1").build());
        c.commit();
        journal.append(c, Invalidation.builder().id("outbox-2").path("/outbox/2").build());
        c.rollback();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> pod.applied().containsKey("/outbox/1"));
      await().atMost(Duration.ofSeconds(10)).until(() ->
          invalidator.status("outbox-1").map(InvalidationStatus::state).orElse(null) == State.DELIVERED);
      assertThat(invalidator.status("outbox-2")).isEmpty();
      assertThat(pod.applied()).doesNotContainKey("/outbox/2");
    }
  }

  @Test
  void whenTheDatabaseStopsSubmitFailsClearlyAndTheSenderResumesWithoutLosingAnything()
      throws Exception {
    try (TestPostgres pg = TestPostgres.start();
        JdbcJournal journal = JdbcJournal.builder().dataSource(pg.pool())
            .table("outage_" + TABLES.incrementAndGet()).createSchema(true)
            .pollInterval(Duration.ofMillis(200)).build();
        ReceiverPod pod = ReceiverPod.start("127.0.0.2", SECRET)) {
      // Deliveries wait at a gate until the database is down: the sender is sending when it stops.
      CompletableFuture<Void> gate = new CompletableFuture<>();
      AtomicInteger atGate = new AtomicInteger();
      HttpNotifier http = HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build();
      Notifier gated = (e, inv) -> {
        atGate.incrementAndGet();
        return gate.thenCompose(v -> http.deliver(e, inv));
      };
      Invalidator invalidator = invalidator(journal, pod, gated);
      List<String> accepted = new ArrayList<>();
      List<JournalException> refused = new ArrayList<>();
      List<Integer> refusedAt = new ArrayList<>();
      // Each submission against the stopped database waits for the pool's 2 s connection timeout.
      for (int i = 0; i < 210; i++) {
        if (i == 100) {
          await().atMost(Duration.ofSeconds(10)).until(() -> atGate.get() > 0);
          pg.stop();
          gate.complete(null);
        }
        if (i == 110) {
          pg.startServer();
        }
        String id = "o-" + i;
        try {
          invalidator.submit(Invalidation.builder().id(id).path("/o/" + i).build());
          accepted.add(id);
        } catch (JournalException e) {
          refused.add(e);
          refusedAt.add(i);
        }
      }
      // While it was down every submission failed, clearly and retryably (and a few right after
      // its restart, while the pool replaced its broken connections).
      for (int i = 100; i < 110; i++) {
        assertThat(refusedAt).contains(i);
      }
      assertThat(refused).allSatisfy(e -> {
        assertThat(e.isRetryable()).isTrue();
        assertThat(e.getMessage()).doesNotContain("password");
      });
      assertThat(accepted.size() + refused.size()).isEqualTo(210);
      assertThat(accepted).hasSizeGreaterThan(150);
      await().atMost(Duration.ofSeconds(60)).until(() -> journal.backlog().unfinished() == 0);
      for (String id : accepted) {
        assertThat(pod.applied()).containsKey("/o/" + id.substring(2));
        assertThat(invalidator.status(id).orElseThrow().state()).isEqualTo(State.DELIVERED);
      }
      assertThat(invalidator.status("o-105")).isEmpty(); // refused: nothing half-accepted
      invalidator.close();
    }
  }
}
