// Over 500 lines for one job: the state behind submit() (one pending batch, its quiet-period and max-wait timers, one flush at a time, every future completed once), whose transitions must be read together.
package dev.fanout;

import dev.fanout.internal.Futures;
import dev.fanout.internal.Tasks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.BiFunction;

/**
 * The state behind {@link Invalidator#submit(Invalidation)}: one pending batch that submissions are
 * merged into, a trailing-edge timer bounded by a max wait, and at most one flush running at a time
 * (a {@link #close()} flush excepted). Every accepted submission's future is completed exactly once:
 * with the report of the flush that carried it, with a superseded report, or exceptionally when the
 * invalidator closed before its flush finished.
 *
 * <p>All state is guarded by {@code this}. The engine is never called while the lock is held, so a
 * run that completes on the calling thread (a direct executor) may re-enter freely.
 */
final class Coalescer {
  /** How many entity keys the superseded check remembers, least recently submitted evicted first. */
  static final int ENTITY_MEMORY = 10_000;

  /**
   * Most runs spent isolating the submissions a target refused with a 400, per flush: enough to
   * find a few bad submissions among 10,000 by halving (about 28 runs each), and a bound on the
   * load when a receiver refuses everything.
   */
  static final int ISOLATION_RUNS = 64;

  private final Engine engine;
  private final BiFunction<Invalidation, Integer, CompletableFuture<InvalidationReport>> runner;
  private final Duration quietPeriod;
  private final Duration maxWait;
  private final int capacity;
  private final Invalidator.Overflow overflow;

  private Batch pending;
  private final List<Batch> running = new ArrayList<>();
  /** Why the pending batch must start as soon as no flush runs, or null while its timer decides. */
  private String due;
  /** Whether {@link #due} came from flush(), which overrides a pause. */
  private boolean dueExplicitly;
  private boolean paused;
  private boolean closed;
  /** Set by {@link #abort}: no run starts any more, isolation runs included. */
  private volatile boolean aborted;
  private int superseded;
  private ScheduledFuture<?> timer;
  /** Identifies the armed timer; a timer task that lost a race with its cancellation sees a newer one. */
  private long timerToken;

  /** Highest version seen per entity key. */
  private final Map<String, Long> versions = new EntityVersions();

  Coalescer(
      Engine engine,
      BiFunction<Invalidation, Integer, CompletableFuture<InvalidationReport>> runner,
      Duration quietPeriod,
      Duration maxWait,
      int capacity,
      Invalidator.Overflow overflow) {
    this.engine = engine;
    this.runner = runner;
    this.quietPeriod = quietPeriod;
    this.maxWait = maxWait;
    this.capacity = capacity;
    this.overflow = overflow;
  }

  /** An LRU map in access order: the least recently submitted key is evicted first. */
  private static final class EntityVersions extends LinkedHashMap<String, Long> {
    private static final long serialVersionUID = 1L;

    EntityVersions() {
      super(64, 0.75f, true);
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > ENTITY_MEMORY;
    }
  }

  /** Submissions waiting for one flush, merged as they arrive. */
  private static final class Batch {
    final List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>();
    /** The submissions, in the order of {@link #futures}, for isolating a refused one. */
    final List<Invalidation> submissions = new ArrayList<>();
    /** Runs left for isolation; guarded by the coalescer. */
    int isolationRuns = ISOLATION_RUNS;
    final LinkedHashSet<String> paths = new LinkedHashSet<>();
    final LinkedHashSet<String> tags = new LinkedHashSet<>();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    final Instant firstAt;
    Instant lastAt;
    int load;
    String entity;
    Long version;
    boolean mixed;
    int superseded;
    String reason;
    /** The merged invalidation's id, set when the batch is taken. */
    String id;

    Batch(Instant now) {
      this.firstAt = now;
      this.lastAt = now;
    }

