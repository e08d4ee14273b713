package dev.fanout.spring;

import dev.fanout.Invalidator;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the application's {@link Invalidator} early in the shutdown: what {@code submit()}
 * accepted is flushed and the invalidations in flight may finish, within {@code
 * fanout.shutdown.timeout}, before the web server stops accepting requests (its phase is just above
 * Spring Boot's graceful web server shutdown). A replica that is this application itself, or a
 * relay through it, can therefore still acknowledge the final flush.
 *
 * <p>From then on the invalidator refuses new work with an {@code InvalidatorClosedException}: a
 * request still being served that submits an invalidation gets that exception (a {@link
 * TransactionalInvalidator} whose transaction commits then logs an error naming the invalidation).
 * Close the invalidator later yourself with {@code fanout.shutdown.enabled=false} if your requests
 * must keep submitting while the web server drains; then the final flush cannot reach this
 * application's own receiver.
 *
 * @since 0.1
 */
public final class FanoutShutdown implements SmartLifecycle {
  /**
   * The phase: stopped just before Spring Boot's {@code WebServerGracefulShutdownLifecycle}
   * ({@code Integer.MAX_VALUE - 1024}), which stops the web server accepting requests.
   */
  public static final int PHASE = Integer.MAX_VALUE - 1024 + 1;

  private static final Logger LOG = LoggerFactory.getLogger(FanoutShutdown.class);

  private final ObjectProvider<Invalidator> invalidator;
  private final Duration timeout;
  private volatile boolean running;

  /**
   * Creates the lifecycle.
   *
   * @param invalidator the invalidator to close, if the application has one
   * @param timeout the longest the final flush and the invalidations in flight may take
   */
  public FanoutShutdown(ObjectProvider<Invalidator> invalidator, Duration timeout) {
    this.invalidator = Objects.requireNonNull(invalidator, "invalidator");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  @Override
  public void start() {
    running = true;
  }

  /**
   * Closes the invalidator: flushes, waits up to the timeout, then cancels what is left (whose
   * futures complete exceptionally, never silently).
   */
  @Override
  public void stop() {
    running = false;
    Invalidator inv = invalidator.getIfAvailable();
    if (inv != null) {
      long start = System.nanoTime();
      inv.close(timeout);
      LOG.info("fanout invalidator closed in {} ms (flushed what submit() had accepted)",
          (System.nanoTime() - start) / 1_000_000);
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
