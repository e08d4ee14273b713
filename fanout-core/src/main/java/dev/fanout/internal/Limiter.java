package dev.fanout.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * Bounds how many tasks hold a permit at once. Tasks wait in FIFO order; a waiting task costs a queue
 * slot, not a thread. A task that got a permit must call {@link #release()} exactly once, whatever
 * happens to it. Thread-safe. Part of the kernel; not part of the public API.
 */
public final class Limiter {
  private final Executor handoff;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  /** Hand-offs made while this thread is inside {@link #release()}'s hand-off, run after it. */
  private final ThreadLocal<ArrayDeque<Runnable>> handingOff = new ThreadLocal<>();
  private int permits;

  /**
   * Creates a limiter.
   *
   * @param permits how many tasks may hold a permit at once, {@code >= 1}
   * @param handoff runs a waiting task once a permit is released to it; it must not refuse (a task
   *     that never runs would never release its permit)
   * @throws IllegalArgumentException if {@code permits < 1}
   */
  public Limiter(int permits, Executor handoff) {
    if (permits < 1) {
      throw new IllegalArgumentException("permits must be >= 1: " + permits);
    }
    this.permits = permits;
    this.handoff = handoff;
  }

  /**
   * Runs the task on the handoff executor once a permit is free.
   *
   * @param task the task; it must call {@link #release()}
   */
  public void acquire(Runnable task) {
    if (take(task)) {
      handoff.execute(task);
    }
  }

  /**
   * Like {@link #acquire(Runnable)}, but runs the task on the calling thread when a permit is free.
   * A fan-out starts thousands of tasks at once from one thread; handing each to an executor would
   * wake a worker per task for work that takes microseconds.
   *
   * @param task the task; it must call {@link #release()}
   */
  public void acquireHere(Runnable task) {
    if (take(task)) {
      task.run();
    }
  }

  /**
   * Gives the permit back: to the task that waited longest (on the handoff executor), if any. A
   * handoff that runs tasks on the calling thread does not nest: a task that releases at once (one
   * failed without being sent, say) has its successor run after it returns, not inside it, so that
   * thousands of waiting tasks cannot overflow the stack.
   */
  public void release() {
    Runnable next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        permits++;
        return;
      }
    }
    ArrayDeque<Runnable> queued = handingOff.get();
    if (queued != null) {
      queued.add(next);
      return;
    }
    queued = new ArrayDeque<>();
    handingOff.set(queued);
    try {
      for (Runnable r = next; r != null; r = queued.poll()) {
        handoff.execute(r);
      }
    } finally {
      handingOff.remove();
    }
  }

  /**
   * Returns how many permits are free now.
   *
   * @return the free permits
   */
  public synchronized int available() {
    return permits;
  }

  /** Takes a permit, or queues the task: true if the caller must run it now. */
  private synchronized boolean take(Runnable task) {
    if (permits == 0) {
      waiting.add(task);
      return false;
    }
    permits--;
    return true;
  }
}
