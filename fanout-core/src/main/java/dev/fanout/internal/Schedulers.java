package dev.fanout.internal;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;

/**
 * The threads fanout creates when a user gives none: daemon threads with names, and timers. Part of
 * the kernel; not part of the public API (users give their own with the builders' {@code scheduler}
 * methods).
 */
public final class Schedulers {
  private Schedulers() {}

  /** Created on first use only, so that a user who passes a scheduler everywhere gets no thread. */
  private static final class Shared {
    static final ScheduledExecutorService INSTANCE = newTimer("fanout-timer");
  }

  /**
   * The timer shared by every component built without a scheduler: one daemon thread that only
   * starts work (fires timeouts, starts retries), never shut down.
   *
   * @return the shared timer
   */
  public static ScheduledExecutorService shared() {
    return Shared.INSTANCE;
  }

  /**
   * Creates a timer of one daemon thread for a component that owns it (and shuts it down).
   *
   * @param name the thread name prefix, e.g. {@code fanout-k8s-timer}
   * @return the timer
   */
  public static ScheduledExecutorService newTimer(String name) {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemonThreads(name));
    // Timeouts are cancelled far more often than they fire; keep the queue small.
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  /**
   * Returns a factory of daemon threads named {@code name-1}, {@code name-2}, ...: a library thread
   * never keeps an application's JVM alive.
   *
   * @param name the thread name prefix
   * @return the factory
   */
  public static ThreadFactory daemonThreads(String name) {
    return new DaemonThreads(name);
  }
}
