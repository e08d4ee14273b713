package dev.fanout.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link ScheduledExecutorService} driven by a {@link ManualClock}: delayed tasks run only when a
 * test calls {@link #advance(Duration)} (on the calling thread, in time order); tasks with no delay
 * ({@code execute}) run at once on the calling thread. Nothing sleeps. Thread-safe.
 */
public final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final ManualClock clock;
  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
  private final AtomicLong seq = new AtomicLong();
  private volatile boolean shutdown;

  /**
   * Creates a scheduler on the given clock.
   *
   * @param clock the clock it advances
   */
  public ManualScheduler(ManualClock clock) {
    this.clock = clock;
  }

  /**
   * Returns the clock.
   *
   * @return the clock
   */
  public ManualClock clock() {
    return clock;
  }

  /**
   * Advances the clock by {@code d}, running every task that falls due on the way, in time order.
   *
   * @param d how far
   */
  public void advance(Duration d) {
    long target = nanos() + d.toNanos();
    while (true) {
      Task<?> next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.at > target) {
          break;
        }
        queue.poll();
      }
      if (next.at > nanos()) {
        clock.advance(Duration.ofNanos(next.at - nanos()));
      }
      next.run();
    }
    if (target > nanos()) {
      clock.advance(Duration.ofNanos(target - nanos()));
    }
  }

  /** Runs every task that is due now without moving the clock. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /**
   * Returns how many delayed tasks are waiting.
   *
   * @return the count
   */
  public synchronized int pending() {
    return (int) queue.stream().filter(t -> !t.isCancelled()).count();
  }

  /**
   * Returns the delay until the next pending task, or null if none.
   *
   * @return the delay, or null
   */
  public synchronized Duration nextDelay() {
    return queue.stream().filter(t -> !t.isCancelled()).mapToLong(t -> t.at).min()
        .stream().mapToObj(at -> Duration.ofNanos(Math.max(0, at - nanos()))).findFirst().orElse(null);
  }

  private long nanos() {
    Duration d = Duration.between(java.time.Instant.EPOCH, clock.instant());
    return d.toNanos();
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return add(new Task<>(() -> {
      command.run();
      return null;
    }, nanos() + unit.toNanos(Math.max(0, delay))));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return add(new Task<>(callable, nanos() + unit.toNanos(Math.max(0, delay))));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException("periodic tasks are not used by fanout");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("periodic tasks are not used by fanout");
  }

  private synchronized <V> Task<V> add(Task<V> t) {
    queue.add(t);
    return t;
  }

  @Override
  public void execute(Runnable command) {
    command.run();
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    synchronized (this) {
      queue.clear();
    }
    return new ArrayList<>();
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return true;
  }

  @Override
  public <T> List<java.util.concurrent.Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) {
    throw new UnsupportedOperationException();
  }

  private final class Task<V> implements ScheduledFuture<V> {
    final long at;
    final long order = seq.incrementAndGet();
    final Callable<V> body;
    final CompletableFuture<V> result = new CompletableFuture<>();

    Task(Callable<V> body, long at) {
      this.body = body;
      this.at = at;
    }

    void run() {
      if (result.isDone()) {
        return;
      }
      try {
        result.complete(body.call());
      } catch (Exception e) {
        result.completeExceptionally(e);
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(at - nanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      Task<?> t = (Task<?>) o;
      return at != t.at ? Long.compare(at, t.at) : Long.compare(order, t.order);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      return result.cancel(mayInterruptIfRunning);
    }

    @Override
    public boolean isCancelled() {
      return result.isCancelled();
    }

    @Override
    public boolean isDone() {
      return result.isDone();
    }

    @Override
    public V get() throws InterruptedException, ExecutionException {
      return result.get();
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException {
      return result.getNow(null);
    }

    @Override
    public boolean equals(Object o) {
      return this == o;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(order);
    }
  }
}
