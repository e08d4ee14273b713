package dev.fanout.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.testing.LoopbackPod;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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

/** A submission inside a transaction is sent after the commit, and never after a rollback. */
class TransactionalInvalidatorTest {
  private LoopbackPod pod;
  private ApplicationContextRunner runner;

  @BeforeEach
  void start() throws Exception {
    pod = LoopbackPod.start("127.0.0.2", LoopbackPod.ok());
    runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
            DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class))
        .withConfiguration(Fixtures.starter())
        .withPropertyValues("spring.datasource.url=jdbc:h2:mem:tx;DB_CLOSE_DELAY=-1",
            "fanout.stages[0].name=web",
            "fanout.stages[0].discovery.endpoints=" + pod.endpoint().authority(),
            "fanout.stages[0].notifier.signing-secret=" + Fixtures.SECRET,
            // Flushes happen only when the test says so.
            "fanout.coalescer.quiet-period=1h", "fanout.coalescer.max-wait=1h");
  }

  @AfterEach
  void stop() {
    pod.close();
  }

  @Test
  void sentAfterTheCommitNotBefore() {
    runner.run(context -> {
      TransactionalInvalidator tx = context.getBean(TransactionalInvalidator.class);
      Invalidator invalidator = context.getBean(Invalidator.class);
      JdbcTemplate jdbc = new JdbcTemplate(context.getBean(javax.sql.DataSource.class));
      jdbc.execute("create table post (id int primary key, title varchar(100))");
      Invalidation inv = Invalidation.builder().path("/posts/1").tag("posts:1").build();
      CompletableFuture<InvalidationReport> report = context.getBean(TransactionTemplate.class).execute(status -> {
        jdbc.update("insert into post values (1, 'hello')");
        CompletableFuture<InvalidationReport> f = tx.submit(inv);
        // Inside the transaction: flushing sends nothing, the submission is not there yet.
        invalidator.flush().join();
        assertThat(pod.requests()).isEmpty();
        assertThat(f).isNotDone();
        return f;
      });
      invalidator.flush().join();
      assertThat(report.join().isComplete()).isTrue();
      assertThat(pod.requests()).hasSize(1);
      assertThat(pod.requests().get(0).bodyText()).contains("/posts/1", "posts:1");
    });
  }

  @Test
  void neverSentAfterARollback() {
    runner.run(context -> {
      TransactionalInvalidator tx = context.getBean(TransactionalInvalidator.class);
      Invalidator invalidator = context.getBean(Invalidator.class);
      java.util.concurrent.atomic.AtomicReference<CompletableFuture<InvalidationReport>> holder =
          new java.util.concurrent.atomic.AtomicReference<>();
      context.getBean(TransactionTemplate.class).executeWithoutResult(status -> {
        holder.set(tx.submit(Invalidation.builder().path("/posts/2").build()));
        status.setRollbackOnly();
      });
      invalidator.flush().join();
      assertThat(pod.requests()).isEmpty();
      assertThatThrownBy(() -> holder.get().join()).isInstanceOf(CancellationException.class)
          .hasMessageContaining("rolled back");
    });
  }

  @Test
  void withoutATransactionItIsPassedOnAtOnce() {
    runner.run(context -> {
      CompletableFuture<InvalidationReport> f = context.getBean(TransactionalInvalidator.class)
          .invalidate(Invalidation.builder().path("/posts/3").build());
      assertThat(f.join().isComplete()).isTrue();
      assertThat(pod.requests()).hasSize(1);
    });
  }

  @Test
  void aRefusalAfterTheCommitCompletesTheFutureExceptionally() {
    runner.run(context -> {
      TransactionalInvalidator tx = context.getBean(TransactionalInvalidator.class);
      Invalidator invalidator = context.getBean(Invalidator.class);
      CompletableFuture<InvalidationReport> f = context.getBean(TransactionTemplate.class).execute(status -> {
        CompletableFuture<InvalidationReport> g = tx.submit(Invalidation.builder().path("/posts/4").build());
        invalidator.close();
        return g;
      });
      assertThatThrownBy(f::join).isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(dev.fanout.InvalidatorClosedException.class);
    });
  }
}