    void add(Invalidation inv, CompletableFuture<InvalidationReport> f, Instant now) {
      if (futures.isEmpty()) {
        entity = inv.entity();
        version = inv.version();
      } else if (!mixed) {
        if (entity == null || !entity.equals(inv.entity())) {
          mixed = true;
          entity = null;
          version = null;
        } else if (inv.version() != null && (version == null || inv.version() > version)) {
          version = inv.version();
        }
      }
      futures.add(f);
      submissions.add(inv);
      paths.addAll(inv.paths());
      tags.addAll(inv.tags());
      load += inv.size();
      lastAt = now;
    }

    /** Called once the batch is taken: nothing mutates it any more. */
    Invalidation merge() {
      return new Invalidation(id, List.copyOf(paths), List.copyOf(tags), entity, version);
    }
  }

  /** Merges some submissions the way a batch merges all of them, under a fresh id. */
  static Invalidation merge(List<Invalidation> subs) {
    LinkedHashSet<String> paths = new LinkedHashSet<>();
    LinkedHashSet<String> tags = new LinkedHashSet<>();
    String entity = subs.get(0).entity();
    Long version = subs.get(0).version();
    for (Invalidation inv : subs) {
      paths.addAll(inv.paths());
      tags.addAll(inv.tags());
      if (entity != null && !entity.equals(inv.entity())) {
        entity = null;
        version = null;
      } else if (entity != null && inv.version() != null && (version == null || inv.version() > version)) {
        version = inv.version();
      }
    }
    return new Invalidation(Invalidation.newId(), List.copyOf(paths), List.copyOf(tags), entity, version);
  }

  CompletableFuture<InvalidationReport> submit(Invalidation inv) {
    CompletableFuture<InvalidationReport> f = new CompletableFuture<>();
    Batch early = null;
    synchronized (this) {
      if (closed) {
        throw new InvalidatorClosedException(
            "invalidator is closed; submission " + inv.id() + " was not accepted");
      }
      Instant now = engine.clock.instant();
      if (inv.version() != null) {
        Long seen = versions.get(inv.entity());
        if (seen != null && inv.version() < seen) {
          superseded++;
          Engine.LOG.debug("submission {} superseded: {} v{} is older than v{}", inv.id(),
              inv.entity(), inv.version(), seen);
          return CompletableFuture.completedFuture(InvalidationReport.superseded(inv, seen, now));
        }
      }
      int size = inv.size();
      if (size > capacity) {
        throw new SubmissionRejectedException("submission " + inv.id() + " has " + size
            + " paths and tags, more than the coalescer's capacity of " + capacity
            + "; invalidate() it directly");
      }
      if (pending != null && pending.load + size > capacity) {
        String full = "coalescer full (" + pending.load + " of " + capacity
            + " paths and tags pending); submission " + inv.id() + " (" + size
            + ") was not accepted";
        if (paused) {
          throw new SubmissionRejectedException(full + ": the invalidator is paused");
        }
        if (overflow == Invalidator.Overflow.REJECT) {
          throw new SubmissionRejectedException(full);
        }
        if (!running.isEmpty()) {
          throw new SubmissionRejectedException(
              full + ": the previous flush " + running.get(0).id + " is still running");
        }
        early = take("capacity");
      }
      if (inv.version() != null) {
        Long seen = versions.get(inv.entity());
        if (seen == null || inv.version() > seen) {
          versions.put(inv.entity(), inv.version());
        }
      }
      boolean fresh = pending == null;
      if (fresh) {
        pending = new Batch(now);
      }
      pending.add(inv, f, now);
      if (fresh && !paused) {
        arm(quietPeriod);
      }
      if (early == null) {
        // Only when the scheduler refused the timer is the new batch due at once.
        early = startable();
      }
    }
    if (early != null) {
      start(early);
    }
    return f;
  }

  CompletableFuture<Void> flush() {
    CompletableFuture<Void> all;
    Batch next;
    synchronized (this) {
      all = doneOfAll();
      if (pending != null && !closed) {
        cancelTimer();
        due = "flush()";
        dueExplicitly = true;
      }
      next = startable();
    }
    if (next != null) {
      start(next);
    }
    return all;
  }

  synchronized void pause() {
    if (closed || paused) {
      return;
    }
    paused = true;
    cancelTimer();
    if (!dueExplicitly) {
      due = null;
    }
  }

