// Over 500 lines for one job: the library's entry point and its Builder, about half of it documentation; the work is in Engine, Execution, FanoutRun, Coalescer and SenderLoop.
package dev.fanout;

import static dev.fanout.internal.Checks.positive;

import dev.fanout.catchup.CatchUpService;
import dev.fanout.internal.Schedulers;
import dev.fanout.journal.RedeliveryPolicy;
import dev.fanout.spi.Journal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *   <li>After a fan-out, discovery runs again, uncached ({@link
 *       dev.fanout.spi.Discovery#discoverFresh()}): replicas that appeared, or became eligible for
 *       the stage's states, get the invalidation too; replicas whose connection was refused and
 *       that then left are excused. Finding fewer than {@code minTargets} is a failure, never a
 *       silent success.
 *   <li>{@link #invalidate} and {@link #submit} complete with a report whenever their input was
 *       valid, whatever failed; they complete exceptionally only when cancelled or when the
 *       invalidator closed before the work finished.
 * </ul>
 *
 * <h2>Coalescing</h2>
 *
 * <p>{@link #submit(Invalidation)} is for sources that fire many small changes, such as CMS webhooks
 * (one publish fires several) and bulk edits (thousands). Submissions are held for a quiet period
 * (default 500 ms) after the last one, but never longer than a max wait (default 5 s) after the
 * first, then merged into one invalidation (paths and tags united, duplicates removed) and run
 * once: one fan-out and one CDN purge instead of one per webhook.
 *
 * <pre>{@code
 * invalidator.submit(Invalidation.builder().path("/blog/hello").entity("post:42", 7).build())
 *     .thenAccept(report -> log.info("{}", report.summary()));
 * }</pre>
 *
 * <p>Coalesced flushes of one invalidator run one at a time, so they never race each other for a
 * CDN's rate or in-flight limits and a newer version's purge never overtakes an older one's; what
 * is submitted meanwhile keeps merging into the next flush. {@link #invalidate} calls run at once,
 * independently of the coalescer. See {@link #submit}, {@link #flush()}, {@link #pause()} and
 * {@link #close(Duration)}.
 *
 * <p>An invalidator is thread-safe and its configuration is immutable; its only mutable state is
 * the work in flight, the submissions pending and the pause switch. It owns the threads it created
 * (a timer thread and a small worker pool, all daemon threads) and releases them in {@link
 * #close()}; executors passed to the builder are never shut down by it.
 *
 * @since 0.1
 */
public final class Invalidator implements AutoCloseable {
  private final Engine engine;
  private final Coalescer coalescer;
  private final CatchUpService catchUp;
  private final ExecutorService ownedExecutor;
  private final ScheduledExecutorService ownedScheduler;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<CompletableFuture<InvalidationReport>> running = ConcurrentHashMap.newKeySet();
  /** The stages as configured (the engine's may be wrapped for a journal). */
  private final List<Stage> stages;
  /** With a journal: where submissions go; otherwise null. */
  private final SenderLoop sender;
  private final Journal journal;

  /** How long close() waits for calls that are being started at that moment (they return at once). */
  private static final Duration STOP_WAIT = Duration.ofSeconds(1);

  private Invalidator(Builder b) {
    ScheduledExecutorService scheduler = b.scheduler;
    if (scheduler == null) {
      ownedScheduler = Schedulers.newTimer("fanout-timer");
      scheduler = ownedScheduler;
    } else {
      ownedScheduler = null;
    }
    Executor executor = b.executor;
    if (executor == null) {
      // Not the common pool: on small machines CompletableFuture falls back to a thread per task.
      ownedExecutor = Executors.newFixedThreadPool(
          Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())), Schedulers.daemonThreads("fanout-worker"));
      executor = ownedExecutor;
    } else {
      ownedExecutor = null;
    }
    this.stages = List.copyOf(b.stages);
    this.journal = b.journal;
    JournalProgress progress = journal == null ? null : new JournalProgress();
    RandomGenerator random = b.random != null ? b.random : new SplittableRandom();
    // Stages with catchUp(...) watch their membership from now on, with the configured stages (not
    // the journal's wrappers); the history is the journal's, or without one what this invalidator
    // runs, and the journal keeps the outcomes.
    this.catchUp = CatchUpService.start(b.stages, b.clock, scheduler, executor, random, b.listener,
        journal);
    this.engine = new Engine(progress == null ? b.stages : progress.wrap(b.stages), b.deadline,
        b.clock, scheduler, executor, random, catchUp.listener());
    this.coalescer = new Coalescer(engine, this::runTracked,
        b.quietPeriod, b.maxWait, b.capacity, b.overflow);
    this.sender = journal == null ? null : new SenderLoop(journal,
        b.redelivery != null ? b.redelivery : RedeliveryPolicy.defaults(), b.clock,
        new SplittableRandom(), b.capacity, this::runTracked, progress, stages);
    if (sender != null) {
      sender.start();
    }
  }

  /**
   * What {@link #submit(Invalidation)} does when a submission does not fit in the pending capacity
   * ({@link Builder#capacity(int)}). Either way nothing is dropped silently: a submission is
   * accepted (and gets its report) or refused with a {@link SubmissionRejectedException}.
   *
   * @since 0.1
   */
  public enum Overflow {
    /** Refuse the submission with a {@link SubmissionRejectedException}; nothing of it is kept. */
    REJECT,
    /**
     * Flush what is pending at once, without waiting for its timers, and start the next batch with
     * the submission (the default). When the previous flush is still running, the submission is
     * refused as with {@link #REJECT}: holding a second full batch behind it would let memory grow
     * with the flood.
     */
    FLUSH_EARLY
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
    Execution run = engine.prepare(invalidation, 1);
    CompletableFuture<InvalidationReport> f = track(run.result());
    // close() may have started since the check above: registered first, checked again, so that
    // close() either waits for this run or it never starts.
    if (closed.get()) {
      InvalidatorClosedException e = new InvalidatorClosedException(
          "invalidator is closed; invalidation " + invalidation.id() + " was not started");
      f.completeExceptionally(e);
      throw e;
    }
    run.start();
    return f;
  }

  /** Runs a coalesced flush; close() itself runs the final one, so no closed check here. */
  private CompletableFuture<InvalidationReport> runTracked(Invalidation merged, int submissions) {
    Execution run = engine.prepare(merged, submissions);
    CompletableFuture<InvalidationReport> f = track(run.result());
    run.start();
    return f;
  }

  /**
   * Accepts an invalidation for coalescing: it is merged with the other submissions of the next
   * flush and run with them, once.
   *
   * <p><b>When it runs.</b> A flush happens when no submission arrived for the quiet period, or
   * when the max wait has passed since the first submission of the flush, whichever comes first,
   * so a steady stream cannot postpone it for longer than the max wait. Coalesced flushes run one
   * at a time: a flush that falls due while the previous one still runs starts as soon as that one
   * finishes, and keeps merging what arrives until then. {@link #flush()} flushes on demand,
   * {@link #pause()} holds everything back.
   *
   * <p><b>What runs.</b> One invalidation with a fresh id, the union of the paths and the union of
   * the tags of every submission, duplicates removed, in the order first submitted. However large,
   * it reaches each replica completely: {@code HttpNotifier} sends it in chunks within the
   * receivers' limits ({@link WireContract}). It keeps an entity key only if every merged
   * submission has the same one, with the highest version among them. The report's {@link
   * InvalidationReport#submissions()} says how many submissions it carried. The listener's {@link
   * FanoutListener#onFlush} is called and one INFO line is logged per flush.
   *
   * <p><b>Superseded versions.</b> A submission with an entity key and a version older than one
   * already accepted for that key (an out-of-order webhook retry) is not sent: its future
   * completes at once with a {@linkplain InvalidationReport#isSuperseded() superseded} report that
   * names the newer version. An equal version is a duplicate and is merged normally. The highest
   * version is remembered for the 10,000 most recently submitted entity keys; an older version of
   * a key forgotten since is sent, which costs an extra invalidation but never loses one.
   *
   * <p><b>Capacity.</b> Each pending submission counts its paths plus its tags, duplicates
   * included, against {@link Builder#capacity(int)} (default 10,000), which bounds both the merged
   * invalidation and the number of submissions waiting for a report. A submission that does not
   * fit is handled by the {@link Overflow} policy; while paused, it is refused whatever the policy.
   * A submission larger than the whole capacity is always refused.
   *
   * <p><b>A submission a receiver refuses.</b> {@link Invalidation} already refuses what fanout's
   * receivers would (see {@link WireContract}), but a receiver may refuse more (a path outside its
   * allowed prefixes, say). When a fan-out target answers a flush with a 400 and the flush carried
   * more than one submission, the flush's report goes to nobody: its submissions run again in two
   * halves, one after the other, each half split again while it still gets a 400, until the refused
   * submission runs alone. Every submission then gets the report of the smallest run that carried
   * it: the innocent ones a complete report (unless something else failed), the refused one its
   * own report with the 400. Isolating spends at most 64 runs per flush; past that, submissions get
   * the report of the last run that carried them. Replicas that acknowledged a run get the
   * submissions of a later run again; receivers treat that as any redelivery.
   *
   * <p><b>The future.</b> It completes with the report of the flush that carried the submission
   * (shared by every submission of that flush, or, after a 400, the report of the smallest run that
   * carried it; see above), or with a superseded report. It completes exceptionally only with an
   * {@link InvalidatorClosedException} when the invalidator was closed before that flush finished.
   * Dependent actions run on the invalidator's threads unless added with an {@code ...Async}
   * method. Cancelling it only stops the caller from waiting: the flush still runs for the other
   * submissions.
   *
   * <p><b>With a {@linkplain Builder#journal journal}</b> the submission is appended to the journal
   * before this method returns (committed, for a database journal), instead of being held in
   * memory; when the journal cannot record it, this throws its {@link JournalException} and nothing
   * was accepted. The journal's sender, not the quiet period, batches: each claim merges every due
   * entry (up to the {@link dev.fanout.journal.RedeliveryPolicy#claimBatch() claim batch}) into a
   * delivery, so what arrives while one delivery runs goes out in the next. Entries of one entity
   * key go together in version order; an older version than one journaled is not sent (its future
   * completes with a superseded report). A delivery that does not complete is retried later, only
   * to the targets and purgers that did not acknowledge it, until the redelivery policy gives up.
   * The future completes with the report of the delivery that finished the entry in this process
   * (delivered, or failed for good), exceptionally with a {@link SubmissionRejectedException} when
   * the id (or entity key and version) was journaled and finished before, and with an {@link
   * InvalidatorClosedException} at {@link #close} for entries not finished yet: they stay in the
   * journal and another sender, or this backend after its restart, sends them; when another
   * backend's sender finishes an entry, its future completes within about a lease with a report
   * that says so. {@link #status} tells where any journaled entry stands, whichever process sends
   * it. {@link #pause()}, {@link #resume()} and {@link #flush()} concern the in-memory coalescer
   * only.
   *
   * @param invalidation what to invalidate
   * @return the report of the flush that carried it
   * @throws NullPointerException if {@code invalidation} is null
   * @throws SubmissionRejectedException if it does not fit in the pending capacity (see {@link
   *     Overflow}); nothing of it was accepted
   * @throws InvalidatorClosedException if this invalidator was closed
   * @throws JournalException with a journal, if it could not record the submission; nothing of it
   *     was accepted
   */
  public CompletableFuture<InvalidationReport> submit(Invalidation invalidation) {
    Objects.requireNonNull(invalidation, "invalidation");
    if (closed.get()) {
      throw new InvalidatorClosedException(
          "invalidator is closed; submission " + invalidation.id() + " was not accepted");
    }
    return sender != null ? sender.submit(invalidation) : coalescer.submit(invalidation);
  }

  /**
   * Follows an invalidation appended to this invalidator's {@linkplain Builder#journal journal}
   * outside {@link #submit}: through the journal's own append on the caller's connection, inside the
   * caller's transaction (the transactional outbox). Call it right after that append, before the
   * commit: the future then completes as {@link #submit}'s does, with the report of the delivery
   * that finished the entry (this process's sender's, or, within about a lease, a report that says
   * another backend process finished it). Cancel the future when the transaction rolled back, so that
   * nothing waits for an entry that never existed. Every call returns a future of its own: several
   * transactions may append and follow one id (a fixed id, two editors), and cancelling one caller's
   * future leaves the others, and a {@link #submit} of that id, waiting for the report. No journal
   * call is made.
   *
   * @param invalidation what was appended
   * @return the entry's final report
   * @throws IllegalStateException if this invalidator has no journal
   * @throws InvalidatorClosedException if the invalidator is closed
   * @since 0.2
   */
  public CompletableFuture<InvalidationReport> follow(Invalidation invalidation) {
    Objects.requireNonNull(invalidation, "invalidation");
    if (sender == null) {
      throw new IllegalStateException("follow(...) needs a journal: Invalidator.builder().journal(...)");
    }
    if (closed.get()) {
      throw new InvalidatorClosedException(
          "invalidator is closed; invalidation " + invalidation.id() + " cannot be followed");
    }
    return sender.follow(invalidation);
  }

  /**
   * Returns where a submitted invalidation stands, from the {@linkplain Builder#journal journal}:
   * pending, in flight, delivered, failed or superseded, with the last report's summary. It reads
   * the shared journal, so it answers for invalidations any backend process submitted.
   *
   * @param id the invalidation id ({@link Invalidation#id()} of what was submitted)
   * @return the status; empty without a journal, or when the journal holds no such id
   * @throws NullPointerException if {@code id} is null
   * @throws JournalException if the journal could not be read
   */
  public Optional<InvalidationStatus> status(String id) {
    Objects.requireNonNull(id, "id");
    return journal == null ? Optional.empty() : journal.status(id);
  }

  /**
   * Flushes what {@link #submit(Invalidation)} accepted so far, without waiting for the quiet
   * period. It flushes even while {@linkplain #pause() paused} (the pause stays in effect for what
   * is submitted afterwards). If a coalesced flush is still running, the pending submissions start
   * as soon as it finishes. Nothing happens when nothing is pending.
   *
   * @return a future that completes, normally, once every submission accepted before this call
   *     has its outcome (each submission's own future says which)
   */
  public CompletableFuture<Void> flush() {
    return coalescer.flush();
  }

  /**
   * Pauses coalesced flushes, for a bulk migration: {@link #submit(Invalidation)} keeps accepting
   * and merging up to the capacity (beyond it, submissions are refused whatever the {@link
   * Overflow} policy), nothing is sent, nothing is dropped. A flush already running finishes.
   * Explicit {@link #flush()} and {@link #close()} still flush. {@link #invalidate} is not affected.
   * Idempotent.
   */
  public void pause() {
    coalescer.pause();
  }

  /**
   * Resumes coalesced flushes after {@link #pause()}. What accumulated flushes at once if its max
   * wait (counted from its first submission) has passed during the pause, otherwise when its
   * timers say. Idempotent.
   */
  public void resume() {
    coalescer.resume();
  }

  /**
   * Returns whether coalesced flushes are paused.
   *
   * @return true between {@link #pause()} and {@link #resume()}
   */
  public boolean isPaused() {
    return coalescer.isPaused();
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
    return stages;
  }

  /**
   * Returns the journal this invalidator appends submissions to and sends from, so that an
   * integration can append in the caller's own transaction (the outbox) to the same journal.
   *
   * @return the {@linkplain Builder#journal journal}, or empty without one
   * @since 0.2
   */
  public Optional<Journal> journal() {
    return Optional.ofNullable(journal);
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
   * and the final flush of the submissions to finish. See {@link #close(Duration)}.
   */
  @Override
  public void close() {
    close(engine.deadline);
  }

  /**
   * Stops accepting work, flushes what {@link #submit(Invalidation)} accepted, waits up to {@code
   * timeout} for that flush and every invalidation in flight, then releases the threads this
   * invalidator created.
   *
   * <p>The final flush starts at once, even when {@linkplain #pause() paused} and even while an
   * earlier flush is still running. Work still running after the timeout is cancelled, and the
   * futures of {@link #invalidate} calls and submissions not yet reported complete exceptionally
   * with an {@link InvalidatorClosedException} that says what did not finish, rather than never.
   * Once the timeout has run out nothing new starts: no delivery, retry, discovery or purge, not
   * even one whose thread was held up at that moment (by a slow listener, say), and nothing is
   * logged for what was refused.
   * Later calls to {@link #invalidate} and {@link #submit} throw {@link
   * InvalidatorClosedException}. Idempotent.
   *
   * @param timeout how long to wait for work in flight
   * @throws NullPointerException if {@code timeout} is null
   */
  public void close(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    catchUp.close();
    if (sender != null) {
      sender.stop();
    }
    coalescer.close();
    List<CompletableFuture<InvalidationReport>> inFlight = new ArrayList<>(running);
    CompletableFuture<Void> submissions = coalescer.drained();
    try {
      CompletableFuture.allOf(
              CompletableFuture.allOf(inFlight.toArray(new CompletableFuture<?>[0])), submissions)
          .get(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Timed out or failed: what is still running is cancelled below.
    }
    // From here on no delivery, discovery or purge starts, wherever its thread was held up.
    engine.stop(STOP_WAIT);
    for (CompletableFuture<InvalidationReport> f : new HashSet<>(running)) {
      f.completeExceptionally(new InvalidatorClosedException(
          "invalidator closed before the invalidation finished (close timeout " + timeout + ")"));
    }
    if (sender != null) {
      sender.awaitStopped(SenderLoop.RELEASE_WAIT);
    }
    coalescer.abort(timeout);
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
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
    private Duration quietPeriod = Duration.ofMillis(500);
    private Duration maxWait = Duration.ofSeconds(5);
    private int capacity = 10_000;
    private Overflow overflow = Overflow.FLUSH_EARLY;
    private Journal journal;
    private RedeliveryPolicy redelivery;

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
      this.deadline = positive(deadline, "deadline");
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
     * Sets how long {@link Invalidator#submit(Invalidation)} waits after the latest submission
     * before it flushes. Default 500 ms: long enough to merge the several webhooks of one CMS
     * publish, short enough to be unnoticed by editors.
     *
     * @param quietPeriod the quiet period, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder quietPeriod(Duration quietPeriod) {
      this.quietPeriod = positive(quietPeriod, "quietPeriod");
      return this;
    }

    /**
     * Sets the longest {@link Invalidator#submit(Invalidation)} holds a submission back (counted
     * from the first submission of a flush), however steadily submissions keep arriving. Default 5
     * seconds. Must not be shorter than the quiet period.
     *
     * @param maxWait the max wait, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxWait(Duration maxWait) {
      this.maxWait = positive(maxWait, "maxWait");
      return this;
    }

    /**
     * Sets how many paths and tags may wait for a coalesced flush, counted per submission with
     * duplicates (see {@link Invalidator#submit(Invalidation)}). Default 10,000, which matches the
     * order of a CDN's per-request limits while keeping pending memory small.
     *
     * @param capacity the capacity, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder capacity(int capacity) {
      if (capacity <= 0) {
        throw new IllegalArgumentException("capacity must be > 0: " + capacity);
      }
      this.capacity = capacity;
      return this;
    }

    /**
     * Sets what happens when a submission does not fit in the capacity. Default {@link
     * Overflow#FLUSH_EARLY}.
     *
     * @param overflow the policy
     * @return this builder
     */
    public Builder overflow(Overflow overflow) {
      this.overflow = Objects.requireNonNull(overflow, "overflow");
      return this;
    }

    /**
     * Makes {@link Invalidator#submit(Invalidation)} durable: each submission is appended to the
     * journal before {@code submit} returns, and a sender loop in this invalidator claims journaled
     * entries (its own and other processes'), merges what is due into deliveries, runs them through
     * the stages and retries what did not complete, skipping targets and purgers that already
     * acknowledged, until the {@link RedeliveryPolicy}'s maximum age. Delivery is at least once;
     * receivers recognise a redelivery by the invalidation id. Without a journal (the default),
     * submissions live in memory and end with the JVM. The journal is not closed by the
     * invalidator.
     *
     * @param journal the journal, for example {@code JdbcJournal} from fanout-jdbc
     * @return this builder
     */
    public Builder journal(Journal journal) {
      this.journal = Objects.requireNonNull(journal, "journal");
      return this;
    }

    /**
     * Sets how the journal's sender claims, retries and gives up. Default {@link
     * RedeliveryPolicy#defaults()}. Only with a {@link #journal(Journal)}.
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder redelivery(RedeliveryPolicy policy) {
      this.redelivery = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Validates the configuration and builds the invalidator.
     *
     * @return the invalidator
     * @throws IllegalStateException if no stage was added, two stages share a name, or the max
     *     wait is shorter than the quiet period
     * @throws IllegalArgumentException if a redelivery policy is set without a journal
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
      if (maxWait.compareTo(quietPeriod) < 0) {
        throw new IllegalStateException(
            "maxWait (" + maxWait + ") must not be shorter than quietPeriod (" + quietPeriod + ")");
      }
      if (redelivery != null && journal == null) {
        throw new IllegalArgumentException("redelivery(...) is set but no journal(...): without a"
            + " journal nothing is redelivered");
      }
      return new Invalidator(this);
    }
  }
}
