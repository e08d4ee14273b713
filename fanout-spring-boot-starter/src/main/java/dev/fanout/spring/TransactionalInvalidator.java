package dev.fanout.spring;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronization;
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
 *   <li>When the transaction rolls back, nothing is sent and the future completes exceptionally
 *       with a {@link CancellationException}. When its outcome is unknown (a heuristic completion),
 *       the invalidation is sent anyway: an extra invalidation is harmless, a missed one is not.
 *   <li>Outside a transaction it passes the call on at once.
 *   <li>If the invalidator refuses the invalidation after the commit (closed by a shutdown, or its
 *       capacity full), the future completes exceptionally with that exception and an error naming
 *       the invalidation is logged, since the caller has usually returned by then.
 * </ul>
 *
 * <p>Why a separate bean rather than a transparent one: {@code Invalidator} is a final class, and a
 * call that behaves differently inside a transaction is clearer when its name says so.
 *
 * <p>Thread-safe. Nothing is written to a database: after-commit delivery lives in the JVM, so a
 * process that dies between the commit and the flush loses it (the durable journal of fanout-jdbc
 * is the answer to that).
 *
 * @since 0.1
 */
public final class TransactionalInvalidator {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionalInvalidator.class);

  private final Invalidator invalidator;

  /**
   * Creates the bean.
   *
   * @param invalidator the invalidator that sends
   */
  public TransactionalInvalidator(Invalidator invalidator) {
    this.invalidator = Objects.requireNonNull(invalidator, "invalidator");
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
    return afterCommit(invalidation, invalidator::submit);
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
    return afterCommit(invalidation, invalidator::invalidate);
  }

  /**
   * Returns the invalidator this bean hands invalidations to.
   *
   * @return the invalidator
   */
  public Invalidator invalidator() {
    return invalidator;
  }

  private CompletableFuture<InvalidationReport> afterCommit(Invalidation invalidation,
      Function<Invalidation, CompletableFuture<InvalidationReport>> send) {
    Objects.requireNonNull(invalidation, "invalidation");
    if (!TransactionSynchronizationManager.isSynchronizationActive()
        || !TransactionSynchronizationManager.isActualTransactionActive()) {
      return send.apply(invalidation);
    }
    CompletableFuture<InvalidationReport> result = new CompletableFuture<>();
    TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
      @Override
      public void afterCompletion(int status) {
        if (status == STATUS_ROLLED_BACK) {
          result.completeExceptionally(new CancellationException(
              "transaction rolled back; invalidation " + invalidation.id() + " was not sent"));
          return;
        }
        try {
          send.apply(invalidation).whenComplete((r, e) -> {
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
}