  void resume() {
    Batch next;
    synchronized (this) {
      if (closed || !paused) {
        return;
      }
      paused = false;
      if (pending != null && due == null) {
        check(pending, "resume");
      }
      next = startable();
    }
    if (next != null) {
      start(next);
    }
  }

  synchronized boolean isPaused() {
    return paused;
  }

  /** Stops accepting; starts what is pending at once, even when paused or while a flush runs. */
  void close() {
    Batch last = null;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      cancelTimer();
      if (pending != null) {
        last = take("close");
      }
    }
    if (last != null) {
      start(last);
    }
  }

  /** Completes once every submission accepted so far has its outcome. */
  synchronized CompletableFuture<Void> drained() {
    return doneOfAll();
  }

  /** Fails whatever close() could not finish in time; later completions are no-ops. */
  void abort(Duration timeout) {
    aborted = true;
    List<Batch> left;
    synchronized (this) {
      left = new ArrayList<>(running);
      if (pending != null) {
        left.add(pending);
        pending = null;
      }
    }
    for (Batch b : left) {
      String flush = b.id == null ? "before it was flushed" : "before flush " + b.id
          + ", which carried this submission, finished";
      fail(b, new InvalidatorClosedException(
          "invalidator closed " + flush + " (close timeout " + timeout + ")"));
    }
  }

  private CompletableFuture<Void> doneOfAll() {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Batch b : running) {
      all.add(b.done);
    }
    if (pending != null) {
      all.add(pending.done);
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
  }

  /** Timer task: the pending batch flushes once quiet for the quiet period, or at max wait. */
  private void onTimer(long token) {
    Batch next;
    synchronized (this) {
      if (token != timerToken || pending == null || paused || closed) {
        return;
      }
      timer = null;
      check(pending, null);
      next = startable();
    }
    if (next != null) {
      start(next);
    }
  }

  /** Marks the batch due if its quiet period or max wait has passed, otherwise re-arms the timer. */
  private void check(Batch b, String reasonIfDue) {
    Instant now = engine.clock.instant();
    Instant quietEnd = b.lastAt.plus(quietPeriod);
    Instant maxEnd = b.firstAt.plus(maxWait);
    Instant dueAt = quietEnd.isBefore(maxEnd) ? quietEnd : maxEnd;
    if (now.isBefore(dueAt)) {
      arm(Duration.between(now, dueAt));
      return;
    }
    due = reasonIfDue != null ? reasonIfDue : now.isBefore(quietEnd) ? "max wait" : "quiet period";
    dueExplicitly = false;
  }

  /** Returns the pending batch, taken, if it may start now. */
  private Batch startable() {
    if (pending == null || due == null || !running.isEmpty() || (paused && !dueExplicitly)) {
      return null;
    }
    return take(due);
  }

  private Batch take(String reason) {
    Batch b = pending;
    pending = null;
    cancelTimer();
    due = null;
    dueExplicitly = false;
    b.reason = reason;
    b.superseded = superseded;
    superseded = 0;
    // Validating and copying the merged sets happens in start(), outside the lock.
    b.id = Invalidation.newId();
    running.add(b);
    return b;
  }

  private void arm(Duration delay) {
    cancelTimer();
    long token = ++timerToken;
    timer = Tasks.schedule(engine.scheduler, delay, () -> onTimer(token));
    if (timer == null) {
      // No timer can fire: rather than wait forever, flush as soon as nothing else runs.
      Engine.LOG.warn("coalescer timer rejected by the scheduler; flushing without waiting");
      due = "scheduler unavailable";
    }
  }

  private void cancelTimer() {
    timerToken++;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** Runs a taken batch; called without the lock. */
  private void start(Batch b) {
    CompletableFuture<InvalidationReport> run;
    try {
      Invalidation merged = b.merge();
      int n = b.futures.size();
      Engine.LOG.info(
          "flushing {} submission{} merged into {} ({} path{}, {} tag{}, {} superseded; {})",
          n, n == 1 ? "" : "s", merged.id(), merged.paths().size(),
          merged.paths().size() == 1 ? "" : "s", merged.tags().size(),
          merged.tags().size() == 1 ? "" : "s", b.superseded, b.reason);
      engine.notify(l -> l.onFlush(merged, n, b.superseded));
      run = runner.apply(merged, n);
    } catch (RuntimeException e) {
      run = CompletableFuture.failedFuture(e);
    }
    run.whenComplete((report, error) -> finished(b, report, error));
  }

  private void finished(Batch b, InvalidationReport report, Throwable error) {
    List<Integer> all = new ArrayList<>(b.futures.size());
    for (int i = 0; i < b.futures.size(); i++) {
      all.add(i);
    }
    settle(b, all, report, error).whenComplete((v, e) -> {
      b.done.complete(null);
      next(b);
    });
  }

  /**
   * Completes the futures of these submissions with the outcome of the run that carried them;
   * unless a target refused that run with a 400 and it carried more than one submission: then one
   * submission may be what the receiver refuses (a path outside its allowed prefixes, say), so the
   * two halves run again on their own, down to the refused one, within the batch's isolation runs.
   */
  private CompletableFuture<Void> settle(Batch b, List<Integer> members, InvalidationReport report,
      Throwable error) {
    if (error != null) {
      Throwable cause = Futures.unwrap(error);
      if (cause instanceof InvalidatorClosedException) {
        cause = new InvalidatorClosedException("flush " + b.id
            + ", which carried this submission, did not finish: " + cause.getMessage());
      }
      for (int i : members) {
        b.futures.get(i).completeExceptionally(cause);
      }
      return CompletableFuture.completedFuture(null);
    }
    boolean split = false;
    if (members.size() > 1 && refusedByATarget(report) && !aborted) {
      synchronized (this) {
        if (b.isolationRuns >= 2) {
          b.isolationRuns -= 2;
          split = true;
        }
      }
    }
    if (!split) {
      for (int i : members) {
        b.futures.get(i).complete(report);
      }
      return CompletableFuture.completedFuture(null);
    }
    int half = members.size() / 2;
    Engine.LOG.info("flush {} was refused with a 400 by a target; running its {} submissions again in"
        + " two halves to isolate the refused one", report.id(), members.size());
    List<Integer> first = members.subList(0, half);
    List<Integer> second = members.subList(half, members.size());
    // One half after the other: flushes of one invalidator never race each other.
    return rerun(b, first).thenCompose(v -> rerun(b, second));
  }

  private CompletableFuture<Void> rerun(Batch b, List<Integer> members) {
    if (aborted) {
      for (int i : members) {
        b.futures.get(i).completeExceptionally(new InvalidatorClosedException(
            "invalidator closed before flush " + b.id + ", which carried this submission, finished"));
      }
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<InvalidationReport> run;
    try {
      List<Invalidation> subs = new ArrayList<>(members.size());
      for (int i : members) {
        subs.add(b.submissions.get(i));
      }
      Invalidation merged = merge(subs);
      engine.notify(l -> l.onFlush(merged, members.size(), 0));
      run = runner.apply(merged, members.size());
    } catch (RuntimeException e) {
      run = CompletableFuture.failedFuture(e);
    }
    return run.handle((report, error) -> settle(b, members, report, error))
        .thenCompose(java.util.function.Function.identity());
  }

  /** Whether a fan-out target refused the invalidation's content: HTTP 400, never retried. */
  static boolean refusedByATarget(InvalidationReport report) {
    for (StageReport stage : report.stages()) {
      for (TargetResult t : stage.targets()) {
        if (t.outcome() == TargetResult.Outcome.FAILED && t.errorKind() == ErrorKind.REJECTED
            && t.status() == 400) {
          return true;
        }
      }
    }
    return false;
  }

  private void next(Batch b) {
    Batch next;
    synchronized (this) {
      running.remove(b);
      next = startable();
    }
    if (next != null) {
      start(next);
    }
  }

  private static void fail(Batch b, Throwable cause) {
    for (CompletableFuture<InvalidationReport> f : b.futures) {
      f.completeExceptionally(cause);
    }
    b.done.complete(null);
  }

}
