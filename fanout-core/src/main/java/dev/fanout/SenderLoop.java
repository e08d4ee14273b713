// Over 500 lines for one job: the journal's sender thread (claim, merge, deliver, record, redeliver) as one loop whose steps share its lease and wake-up state; the per-target bookkeeping is in JournalProgress.
package dev.fanout;

import dev.fanout.InvalidationStatus.State;
import dev.fanout.internal.DaemonThreads;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Tasks;
import dev.fanout.journal.RedeliveryPolicy;
import dev.fanout.spi.Appended;
import dev.fanout.spi.Journal;
import dev.fanout.spi.JournalEntry;
import dev.fanout.spi.Lease;
import dev.fanout.spi.Progress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal side of an {@link Invalidator}: {@link #submit} appends durably, leased to this
 * sender, and one sender thread takes those and claims the other due entries (other processes',
 * outbox appends, retries, a dead sender's) with a lease, merges them into deliveries, runs them
 * through the stages, renews the leases while they run, and completes or releases each entry.
 *
 * <p>One claim at a time, one delivery at a time: what is appended while a delivery runs is merged
 * into the next claim's delivery, so the batching adapts to the load without a quiet period. The
 * loop's logic is {@link #runOnce()}, which tests drive on a manual clock; {@link #start()} runs it
 * on its own thread, woken by appends (local ones at once, other processes' through the journal's
 * {@link Journal#subscribe}) and by a poll as the fallback.
 */
final class SenderLoop {
  private static final Logger LOG = LoggerFactory.getLogger(SenderLoop.class);

  /** How long close() waits for the sender thread to release what it still holds. */
  static final Duration RELEASE_WAIT = Duration.ofSeconds(10);

  /** Parallel journal writes when a delivery settles: one round trip per entry otherwise adds up. */
  private static final int WRITERS = 4;

  private final Journal journal;
  private final RedeliveryPolicy policy;
  private final Clock clock;
  /** Redelivery decisions: the policy's backoff, its attempts and the entry's maximum age. */
  private final Retry retry;
  private final int capacity;
  private final BiFunction<Invalidation, Integer, CompletableFuture<InvalidationReport>> runner;
  private final JournalProgress progress;
  private final List<Stage> stages;
  private final Map<String, Waiter> waiters = new ConcurrentHashMap<>();
  private final Set<String> held = ConcurrentHashMap.newKeySet();
  /** Entries this process appended with a lease of its own, not sent yet: no claim needed. */
  private final java.util.Queue<JournalEntry> own = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final ExecutorService writers =
      Executors.newFixedThreadPool(WRITERS, new DaemonThreads("fanout-journal-writer"));
  private final Object signal = new Object();
  /** Guarded by {@link #signal}. */
  private boolean woken;
  private volatile boolean stopping;
  /** Set before close fails the waiters: a caller who holds one after that fails at once. */
  private volatile boolean waitersClosed;
  private volatile Thread thread;
  private volatile Journal.Subscription subscription;
  private int claimFailures;
  private long lastSweep = System.nanoTime();
  /** Set when the journal says entries may have become claimable; cleared by each claim. */
  private final AtomicBoolean changed = new AtomicBoolean(true);
  private long lastClaim = System.nanoTime();

  /**
   * The future of one journaled id, until this process finishes its entry or sees it finished.
   * Several callers may wait on one id (a {@link #submit} and the {@link #follow}s of transactions
   * that appended it); each holds it once, and an id is forgotten only when its entry finished or
   * its last holder let go, so that one transaction's rollback never orphans another's future.
   */
  private static final class Waiter {
    final CompletableFuture<InvalidationReport> future = new CompletableFuture<>();
    final Invalidation invalidation;
    final long since = System.nanoTime();
    /** Callers holding this waiter; changed only inside {@code waiters.compute} for its id. */
    int holders;

    Waiter(Invalidation invalidation) {
      this.invalidation = invalidation;
    }
  }

  SenderLoop(
      Journal journal,
      RedeliveryPolicy policy,
      Clock clock,
      RandomGenerator random,
      int capacity,
      BiFunction<Invalidation, Integer, CompletableFuture<InvalidationReport>> runner,
      JournalProgress progress,
      List<Stage> stages) {
    this.stages = List.copyOf(stages);
    this.journal = journal;
    this.policy = policy;
    this.clock = clock;
    this.retry = new Retry(policy.backoff(), random);
    this.capacity = capacity;
    this.runner = runner;
    this.progress = progress;
  }

  /**
   * Appends durably and returns the future of the entry's final report; see {@link
   * Invalidator#submit} for the outcomes.
   */
  CompletableFuture<InvalidationReport> submit(Invalidation inv) {
    if (stopping) {
      throw new InvalidatorClosedException(
          "invalidator is closed; submission " + inv.id() + " was not accepted");
    }
    // Registered before the append: a sender that is fast enough finds it.
    Waiter mine = hold(inv.id(), inv);
    CompletableFuture<InvalidationReport> f = mine.future;
    Appended appended;
    try {
      // Leased to this sender at once: it sends the entry without claiming it first.
      appended = journal.append(inv,
          new Lease(policy.owner(), clock.instant().plus(policy.lease())));
    } catch (RuntimeException e) {
      release(inv.id(), mine);
      throw e;
    }
    switch (appended.outcome()) {
      case ACCEPTED:
        if (appended.claimed()) {
          held.add(inv.id());
          own.add(appended.entry());
        }
        wake();
        return f;
      case SUPERSEDED:
        release(inv.id(), mine);
        return CompletableFuture.completedFuture(
            InvalidationReport.superseded(inv, appended.newerVersion(), clock.instant()));
      default:
        JournalEntry entry = appended.entry();
        String id = entry.invalidation().id();
        if (!id.equals(inv.id()) || entry.state().isFinished()) {
          release(inv.id(), mine);
        }
        if (entry.state().isFinished()) {
          return CompletableFuture.failedFuture(SubmissionRejectedException.alreadyFinished(inv, entry));
        }
        return id.equals(inv.id()) ? f : hold(id, entry.invalidation()).future;
    }
  }

  /** Holds the waiter of {@code id}, made for {@code inv} if there is none. */
  private Waiter hold(String id, Invalidation inv) {
    Waiter w = waiters.compute(id, (k, old) -> {
      Waiter x = old != null ? old : new Waiter(inv);
      x.holders++;
      return x;
    });
    if (waitersClosed) {
      // close() failed the waiters before this one was held: nobody else would complete it.
      release(id, w);
      throw new InvalidatorClosedException(
          "invalidator is closed; invalidation " + inv.id() + " was not accepted");
    }
    return w;
  }

  /** Lets go of a waiter held by {@link #hold}; the last holder forgets it. */
  private void release(String id, Waiter w) {
    waiters.computeIfPresent(id, (k, x) -> x != w || --x.holders > 0 ? x : null);
  }

  /**
   * Returns the future of an entry appended to the journal outside {@link #submit} (the outbox, in
   * the caller's transaction). Registered before that transaction commits, so no sender can finish
   * the entry unseen; cancelling the returned future forgets it (the transaction rolled back).
   */
  CompletableFuture<InvalidationReport> follow(Invalidation inv) {
    if (stopping) {
      throw new InvalidatorClosedException(
          "invalidator is closed; invalidation " + inv.id() + " cannot be followed");
    }
    Waiter w = hold(inv.id(), inv);
    // A copy per caller: cancelling it lets go of this caller's hold only.
    CompletableFuture<InvalidationReport> mine = w.future.copy();
    mine.whenComplete((r, e) -> {
      if (mine.isCancelled()) {
        release(inv.id(), w);
      }
    });
    return mine;
  }

  /** Starts the sender thread, subscribed to the journal's wake-ups. */
  void start() {
    subscription = journal.subscribe(() -> {
      changed.set(true);
      wake();
    });
    Thread t = new DaemonThreads("fanout-journal-sender").newThread(this::loop);
    thread = t;
    t.start();
  }

  /** Makes the sender claim now (or right after the delivery it is running). */
  void wake() {
    synchronized (signal) {
      woken = true;
      signal.notifyAll();
    }
  }

  private void loop() {
    while (!stopping) {
      boolean worked;
      try {
        worked = runOnce();
      } catch (VirtualMachineError e) {
        throw e;
      } catch (RuntimeException | Error e) {
        // A driver's assertion or bug must not end the only sender: what it held is claimed again
        // when its leases end.
        LOG.warn("journal sender: unexpected failure; continuing", e);
        worked = false;
      }
      if (!worked) {
        sweep();
        pause(policy.pollInterval());
      }
    }
  }

  private void pause(Duration max) {
    long end = System.nanoTime() + max.toNanos();
    synchronized (signal) {
      try {
        while (!woken && !stopping) {
          long left = end - System.nanoTime();
          if (left <= 0) {
            break;
          }
          TimeUnit.NANOSECONDS.timedWait(signal, left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopping = true;
      }
      woken = false;
    }
  }

  /**
   * Takes this process's new submissions (leased to it when appended) and claims whatever else is
   * due, once, and delivers them: merged into deliveries, run one after the other, each entry then
   * completed or released.
   *
   * @return whether anything was taken (the caller goes again at once)
   */
  boolean runOnce() {
    if (stopping) {
      return false;
    }
    // This process's submissions, leased to it at append, then whatever else is due.
    Map<String, JournalEntry> byId = new LinkedHashMap<>();
    JournalEntry mine;
    while (byId.size() < policy.claimBatch() && (mine = own.poll()) != null) {
      byId.put(mine.invalidation().id(), mine);
    }
    if (claimNow(byId.isEmpty())) {
      try {
        for (JournalEntry e : journal.claim(policy.owner(), policy.claimBatch(), policy.lease())) {
          byId.put(e.invalidation().id(), e); // a fresher copy if its lease ended while queued
        }
        if (claimFailures > 0) {
          LOG.info("journal sender: claims work again after {} failures", claimFailures);
          claimFailures = 0;
        }
      } catch (JournalException e) {
        if (claimFailures++ == 0) {
          LOG.warn("journal sender: claim failed, retrying every {}: {}", policy.pollInterval(),
              e.getMessage());
        }
      }
    }
    if (byId.isEmpty()) {
      return false;
    }
    List<JournalEntry> claimed = new ArrayList<>(byId.values());
    claimed.sort(java.util.Comparator.comparingLong(JournalEntry::seq));
    held.addAll(byId.keySet());
    try {
      int[] isolationRuns = {Coalescer.ISOLATION_RUNS};
      for (List<Unit> delivery : plan(claimed, capacity)) {
        if (stopping) {
          releaseNow(entries(delivery), "not sent: the sender stopped");
        } else {
          deliver(delivery, isolationRuns);
        }
      }
    } finally {
      held.removeAll(byId.keySet());
    }
    return true;
  }

  /**
   * Whether to claim besides sending this process's own submissions: when there are none, when the
   * journal said something may have become claimable (another process's append, a release, a
   * finished entity version), or once in a poll interval (retry times and ended leases come
   * without an event). Under a steady stream of own submissions this spares a claim transaction
   * per delivery that would find nothing. Before {@link #start()} (tests drive {@link #runOnce()}),
   * always.
   */
  private boolean claimNow(boolean nothingOwn) {
    boolean told = changed.getAndSet(false);
    long now = System.nanoTime();
    if (subscription == null || nothingOwn || told
        || now - lastClaim >= policy.pollInterval().toNanos()) {
      lastClaim = now;
      return true;
    }
    return false;
  }

  /** Entries that go together: one entry, or every claimed version of one entity key. */
  record Unit(List<JournalEntry> entries, Progress done, int size) {}

  /**
   * Groups claimed entries into deliveries: versions of one entity key stay together; units whose
   * recorded progress agrees share a delivery (so it skips exactly what they all had acknowledged),
   * up to {@code capacity} paths and tags each.
   */
  static List<List<Unit>> plan(List<JournalEntry> claimed, int capacity) {
    Map<String, List<JournalEntry>> byKey = new LinkedHashMap<>();
    List<List<JournalEntry>> groups = new ArrayList<>();
    for (JournalEntry e : claimed) {
      String key = e.invalidation().entity();
      if (key == null) {
        groups.add(List.of(e));
        continue;
      }
      List<JournalEntry> g = byKey.get(key);
      if (g == null) {
        g = new ArrayList<>();
        byKey.put(key, g);
        groups.add(g);
      }
      g.add(e);
    }
    Map<Progress, List<Unit>> byProgress = new LinkedHashMap<>();
    for (List<JournalEntry> g : groups) {
      Progress done = g.get(0).progress();
      int size = 0;
      for (JournalEntry e : g) {
        done = JournalProgress.intersect(done, e.progress());
        size += e.invalidation().size();
      }
      byProgress.computeIfAbsent(done, k -> new ArrayList<>()).add(new Unit(List.copyOf(g), done, size));
    }
    List<List<Unit>> deliveries = new ArrayList<>();
    for (List<Unit> units : byProgress.values()) {
      List<Unit> current = new ArrayList<>();
      int load = 0;
      for (Unit u : units) {
        if (!current.isEmpty() && load + u.size() > capacity) {
          deliveries.add(current);
          current = new ArrayList<>();
          load = 0;
        }
        current.add(u);
        load += u.size();
      }
      deliveries.add(current);
    }
    return deliveries;
  }

  /**
   * The invalidation a delivery sends: a lone entry as it is; several merged under an id derived
   * from theirs, so that the same group sent again is recognised by receivers as a redelivery.
   */
  static Invalidation merged(List<JournalEntry> entries) {
    if (entries.size() == 1) {
      return entries.get(0).invalidation();
    }
    List<Invalidation> all = new ArrayList<>(entries.size());
    StringBuilder ids = new StringBuilder();
    for (JournalEntry e : entries) {
      all.add(e.invalidation());
      ids.append(e.invalidation().id()).append(',');
    }
    String id = "inv_" + UUID.nameUUIDFromBytes(ids.toString().getBytes(StandardCharsets.UTF_8))
        .toString().replace("-", "");
    return Coalescer.merge(all).withId(id);
  }

  private static List<JournalEntry> entries(List<Unit> units) {
    List<JournalEntry> all = new ArrayList<>();
    for (Unit u : units) {
      all.addAll(u.entries());
    }
    return all;
  }

  /**
   * Sends one delivery and settles its entries; when a target refused it with a 400 and it carried
   * several units, the halves are sent again on their own instead (as the coalescer isolates a
   * refused submission), so a poison entry fails alone and does not hold back the rest.
   */
  private void deliver(List<Unit> units, int[] isolationRuns) {
    List<JournalEntry> entries = entries(units);
    Progress skip = units.get(0).done();
    for (Unit u : units) {
      skip = JournalProgress.intersect(skip, u.done());
    }
    Invalidation inv = merged(entries);
    progress.register(inv.id(), skip);
    InvalidationReport report;
    try {
      CompletableFuture<InvalidationReport> run;
      try {
        run = runner.apply(inv, entries.size());
      } catch (RuntimeException e) {
        run = CompletableFuture.failedFuture(e);
      }
      report = await(run, inv.id());
    } finally {
      progress.forget(inv.id());
    }
    if (report == null) {
      if (stopping) {
        releaseNow(entries, "not finished: the sender stopped");
      } else {
        settle(entries, null);
      }
      return;
    }
    if (units.size() > 1 && !stopping && Coalescer.refusedByATarget(report) && isolationRuns[0] >= 2) {
      isolationRuns[0] -= 2;
      LOG.info("delivery {} was refused with a 400 by a target; sending its {} entries again in two"
          + " halves to isolate the refused one", inv.id(), entries.size());
      int half = units.size() / 2;
      deliver(units.subList(0, half), isolationRuns);
      deliver(units.subList(half, units.size()), isolationRuns);
      return;
    }
    settle(entries, report);
  }

  /** Waits for a delivery, renewing the claim's leases meanwhile; null if it failed. */
  private InvalidationReport await(CompletableFuture<InvalidationReport> run, String id) {
    long every = Math.max(1, policy.lease().toMillis() / 3);
    while (true) {
      try {
        return run.get(every, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        renew();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        if (!(cause instanceof InvalidatorClosedException)) {
          LOG.warn("journal delivery {} failed without a report", id, cause);
        }
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopping = true;
        return null;
      } catch (java.util.concurrent.CancellationException e) {
        return null;
      }
    }
  }

  private void renew() {
    if (held.isEmpty()) {
      return;
    }
    try {
      Set<String> lost = journal.renew(policy.owner(), List.copyOf(held), policy.lease());
      if (!lost.isEmpty()) {
        LOG.warn("journal sender: {} entries were taken over by another sender", lost.size());
        held.removeAll(lost);
      }
    } catch (JournalException e) {
      // The leases run on; if the store stays away they end and the entries are claimed again.
      LOG.warn("journal sender: lease renewal failed: {}", e.getMessage());
    }
  }

  /**
   * Completes or releases each entry after a delivery: delivered; refused for good (every failure
   * a content refusal) or past its age or attempts, failed; otherwise its progress is recorded and
   * it is released for a retry after the backoff. A null report (the run failed without one)
   * releases for a retry.
   */
  private void settle(List<JournalEntry> entries, InvalidationReport report) {
    Instant now = clock.instant();
    boolean delivered = report != null && report.isComplete();
    boolean refused = report != null && !delivered && JournalProgress.refusedForGood(report);
    Progress learned = report == null || delivered ? Progress.NONE : JournalProgress.of(report);
    // What the status shows an editor: the outcome names no host, the summary would.
    String summary = report == null ? "the delivery ended without a report" : report.outcome();
    if (delivered || refused) {
      List<String> ids = new ArrayList<>(entries.size());
      for (JournalEntry e : entries) {
        ids.add(e.invalidation().id());
      }
      finishAll(ids, delivered ? State.DELIVERED : State.FAILED,
          delivered ? summary : "refused: " + summary, report);
      return;
    }
    List<Runnable> writes = new ArrayList<>(entries.size());
    for (JournalEntry e : entries) {
      String id = e.invalidation().id();
      // The kernel's decision, with the entry's claims as the attempts and its maximum age as the
      // deadline: a retry that would start after it gives up now.
      Retry.Decision next = retry.next(Math.max(1, e.attempts()), null,
          Duration.between(now, e.acceptedAt().plus(policy.maxAge())));
      if (next.again()) {
        writes.add(() -> retryLater(id, learned, next.delay(), summary));
        continue;
      }
      String giveUp = next.stop() == Retry.Stop.ATTEMPTS
          ? "gave up after " + next.failedAttempts() + " attempts"
          : "gave up: older than the maximum age " + policy.maxAge() + " after "
              + next.failedAttempts() + " attempts";
      String why = giveUp + "; last attempt: " + summary;
      writes.add(() -> finish(id, State.FAILED, why, report));
    }
    runAll(writes);
  }

  private void finish(String id, State state, String summary, InvalidationReport report) {
    finishAll(List.of(id), state, summary, report);
  }

  /** Completes entries with one outcome, in one journal call; then their futures. */
  private void finishAll(List<String> ids, State state, String summary, InvalidationReport report) {
    held.removeAll(ids);
    Set<String> notHeld;
    try {
      notHeld = journal.completeAll(ids, policy.owner(), state, summary);
    } catch (JournalException e) {
      // Still leased to us: when the leases end they are claimed and sent again (at least once).
      LOG.warn("journal sender: could not complete {} entries: {}", ids.size(), e.getMessage());
      return;
    }
    if (!notHeld.isEmpty()) {
      LOG.debug("journal sender: {} entries were taken over before they could be completed",
          notHeld.size());
    }
    if (report == null) {
      return; // no report to give: the futures fail at close, the status tells meanwhile
    }
    for (String id : ids) {
      Waiter w = notHeld.contains(id) ? null : waiters.remove(id);
      if (w != null) {
        w.future.complete(report);
      }
    }
  }

  private void retryLater(String id, Progress learned, Duration delay, String summary) {
    held.remove(id);
    try {
      if (!learned.isEmpty()) {
        journal.recordProgress(id, policy.owner(), learned);
      }
      journal.release(id, policy.owner(), delay, summary);
    } catch (JournalException e) {
      LOG.warn("journal sender: could not release {}: {}", id, e.getMessage());
    }
  }

  private void releaseNow(List<JournalEntry> entries, String why) {
    List<Runnable> writes = new ArrayList<>();
    for (JournalEntry e : entries) {
      writes.add(() -> retryLater(e.invalidation().id(), Progress.NONE, Duration.ZERO, why));
    }
    runAll(writes);
  }

  private void runAll(List<Runnable> writes) {
    if (writes.size() == 1) {
      writes.get(0).run();
      return;
    }
    List<CompletableFuture<Void>> all = new ArrayList<>(writes.size());
    for (Runnable w : writes) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      Runnable write = () -> {
        try {
          w.run();
          done.complete(null);
        } catch (RuntimeException | Error e) {
          done.completeExceptionally(e);
        }
      };
      if (!Tasks.execute(writers, write)) {
        write.run(); // the writers were shut down by close(): write here, nothing is skipped
      }
      all.add(done);
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
  }

  /**
   * Completes the futures of submissions whose entries another backend process finished, once in a
   * lease: they would otherwise wait until close. Their report says so, stage by stage.
   */
  void sweep() {
    long now = System.nanoTime();
    long every = policy.lease().toNanos();
    if (now - lastSweep < every) {
      return;
    }
    lastSweep = now;
    for (Map.Entry<String, Waiter> e : waiters.entrySet()) {
      Waiter w = e.getValue();
      if (now - w.since < every || held.contains(e.getKey())) {
        continue;
      }
      try {
        journal.status(e.getKey()).filter(InvalidationStatus::isFinished).ifPresent(s -> {
          if (waiters.remove(e.getKey(), w)) {
            w.future.complete(finishedElsewhere(w.invalidation, s));
          }
        });
      } catch (JournalException ex) {
        return; // the store is away; the next sweep tries again
      }
    }
  }

  /** The report of an entry another sender finished: its outcome and summary, per stage. */
  private InvalidationReport finishedElsewhere(Invalidation inv, InvalidationStatus s) {
    boolean ok = s.state() != State.FAILED;
    String detail = "sent by another backend process, " + s.state() + ": " + s.summary();
    List<StageReport> reports = new ArrayList<>();
    for (Stage stage : stages) {
      reports.add(new StageReport(stage.name(),
          stage instanceof Stage.Fanout ? StageReport.Kind.FANOUT : StageReport.Kind.PURGE,
          ok ? StageReport.Status.SUCCEEDED : StageReport.Status.FAILED, ok, List.of(), List.of(),
          detail, Duration.ZERO));
    }
    return new InvalidationReport(inv, s.acceptedAt(),
        Duration.between(s.acceptedAt(), s.updatedAt()), reports, 1);
  }

  /** Stops claiming; what the current claim has not started yet is released. */
  void stop() {
    stopping = true;
    Journal.Subscription s = subscription;
    if (s != null) {
      s.close();
    }
    wake();
  }

  /**
   * Waits for the sender thread to release what it held, then fails the futures of entries this
   * process did not finish: they stay in the journal for another sender or the next start.
   */
  void awaitStopped(Duration wait) {
    Thread t = thread;
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(Math.max(1, wait.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<JournalEntry> unsent = new ArrayList<>();
    JournalEntry e;
    while ((e = own.poll()) != null) {
      unsent.add(e);
    }
    if (!unsent.isEmpty()) {
      releaseNow(unsent, "not sent: the sender stopped");
    }
    writers.shutdown();
    waitersClosed = true;
    for (Map.Entry<String, Waiter> w : waiters.entrySet()) {
      w.getValue().future.completeExceptionally(new InvalidatorClosedException("invalidator closed before"
          + " invalidation " + w.getKey() + " was delivered; it stays in the journal, and another"
          + " sender or the next start sends it (see status(id))"));
    }
    waiters.clear();
  }
}
