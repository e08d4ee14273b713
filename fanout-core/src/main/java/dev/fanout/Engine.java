package dev.fanout;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The configuration an invalidation runs with; immutable once the Invalidator is built. */
final class Engine {
  static final Logger LOG = LoggerFactory.getLogger(Invalidator.class);

  final List<Stage> stages;
  final Duration deadline;
  final Clock clock;
  final ScheduledExecutorService scheduler;
  final Executor executor;
  final RandomGenerator random;
  final FanoutListener listener;

  Engine(
      List<Stage> stages,
      Duration deadline,
      Clock clock,
      ScheduledExecutorService scheduler,
      Executor executor,
      RandomGenerator random,
      FanoutListener listener) {
    this.stages = List.copyOf(stages);
    this.deadline = deadline;
    this.clock = clock;
    this.scheduler = scheduler;
    this.executor = executor;
    this.random = random;
    this.listener = listener;
  }

  /** Prepares a run; the caller registers its {@link Execution#result()} and then starts it. */
  Execution prepare(Invalidation invalidation, int submissions) {
    return new Execution(this, invalidation, submissions);
  }

  /**
   * Runs a task on the executor, or on the calling thread if the executor refuses it: a refused
   * task must never become a target, stage or invalidation that never ends. Engine tasks only start
   * asynchronous work, so running one inline is cheap.
   */
  void execute(Runnable task) {
    try {
      executor.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.debug("executor refused a task; running it on the calling thread");
      task.run();
    }
  }

  /** Calls the listener; a listener that throws never changes an outcome. */
  void notify(Consumer<FanoutListener> event) {
    try {
      event.accept(listener);
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError) {
        throw e;
      }
      LOG.debug("listener threw; ignored", e);
    }
  }

  /** RandomGenerator implementations are not all thread-safe; attempts draw from many threads. */
  synchronized Duration backoff(RetryPolicy policy, int failedAttempt) {
    return policy.backoff(failedAttempt, random);
  }
}
