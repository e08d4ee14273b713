package dev.fanout;

import dev.fanout.internal.Tasks;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
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
  /** Set once {@link Invalidator#close(Duration)} gave up waiting: no call starts any more. */
  private volatile boolean stopped;
  /** Calls to a plug-in being started right now; {@link #stop} waits for them. */
  private final java.util.concurrent.atomic.AtomicInteger starting =
      new java.util.concurrent.atomic.AtomicInteger();

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
    if (Tasks.execute(executor, task) || stopped) {
      // Refused once closed: whatever the task would do is refused at its gate anyway, and every
      // future it could complete was failed by close().
      return;
    }
    LOG.debug("executor refused a task; running it on the calling thread");
    task.run();
  }

  /**
   * Enters the gate in front of a call to a plug-in (a delivery, a discovery, a purge): false once
   * the invalidator stopped, and then the call must not be made. Every {@code true} must be
   * followed by {@link #exit()} once the call has been started.
   */
  boolean enter() {
    starting.incrementAndGet();
    if (stopped) {
      starting.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Leaves the gate entered with {@link #enter()}. */
  void exit() {
    starting.decrementAndGet();
  }

  boolean isStopped() {
    return stopped;
  }

  /**
   * Closes the gate, then waits up to {@code wait} for the calls passing it now to have started
   * (plug-ins return at once by contract), so that none starts after this returns.
   */
  void stop(Duration wait) {
    stopped = true;
    long end = System.nanoTime() + wait.toNanos();
    while (starting.get() > 0 && System.nanoTime() - end < 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(100_000);
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

  /** The process's descriptor limit, read once (a getrlimit call); 0 when the JVM cannot tell. */
  private static final long MAX_DESCRIPTORS = maxDescriptors();

  /**
   * How many attempts a fan-out keeps in flight: the stage's concurrency, but at most half of the
   * process's descriptor limit (each attempt in flight may hold a socket, and the rest of the
   * process needs descriptors too), and at least one.
   */
  static int concurrencyWithin(int configured) {
    return concurrencyWithin(configured, MAX_DESCRIPTORS);
  }

  static int concurrencyWithin(int configured, long maxDescriptors) {
    if (maxDescriptors <= 0) {
      return configured;
    }
    return (int) Math.max(1, Math.min(configured, maxDescriptors / 2));
  }

  private static long maxDescriptors() {
    try {
      java.lang.management.OperatingSystemMXBean os =
          java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof com.sun.management.UnixOperatingSystemMXBean) {
        return ((com.sun.management.UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount();
      }
    } catch (RuntimeException | LinkageError e) {
      // A runtime without the jdk.management module (or a security manager that says no): no cap.
    }
    return 0;
  }

  /** What a call bounded by {@code timeout} fails with when it did not complete in time. */
  static TimeoutException timedOut(String what, Duration timeout) {
    return new TimeoutException(what + " did not complete within " + timeout.toMillis() + " ms");
  }
}
