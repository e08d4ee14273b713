package dev.fanout.spring;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.util.ClassUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Sends an invalidation only once the caller's transaction committed: call it inside a {@code
 * @Transactional} method instead of the {@link Invalidator}, and a rolled-back change never
 * invalidates anything, while a committed one is never invalidated before other readers can see it
 * (a replica that re-renders at once would otherwise re-cache the old row).
 *
 * <pre>{@code
 * @Transactional
 * public void publish(Post post) {
 *   posts.save(post);
 *   invalidations.submit(Invalidation.builder().path("/posts/" + post.slug()).tag("posts:" + post.id()).build());
 * }
 * }</pre>
 *
 * <ul>
 *   <li>Inside a transaction (Spring's transaction synchronization active) the call only registers
 *       the invalidation; it is handed to the invalidator after the commit, on the thread that
 *       completed the transaction. The returned future then completes as the invalidator's does.
 *   <li>When the transaction rolls back, or rolls back to a savepoint made before the call (a
 *       {@code PROPAGATION_NESTED} transaction that rolled back), nothing is sent and the future
 *       completes exceptionally with a {@link CancellationException}. When its outcome is unknown
 *       (the commit itself failed, or a heuristic completion), the invalidation is sent anyway: an
 *       extra invalidation is harmless, a missed one is not. With the outbox that means appending
 *       it again after the transaction, which takes a second connection from the pool.
 *   <li>With the invalidator's {@code JdbcJournal} (fanout-jdbc) on the transaction's own {@code
 *       DataSource}, {@link #submit} instead appends the invalidation to the journal through the
 *       transaction's connection (the transactional outbox): committed with the caller's change,
 *       or rolled back with it, so that a process that dies right after the commit loses nothing.
 *       After the commit the journal's sender (in this process or another) delivers it, and the
 *       future follows the entry: it completes with the report of the delivery that finished it,
 *       delivered or failed for good (see {@link Invalidator#submit} with a journal).
 *   <li>Outside a transaction it passes the call on at once.
 *   <li>If the invalidator refuses the invalidation after the commit (closed by a shutdown, or its
 *       capacity full), the future completes exceptionally with that exception and an error naming
 *       the invalidation is logged, since the caller has usually returned by then.
 * </ul>
 *
 * <p>Why a separate bean rather than a transparent one: {@code Invalidator} is a final class, and a
 * call that behaves differently inside a transaction is clearer when its name says so.
 *
 * <p>Thread-safe. Without the outbox, after-commit delivery lives in the JVM (or, with a journal on
 * another database, is appended after the commit), so a process that dies between the commit and
 * the append loses it.
 *
 * @since 0.1
 */
public final class TransactionalInvalidator {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionalInvalidator.class);
  /** The outbox needs fanout-jdbc and spring-jdbc, both optional. */
  private static final boolean OUTBOX_POSSIBLE =
      ClassUtils.isPresent("dev.fanout.jdbc.JdbcJournal", TransactionalInvalidator.class.getClassLoader())
          && ClassUtils.isPresent("org.springframework.jdbc.datasource.DataSourceUtils",
              TransactionalInvalidator.class.getClassLoader());

  private final Invalidator invalidator;
  /** The outbox of the invalidator's JdbcJournal, or null. */
  private final JournalOutbox outbox;

  /**
   * Creates the bean. With fanout-jdbc and spring-jdbc on the class path and an invalidator that
   * sends from a {@code JdbcJournal}, submissions in a transaction on the journal's {@code
   * DataSource} go through the transactional outbox.
   *
   * @param invalidator the invalidator that sends
   */
  public TransactionalInvalidator(Invalidator invalidator) {
    this.invalidator = Objects.requireNonNull(invalidator, "invalidator");
    this.outbox = OUTBOX_POSSIBLE ? JournalOutbox.of(invalidator).orElse(null) : null;
  }

  /**
   * {@link Invalidator#submit(Invalidation) Submits} the invalidation for coalescing, after the
   * current transaction commits (at once without one).
   *
   * @param invalidation what to invalidate
   * @return the report of the flush that carried it; exceptionally with a {@link
   *     CancellationException} if the transaction rolled back
   */
  public CompletableFuture<InvalidationReport> submit(Invalidation invalidation) {
    Optional<JournalOutbox.Pending> appended = outbox == null || !inTransaction() ? Optional.empty()
        : outbox.appendInTransaction(Objects.requireNonNull(invalidation, "invalidation"));
    if (appended.isPresent()) {
      JournalOutbox.Pending pending = appended.get();
      // An unknown outcome (the commit itself failed): the row may or may not be there. Appended
      // again outside the transaction, it is a duplicate that is followed, or new and delivered.
      return afterCommit(invalidation, pending.afterCommit(), () -> {
        pending.afterRollback().run();
        return invalidator.submit(invalidation);
      }, pending.afterRollback());
    }
    Supplier<CompletableFuture<InvalidationReport>> submit = () -> invalidator.submit(invalidation);
    return afterCommit(invalidation, submit, submit, () -> { });
  }

  /**
   * {@link Invalidator#invalidate(Invalidation) Runs} the invalidation, uncoalesced, after the
   * current transaction commits (at once without one).
   *
   * @param invalidation what to invalidate
   * @return the report; exceptionally with a {@link CancellationException} if the transaction
   *     rolled back
   */
  public CompletableFuture<InvalidationReport> invalidate(Invalidation invalidation) {
    Supplier<CompletableFuture<InvalidationReport>> run = () -> invalidator.invalidate(invalidation);
    return afterCommit(invalidation, run, run, () -> { });
  }

  /**
   * Returns the invalidator this bean hands invalidations to.
   *
   * @return the invalidator
   */
  public Invalidator invalidator() {
    return invalidator;
  }

  /**
   * Runs {@code committed} after the commit, {@code unknown} when the transaction's outcome is
   * unknown, and {@code onRollback} when it, or the savepoint the call was made after, rolled back.
   */
  private CompletableFuture<InvalidationReport> afterCommit(Invalidation invalidation,
      Supplier<CompletableFuture<InvalidationReport>> committed,
      Supplier<CompletableFuture<InvalidationReport>> unknown, Runnable onRollback) {
    Objects.requireNonNull(invalidation, "invalidation");
    if (!inTransaction()) {
      return committed.get();
    }
    CompletableFuture<InvalidationReport> result = new CompletableFuture<>();
    TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
      /** Savepoints made after this call: rolling back to one of them keeps what the call did. */
      private final Set<Object> later = Collections.newSetFromMap(new IdentityHashMap<>());
      private boolean undone;

      @Override
      public void savepoint(Object savepoint) {
        later.add(savepoint);
      }

      @Override
      public void savepointRollback(Object savepoint) {
        if (undone || later.contains(savepoint)) {
          return;
        }
        // Back to a savepoint made before this call (a nested transaction that rolled back): the
        // outbox's row is gone with the rest of it, and nothing is sent, as for a rollback.
        undone = true;
        onRollback.run();
        result.completeExceptionally(new CancellationException(
            "rolled back to a savepoint; invalidation " + invalidation.id() + " was not sent"));
      }

      @Override
      public void afterCompletion(int status) {
        if (undone) {
          return;
        }
        if (status == STATUS_ROLLED_BACK) {
          onRollback.run();
          result.completeExceptionally(new CancellationException(
              "transaction rolled back; invalidation " + invalidation.id() + " was not sent"));
          return;
        }
        try {
          (status == STATUS_COMMITTED ? committed : unknown).get().whenComplete((r, e) -> {
            if (e != null) {
              result.completeExceptionally(e);
            } else {
              result.complete(r);
            }
          });
        } catch (RuntimeException e) {
          LOG.error("invalidation {} was committed but not sent: {}", invalidation.id(), e.toString());
          result.completeExceptionally(e);
        }
      }
    });
    return result;
  }

  private static boolean inTransaction() {
    return TransactionSynchronizationManager.isSynchronizationActive()
        && TransactionSynchronizationManager.isActualTransactionActive();
  }
}
