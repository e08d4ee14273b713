package dev.fanout;

import java.util.ArrayDeque;

/**
 * Bounds the attempts in flight in one stage. Tasks wait in FIFO order; a waiting task costs a
 * queue slot, not a thread.
 */
final class Limiter {
  private final Engine engine;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private int permits;

  Limiter(int permits, Engine engine) {
    this.permits = permits;
    this.engine = engine;
  }

  /** Runs the task on the executor once a permit is free; the task must call {@link #release()}. */
  void acquire(Runnable task) {
    synchronized (this) {
      if (permits == 0) {
        waiting.add(task);
        return;
      }
      permits--;
    }
    engine.execute(task);
  }

  /**
   * Like {@link #acquire(Runnable)}, but runs the task on the calling thread when a permit is free.
   * A fan-out starts thousands of attempts at once from one engine task; handing each to the
   * executor would wake a worker per attempt for work that takes microseconds.
   */
  void acquireHere(Runnable task) {
    synchronized (this) {
      if (permits == 0) {
        waiting.add(task);
        return;
      }
      permits--;
    }
    task.run();
  }

  void release() {
    Runnable next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        permits++;
        return;
      }
    }
    engine.execute(next);
  }
}
