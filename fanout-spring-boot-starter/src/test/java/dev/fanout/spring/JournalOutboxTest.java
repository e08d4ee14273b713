package dev.fanout.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.InvalidationStatus;
import dev.fanout.Invalidator;
import dev.fanout.jdbc.TestPostgres;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.receiver.ReceiverServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@code submit()} in a Spring transaction on the journal's own PostgreSQL is appended in that
 * transaction (the outbox): committed, the journal's sender delivers it to a real receiver and the
 * future follows the entry; rolled back, there is no row and nothing is sent.
 */
class JournalOutboxTest {
  private static final AtomicInteger TABLES = new AtomicInteger();
  private final List<Invalidation> received = new CopyOnWriteArrayList<>();
  private InvalidationReceiver receiver;
  private ReceiverServer server;
  private ApplicationContextRunner runner;
  private String table;

  @BeforeEach
  void start() throws Exception {
    receiver = InvalidationReceiver.builder().secret(Fixtures.SECRET).handler(received::add).build();
    server = ReceiverServer.builder(receiver)
        .address(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0)).start();
    TestPostgres pg = TestPostgres.shared();
    table = "outbox_" + TABLES.incrementAndGet();
    runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
            DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class))
        .withConfiguration(Fixtures.starter())
        .withPropertyValues(
            "spring.datasource.url=jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres",
            "spring.datasource.username=postgres",
            "fanout.journal.enabled=true", "fanout.journal.create-schema=true",
            "fanout.journal.table=" + table,
            "fanout.stages[0].name=web",
            "fanout.stages[0].discovery.endpoints=127.0.0.2:" + server.address().getPort(),
            "fanout.stages[0].notifier.signing-secret=" + Fixtures.SECRET);
  }

  @AfterEach
  void stop() {
    server.close();
    receiver.close();
  }

  @Test
  void committedWithTheChangeThenDeliveredAndFollowedToItsOutcome() {
    runner.run(context -> {
      assertThat(context).hasNotFailed();
      TransactionalInvalidator tx = context.getBean(TransactionalInvalidator.class);
      Invalidator invalidator = context.getBean(Invalidator.class);
      JdbcTemplate jdbc = new JdbcTemplate(context.getBean(javax.sql.DataSource.class));
      jdbc.execute("CREATE TABLE " + table + "_post (id INT PRIMARY KEY, title TEXT)");
      Invalidation inv = Invalidation.builder().path("/posts/1").tag("posts:1").build();

      CompletableFuture<InvalidationReport> report = context.getBean(TransactionTemplate.class).execute(s -> {
        jdbc.update("INSERT INTO " + table + "_post VALUES (1, 'hello')");
        CompletableFuture<InvalidationReport> f = tx.submit(inv);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE id = ?", Long.class, inv.id()))
            .as("appended on the transaction's own connection").isEqualTo(1);
        assertThat(invalidator.status(inv.id())).as("other connections do not see it yet").isEmpty();
        return f;
      });

      InvalidationReport r = report.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.isComplete()).isTrue();
      assertThat(r.invalidation().paths()).contains("/posts/1");
      assertThat(received).singleElement().satisfies(i -> {
        assertThat(i.id()).isEqualTo(inv.id());
        assertThat(i.paths()).containsExactly("/posts/1");
        assertThat(i.tags()).containsExactly("posts:1");
      });
      assertThat(invalidator.status(inv.id())).map(InvalidationStatus::state)
          .hasValue(InvalidationStatus.State.DELIVERED);
    });
  }

  @Test
  void anEntryIsFollowedFromBeforeItsCommitSoASenderThatFinishesItFirstStillCompletesItsFuture() {
    runner.run(context -> {
      Invalidator invalidator = context.getBean(Invalidator.class);
      JournalOutbox outbox = JournalOutbox.of(invalidator).orElseThrow();
      Invalidation inv = Invalidation.builder().path("/posts/4").build();
      JournalOutbox.Pending pending = context.getBean(TransactionTemplate.class)
          .execute(s -> outbox.appendInTransaction(inv).orElseThrow());
      await().atMost(Duration.ofSeconds(10)).until(() -> invalidator.status(inv.id())
          .filter(InvalidationStatus::isFinished).isPresent());

      // The sender finished the entry before anything after the commit ran: the future registered
      // at the append has the delivery's own report, with nothing read back from the journal.
      InvalidationReport r = pending.afterCommit().get().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.isComplete()).isTrue();
      assertThat(r.stages()).singleElement().satisfies(stage -> assertThat(stage.targets()).singleElement()
          .satisfies(t -> assertThat(t.outcome()).isEqualTo(dev.fanout.TargetResult.Outcome.ACKED)));
    });
  }

  @Test
  void rolledBackWithTheChangeNoRowAndNothingSent() {
    runner.run(context -> {
      TransactionalInvalidator tx = context.getBean(TransactionalInvalidator.class);
      JdbcTemplate jdbc = new JdbcTemplate(context.getBean(javax.sql.DataSource.class));
      Invalidation inv = Invalidation.builder().path("/posts/2").build();
      AtomicReference<CompletableFuture<InvalidationReport>> holder = new AtomicReference<>();

      context.getBean(TransactionTemplate.class).executeWithoutResult(s -> {
        holder.set(tx.submit(inv));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + table, Long.class)).isEqualTo(1);
        s.setRollbackOnly();
      });

      assertThatThrownBy(() -> holder.get().join()).isInstanceOf(CancellationException.class)
          .hasMessageContaining("rolled back");
      assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + table, Long.class)).isZero();
      // A later submission is delivered: had the rolled-back one been sent, it would be there too.
      Invalidation later = Invalidation.builder().path("/posts/3").build();
      assertThat(tx.submit(later).join().isComplete()).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());
      assertThat(received).extracting(Invalidation::id).containsExactly(later.id());
    });
  }
  /**
   * The commit itself fails (a deferred foreign key checked at COMMIT). A plain {@code
   * DataSourceTransactionManager} reports that as an unknown outcome: the row was rolled back by
   * PostgreSQL, and the invalidation is sent anyway.
   */
  @Test
  void aCommitThatFailsWithAnUnknownOutcomeStillSendsTheInvalidation() {
    runner.run(context -> {
      javax.sql.DataSource ds = context.getBean(javax.sql.DataSource.class);
      TransactionTemplate plain = new TransactionTemplate(
          new org.springframework.jdbc.datasource.DataSourceTransactionManager(ds));
      Invalidation inv = Invalidation.builder().path("/posts/5").build();

      CompletableFuture<InvalidationReport> f = failingCommit(context, plain, inv,
          org.springframework.transaction.TransactionSystemException.class);

      InvalidationReport r = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.isComplete()).isTrue();
      assertThat(received).extracting(Invalidation::id).containsExactly(inv.id());
    });
  }

  /**
   * The same failed commit through Boot's {@code JdbcTransactionManager}, which translates it and
   * reports a rollback: nothing is sent and the future says so.
   */
  @Test
  void aCommitThatFailsAndIsReportedAsARollbackSendsNothing() {
    runner.run(context -> {
      Invalidation inv = Invalidation.builder().path("/posts/10").build();

      CompletableFuture<InvalidationReport> f = failingCommit(context, context.getBean(TransactionTemplate.class),
          inv, org.springframework.dao.DataIntegrityViolationException.class);

      assertThatThrownBy(() -> f.get(10, java.util.concurrent.TimeUnit.SECONDS))
          .isInstanceOf(CancellationException.class).hasMessageContaining("rolled back");
      Invalidation later = Invalidation.builder().path("/posts/11").build();
      assertThat(context.getBean(TransactionalInvalidator.class).submit(later).join().isComplete()).isTrue();
      assertThat(received).extracting(Invalidation::id).containsExactly(later.id());
    });
  }

  /** Submits {@code inv} in a transaction whose COMMIT fails on a deferred foreign key. */
  private CompletableFuture<InvalidationReport> failingCommit(org.springframework.context.ApplicationContext context,
      TransactionTemplate template, Invalidation inv, Class<? extends Exception> thrown) {
    JdbcTemplate jdbc = new JdbcTemplate(context.getBean(javax.sql.DataSource.class));
    jdbc.execute("CREATE TABLE " + table + "_parent (id INT PRIMARY KEY)");
    jdbc.execute("CREATE TABLE " + table + "_child (pid INT REFERENCES " + table
        + "_parent (id) DEFERRABLE INITIALLY DEFERRED)");
    TransactionalInvalidator tx = context.getBean(TransactionalInvalidator.class);
    AtomicReference<CompletableFuture<InvalidationReport>> holder = new AtomicReference<>();
    assertThatThrownBy(() -> template.executeWithoutResult(s -> {
      jdbc.update("INSERT INTO " + table + "_child VALUES (1)");
      holder.set(tx.submit(inv));
    })).isInstanceOf(thrown);
    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + table + "_child", Long.class)).isZero();
    return holder.get();
  }

  /**
   * A nested transaction (a savepoint) rolls back inside one that commits: what was submitted in the
   * nested one is not sent and its future fails; what was submitted before the savepoint is sent.
   */
  @Test
  void aRolledBackNestedTransactionSendsNothingOfItsOwnAndKeepsWhatCameBefore() {
    runner.run(context -> {
      TransactionalInvalidator tx = context.getBean(TransactionalInvalidator.class);
      JdbcTemplate jdbc = new JdbcTemplate(context.getBean(javax.sql.DataSource.class));
      TransactionTemplate outer = context.getBean(TransactionTemplate.class);
      TransactionTemplate nested = new TransactionTemplate(outer.getTransactionManager());
      nested.setPropagationBehavior(org.springframework.transaction.TransactionDefinition.PROPAGATION_NESTED);
      Invalidation before = Invalidation.builder().path("/posts/6").build();
      Invalidation inside = Invalidation.builder().path("/posts/7").build();
      AtomicReference<CompletableFuture<InvalidationReport>> kept = new AtomicReference<>();
      AtomicReference<CompletableFuture<InvalidationReport>> undone = new AtomicReference<>();

      outer.executeWithoutResult(s -> {
        kept.set(tx.submit(before));
        nested.executeWithoutResult(n -> {
          undone.set(tx.submit(inside));
          n.setRollbackOnly();
        });
      });

      assertThat(kept.get().get(30, java.util.concurrent.TimeUnit.SECONDS).isComplete()).isTrue();
      assertThatThrownBy(() -> undone.get().get(10, java.util.concurrent.TimeUnit.SECONDS))
          .isInstanceOf(CancellationException.class).hasMessageContaining("savepoint");
      assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE id = ?", Long.class, inside.id()))
          .isZero();
      assertThat(received).extracting(Invalidation::id).containsExactly(before.id());
    });
  }

  /**
   * The same id twice in one transaction: the second is a duplicate of the first, still pending;
   * both futures get the delivery's report. Once delivered, the id submitted again is refused as
   * submit() refuses it, and nothing is sent twice.
   */
  @Test
  void aDuplicateOfAPendingEntryIsFollowedAndOneOfAFinishedEntryIsRefused() {
    runner.run(context -> {
      TransactionalInvalidator tx = context.getBean(TransactionalInvalidator.class);
      Invalidation inv = Invalidation.builder().id("post-8-v1").path("/posts/8").build();

      List<CompletableFuture<InvalidationReport>> both = context.getBean(TransactionTemplate.class)
          .execute(s -> List.of(tx.submit(inv), tx.submit(inv)));

      for (CompletableFuture<InvalidationReport> f : both) {
        assertThat(f.get(30, java.util.concurrent.TimeUnit.SECONDS).isComplete()).isTrue();
      }
      CompletableFuture<InvalidationReport> again = context.getBean(TransactionTemplate.class)
          .execute(s -> tx.submit(inv));
      assertThatThrownBy(() -> again.get(10, java.util.concurrent.TimeUnit.SECONDS))
          .hasCauseInstanceOf(dev.fanout.SubmissionRejectedException.class);
      assertThat(received).extracting(Invalidation::id).containsExactly(inv.id());
    });
  }

  /** A closed invalidator does not roll the caller's change back: the entry commits with it. */
  @Test
  void aClosedInvalidatorLetsTheTransactionCommitAndFailsOnlyTheFuture() {
    runner.run(context -> {
      TransactionalInvalidator tx = context.getBean(TransactionalInvalidator.class);
      JdbcTemplate jdbc = new JdbcTemplate(context.getBean(javax.sql.DataSource.class));
      jdbc.execute("CREATE TABLE " + table + "_post (id INT PRIMARY KEY, title TEXT)");
      context.getBean(Invalidator.class).close();
      Invalidation inv = Invalidation.builder().path("/posts/9").build();

      CompletableFuture<InvalidationReport> f = context.getBean(TransactionTemplate.class).execute(s -> {
        jdbc.update("INSERT INTO " + table + "_post VALUES (9, 'kept')");
        return tx.submit(inv);
      });

      assertThatThrownBy(() -> f.get(10, java.util.concurrent.TimeUnit.SECONDS))
          .hasCauseInstanceOf(dev.fanout.InvalidatorClosedException.class);
      assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + table + "_post", Long.class)).isEqualTo(1);
      assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE id = ?", Long.class, inv.id()))
          .as("journaled for another sender or the next start").isEqualTo(1);
    });
  }
}
