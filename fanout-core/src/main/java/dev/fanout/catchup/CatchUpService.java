package dev.fanout.catchup;

import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.Stage;
import dev.fanout.spi.Journal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the catch-up of every fan-out stage of an invalidator that has a {@link CatchUpPolicy}. The
 * {@code Invalidator} starts one and closes it; it is public only so that the engine can reach it
 * across packages.
 *
 * <p>It follows each stage's membership, learns from the engine's deliveries (through {@link
 * #listener()}) which replicas missed an invalidation and which acknowledge again, records what
 * the engine runs when no journal provides the history, and reports every outcome to the
 * invalidator's listener ({@link FanoutListener#onCatchUp}), the log, one line per catch-up
 * (logger {@code dev.fanout.catchup}), and with a journal its history ({@link
 * Journal#recordCatchUp}).
 *
 * @since 0.2
 */
public final class CatchUpService implements AutoCloseable {
  static final Logger LOG = LoggerFactory.getLogger("dev.fanout.catchup");

  private final List<StageCatchUp> stages;
  private final Map<String, StageCatchUp> byName = new ConcurrentHashMap<>();
  private final RecentHistory recorder;
  private final FanoutListener listener;

  private CatchUpService(List<StageCatchUp> stages, RecentHistory recorder, FanoutListener user) {
    this.stages = stages;
    this.recorder = recorder;
    stages.forEach(s -> byName.put(s.name(), s));
    this.listener = stages.isEmpty() ? user : new ObservingListener(user, this);
  }

  /**
   * Starts the catch-up of the stages that have a policy; does nothing when none has.
   *
   * @param stages the invalidator's stages
   * @param clock the invalidator's clock
   * @param scheduler its scheduler (settle, retry and timeout timers, polls)
   * @param executor its executor (history reads)
   * @param random its random source (backoff jitter, signal ids)
   * @param listener its listener, which gets {@link FanoutListener#onCatchUp}
   * @param journal the invalidator's journal, or null: with one, the history comes from it ({@link
   *     HistorySource#of(Journal)}) and every outcome is recorded in it ({@link
   *     Journal#recordCatchUp}); without one, from a {@link RecentHistory} of what the invalidator
   *     runs, kept for the longest window
   * @return the running service
   */
  public static CatchUpService start(List<Stage> stages, Clock clock, ScheduledExecutorService scheduler,
      Executor executor, RandomGenerator random, FanoutListener listener, Journal journal) {
    Objects.requireNonNull(listener, "listener");
    Duration longest = null;
    for (Stage s : stages) {
      if (s instanceof Stage.Fanout f && f.catchUpPolicy().isPresent()) {
        Duration w = f.catchUpPolicy().get().window();
        longest = longest == null || w.compareTo(longest) > 0 ? w : longest;
      }
    }
    if (longest == null) {
      return new CatchUpService(List.of(), null, listener);
    }
    RecentHistory recorder = journal == null
        ? new RecentHistory(clock, longest, RecentHistory.DEFAULT_CAPACITY) : null;
    // A random of its own: the engine draws from the invalidator's under a lock of its own.
    Context ctx = new Context(clock, scheduler, executor, new SplittableRandom(random.nextLong()), listener,
        journal != null ? HistorySource.of(journal) : recorder, journal);
    List<StageCatchUp> running = new ArrayList<>();
    for (Stage s : stages) {
      if (s instanceof Stage.Fanout f && f.catchUpPolicy().isPresent()) {
        running.add(new StageCatchUp(f, f.catchUpPolicy().get(), ctx));
      }
    }
    CatchUpService service = new CatchUpService(List.copyOf(running), recorder, listener);
    running.forEach(StageCatchUp::start);
    return service;
  }

  /**
   * Returns the listener the engine calls: the invalidator's own listener, plus what the catch-up
   * learns from deliveries; the invalidator's listener itself when no stage catches up.
   *
   * @return the listener
   */
  public FanoutListener listener() {
    return listener;
  }

  /**
   * Returns whether any stage catches up.
   *
   * @return true if at least one stage has a policy
   */
  public boolean isActive() {
    return !stages.isEmpty();
  }

  void ran(Invalidation invalidation) {
    if (recorder != null) {
      recorder.record(invalidation);
    }
  }

  void delivered(String stage, dev.fanout.TargetResult result) {
    StageCatchUp s = byName.get(stage);
    if (s != null) {
      s.onDelivery(result);
    }
  }

  /** Stops watching, cancels pending catch-ups and abandons those in flight. Idempotent. */
  @Override
  public void close() {
    stages.forEach(StageCatchUp::close);
  }
}
