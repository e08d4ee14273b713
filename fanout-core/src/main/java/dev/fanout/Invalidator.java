package dev.fanout;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import java.util.SplittableRandom;

/**
 * Makes every cache tier fresh, inner tier first, and reports what happened.
 *
 * <pre>{@code
 * Invalidator invalidator = Invalidator.builder()
 *     .stage(Stage.fanout("web", DnsDiscovery.of("web-headless.shop.svc.cluster.local", 3000),
 *         HttpNotifier.builder().path("/api/revalidate").signingSecret(secret).build()))
 *     .stage(Stage.purge("cdn", CloudFrontPurger.builder().client(cf).distributionId("E123").build()))
 *     .build();
 *
 * InvalidationReport report = invalidator.invalidate(
 *     Invalidation.builder().path("/blog/hello").tag("post:42").build()).join();
 * if (!report.isComplete()) {
 *   log.warn("stale caches remain:\n{}", report.summary());
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 *
 * <ul>
 *   <li>Stages run in order; a stage starts only when the previous one met its {@link Gate}. When a
 *       gate fails, later stages are {@linkplain StageReport.Status#SKIPPED skipped} (a CDN purged
 *       while a replica is stale would re-cache the stale copy).
 *   <li>Within a fan-out stage every target is attempted concurrently up to the stage's concurrency
 *       limit; no target's failure, slowness or hang delays the others. Every attempt has its own
 *       timeout, which covers the response body, and the whole invalidation has one deadline that
 *       also bounds discovery and purgers.
 *   <li>Only retryable failures are retried, per target, with capped exponential backoff and full
 *       jitter, honouring {@code Retry-After}, inside the deadline.
 *   <li>After a fan-out, discovery runs again: replicas that appeared get the invalidation too;
 *       replicas that failed and then left are excused. Finding fewer than {@code minTargets} is a
 *       failure, never a silent success.
 *   <li>{@link #invalidate} completes with a report whenever its input was valid, whatever failed;
 *       it completes exceptionally only when cancelled or when the invalidator is closed.
 * </ul>
 *
 * <p>An invalidator is immutable and thread-safe. It owns the threads it created (a timer thread and
 * a small worker pool, all daemon threads) and releases them in {@link #close()}; executors passed to
 * the builder are never shut down by it.
 *
 * @since 0.1
 */
public final class Invalidator implements AutoCloseable {
  private final Engine engine;
  private final ExecutorService ownedExecutor;
  private final ScheduledExecutorService ownedScheduler;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<CompletableFuture<InvalidationReport>> running = ConcurrentHashMap.newKeySet();

