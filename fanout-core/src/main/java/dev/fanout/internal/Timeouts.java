package dev.fanout.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Supplier;

/**
 * Bounds a future by a timer on an injected scheduler. Part of the kernel; not part of the public
 * API.
 *
 * <p>Not {@code CompletableFuture.orTimeout}: that uses the JDK's own timer thread, which a test
 * clock cannot drive. And on expiry the call is cancelled, so that an HTTP exchange with a stalled
 * body is abandoned rather than left to hang (on Java 17 {@code HttpRequest.timeout} covers the
 * headers only).
 */
public final class Timeouts {
  private Timeouts() {}

  /**
   * Returns a future that completes like {@code call}, or fails with {@code onTimeout}'s exception
   * once {@code timeout} has passed on {@code scheduler}, cancelling {@code call}. If the scheduler
   * refuses the timer, an unbounded call must not linger: {@code call} is cancelled and the result
   * fails with a {@link CancellationException}, an outcome rather than an exception for whoever
   * started the call.
   *
   * @param <T> the result type
   * @param call the call to bound
   * @param timeout how long it may take
   * @param scheduler the scheduler that runs the timer
   * @param onTimeout makes the failure on expiry; called only if the timer fires (most calls do not
   *     time out, so a message is not built for each)
   * @return the bounded future
   */
  public static <T> CompletableFuture<T> within(CompletableFuture<T> call, Duration timeout,
      ScheduledExecutorService scheduler, Supplier<? extends Throwable> onTimeout) {
    CompletableFuture<T> result = new CompletableFuture<>();
    ScheduledFuture<?> timer = Tasks.schedule(scheduler, timeout, () -> {
      if (result.completeExceptionally(onTimeout.get())) {
        call.cancel(true);
      }
    });
    if (timer == null) {
      call.cancel(true);
      result.completeExceptionally(
          new CancellationException("not bounded: the scheduler refused the call's timer"));
      return result;
    }
    call.whenComplete((value, error) -> {
      timer.cancel(false);
      if (error == null) {
        result.complete(value);
      } else {
        result.completeExceptionally(error);
      }
    });
    return result;
  }

  /**
   * Returns a batch of calls that share one timer: a fan-out starts thousands of attempts with the
   * same timeout in one pass, and one timer for all of them costs the scheduler one task instead of
   * one per call (each of which it would queue, cancel and remove again).
   *
   * @param timeout how long each call may take
   * @param scheduler the scheduler that runs the timer
   * @return an open batch; {@link Batch#close()} it when the pass is done
   */
  public static Batch batch(Duration timeout, ScheduledExecutorService scheduler) {
    return new Batch(timeout, scheduler);
  }

  /**
   * Calls bounded by one timer, armed when the batch is closed. A call added to the open batch gets
   * at least its timeout: the timer starts when the batch closes, so a call added early may run
   * longer by as long as the pass that filled the batch took, never shorter. A call added after the
   * batch closed gets a timer of its own ({@link #within}). Every other guarantee is {@link
   * #within}'s: the result completes like the call or with {@code onTimeout}'s failure, the call is
   * cancelled on expiry, the timer is cancelled once every call completed, and a refused timer
   * cancels the calls. Thread-safe.
   */
  public static final class Batch {
    private final Duration timeout;
    private final ScheduledExecutorService scheduler;
    /** Guarded by {@code this}; dropped once the timer fired or every call completed. */
    private List<Member<?>> members = new ArrayList<>();
    private int pending;
    private boolean closed;
    private ScheduledFuture<?> timer;

    private Batch(Duration timeout, ScheduledExecutorService scheduler) {
      this.timeout = timeout;
      this.scheduler = scheduler;
    }

    /** One call of the batch: its bounded result. */
    private static final class Member<T> extends CompletableFuture<T> {
      final CompletableFuture<T> call;
      final Supplier<? extends Throwable> onTimeout;

      Member(CompletableFuture<T> call, Supplier<? extends Throwable> onTimeout) {
        this.call = call;
        this.onTimeout = onTimeout;
      }

      void expire(Throwable why) {
        if (completeExceptionally(why)) {
          call.cancel(true);
        }
      }
    }

    /**
     * Bounds a call by the batch's timer, or by one of its own once the batch is closed.
     *
     * @param <T> the result type
     * @param call the call to bound
     * @param onTimeout makes the failure on expiry, called only if the call expires
     * @return the bounded future
     */
    public <T> CompletableFuture<T> add(CompletableFuture<T> call, Supplier<? extends Throwable> onTimeout) {
      Member<T> m = new Member<>(call, onTimeout);
      synchronized (this) {
        if (closed) {
          return within(call, timeout, scheduler, onTimeout);
        }
        members.add(m);
        pending++;
      }
      call.whenComplete((value, error) -> {
        if (error == null) {
          m.complete(value);
        } else {
          m.completeExceptionally(error);
        }
        ScheduledFuture<?> done = null;
        synchronized (this) {
          if (--pending == 0 && closed) {
            done = timer;
            members = List.of();
          }
        }
        if (done != null) {
          done.cancel(false);
        }
      });
      return m;
    }

    /** Closes the batch and starts its timer, if any call of it is still running. */
    public void close() {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        if (pending == 0) {
          members = List.of();
          return;
        }
      }
      ScheduledFuture<?> t = Tasks.schedule(scheduler, timeout, this::expire);
      if (t == null) {
        for (Member<?> m : drain()) {
          m.expire(new CancellationException("not bounded: the scheduler refused the call's timer"));
        }
        return;
      }
      boolean finished;
      synchronized (this) {
        timer = t;
        finished = pending == 0;
      }
      if (finished) {
        t.cancel(false);
      }
    }

    private void expire() {
      for (Member<?> m : drain()) {
        if (!m.isDone()) {
          m.expire(m.onTimeout.get());
        }
      }
    }

    private synchronized List<Member<?>> drain() {
      List<Member<?>> all = members;
      members = List.of();
      return all;
    }
  }
}
