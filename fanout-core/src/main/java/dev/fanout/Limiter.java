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