  private Invalidator(Builder b) {
    ScheduledExecutorService scheduler = b.scheduler;
    if (scheduler == null) {
      ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, threads("fanout-timer"));
      // Timeouts are cancelled far more often than they fire; keep the queue small.
      timer.setRemoveOnCancelPolicy(true);
      ownedScheduler = timer;
      scheduler = timer;
    } else {
      ownedScheduler = null;
    }
    Executor executor = b.executor;
    if (executor == null) {
      // Not the common pool: on small machines CompletableFuture falls back to a thread per task.
      ownedExecutor = Executors.newFixedThreadPool(
          Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())), threads("fanout-worker"));
      executor = ownedExecutor;
    } else {
      ownedExecutor = null;
    }
    this.engine = new Engine(b.stages, b.deadline, b.clock, scheduler, executor,
        b.random != null ? b.random : new SplittableRandom(), b.listener);
  }

  /**
   * Returns a new builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs the invalidation through every stage now.
   *
   * <p>The returned future completes with the report once every stage finished or was skipped, or
   * the overall deadline passed. Cancelling it cancels the calls in flight.
   *
   * @param invalidation what to invalidate
   * @return the report, when done
   * @throws NullPointerException if {@code invalidation} is null
   * @throws InvalidatorClosedException if this invalidator was closed
   */
  public CompletableFuture<InvalidationReport> invalidate(Invalidation invalidation) {
    Objects.requireNonNull(invalidation, "invalidation");
    if (closed.get()) {
      throw new InvalidatorClosedException(
          "invalidator is closed; invalidation " + invalidation.id() + " was not started");
    }
    return track(engine.run(invalidation, 1));
  }

  private CompletableFuture<InvalidationReport> track(CompletableFuture<InvalidationReport> f) {
    running.add(f);
    f.whenComplete((r, e) -> running.remove(f));
    return f;
  }

  /**
   * Returns the stages, in order.
   *
   * @return the stages, unmodifiable
   */
  public List<Stage> stages() {
    return engine.stages;
  }

  /**
   * Returns the overall deadline of one invalidation.
   *
   * @return the deadline
   */
  public Duration deadline() {
    return engine.deadline;
  }

  /**
   * Closes the invalidator, waiting up to the invalidation deadline for the invalidations in flight
   * to finish. See {@link #close(Duration)}.
   */
  @Override
  public void close() {
    close(engine.deadline);
  }

  /**
   * Stops accepting work, waits up to {@code timeout} for the invalidations in flight, then releases
   * the threads this invalidator created. Invalidations still running after the timeout are
   * cancelled, so their futures complete exceptionally rather than never. Idempotent.
   *
   * @param timeout how long to wait for work in flight
   */
  public void close(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<CompletableFuture<InvalidationReport>> inFlight = new ArrayList<>(running);
    try {
      CompletableFuture.allOf(inFlight.toArray(new CompletableFuture<?>[0]))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Timed out or failed: what is still running is cancelled below.
    }
    for (CompletableFuture<InvalidationReport> f : new HashSet<>(running)) {
      f.completeExceptionally(new InvalidatorClosedException(
          "invalidator closed before the invalidation finished (close timeout " + timeout + ")"));
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Configures an {@link Invalidator}. Not thread-safe. {@link #build()} validates and copies the
   * configuration, so a builder can be reused.
   *
   * @since 0.1
   */
  public static final class Builder {
    private final List<Stage> stages = new ArrayList<>();
    private Duration deadline = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private ScheduledExecutorService scheduler;
    private Executor executor;
    private RandomGenerator random;
    private FanoutListener listener = FanoutListener.NONE;

    private Builder() {}

    /**
     * Appends a stage. Stages run in the order they are added: inner tiers first, the CDN last.
     *
     * @param stage the stage
     * @return this builder
     */
    public Builder stage(Stage stage) {
      stages.add(Objects.requireNonNull(stage, "stage"));
      return this;
    }

    /**
     * Sets the overall deadline of one invalidation, covering discovery, every attempt and retry,
     * and every purge. Default 30 seconds.
     *
     * @param deadline the deadline, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder deadline(Duration deadline) {
      Objects.requireNonNull(deadline, "deadline");
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("deadline must be > 0: " + deadline);
      }
      this.deadline = deadline;
      return this;
    }

    /**
     * Sets the clock used for deadlines, latencies and report times. Default {@link
     * Clock#systemUTC()}. Tests pass a manual clock together with a matching {@link
     * #scheduler(ScheduledExecutorService)}.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets the scheduler for timeouts, retry delays and coalescing timers. Default: one daemon
     * thread owned by the invalidator. It must honour the {@link #clock(Clock)}'s notion of time.
     *
     * @param scheduler the scheduler (not shut down by the invalidator)
     * @return this builder
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Sets the executor that starts attempts and runs the engine's bookkeeping. It must not run
     * tasks on the calling thread when notifiers complete synchronously for large fan-outs (that
     * would recurse). Default: a small pool of daemon threads (2 to 4) owned by the invalidator; the
     * number of threads never grows with the number of targets.
     *
     * @param executor the executor (not shut down by the invalidator)
     * @return this builder
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Sets the random source for backoff jitter. Default: a new {@link SplittableRandom}. Tests
     * pass a seeded one.
     *
     * @param random the random source
     * @return this builder
     */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Sets the listener. Default {@link FanoutListener#NONE}.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(FanoutListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Validates the configuration and builds the invalidator.
     *
     * @return the invalidator
     * @throws IllegalStateException if no stage was added or two stages share a name
     */
    public Invalidator build() {
      if (stages.isEmpty()) {
        throw new IllegalStateException("an invalidator needs at least one stage");
      }
      Set<String> names = new HashSet<>();
      for (Stage s : stages) {
        if (!names.add(s.name())) {
          throw new IllegalStateException("two stages are named '" + s.name() + "'");
        }
      }
      return new Invalidator(this);
    }
  }
}
