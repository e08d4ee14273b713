package dev.fanout.cloudfront;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What one purger has submitted to its distribution that may still be in progress, counted against
 * CloudFront's in-flight limits, with a first-come-first-served queue of batches waiting for room.
 * A reservation is taken before a batch is sent and given back once CloudFront reports the
 * invalidation {@code Completed} (or the send failed), so the purger never sends past the limits by
 * itself. Thread-safe; futures are completed outside the lock.
 */
final class InFlightBudget {

  /** Room taken by one batch; bound to CloudFront's invalidation id once created. */
  static final class Reservation {
    final int paths;
    final int wildcards;
    final Instant since;
    private String invalidationId;
    private boolean released;

    private Reservation(int paths, int wildcards, Instant since) {
      this.paths = paths;
      this.wildcards = wildcards;
      this.since = since;
    }

    synchronized String invalidationId() {
      return invalidationId;
    }
  }

  private record Waiter(int paths, int wildcards, CompletableFuture<Reservation> future) {}

  private final int maxPaths;
  private final int maxWildcards;
  private final Clock clock;
  private final LinkedHashSet<Reservation> held = new LinkedHashSet<>();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private int usedPaths;
  private int usedWildcards;

  InFlightBudget(int maxPaths, int maxWildcards, Clock clock) {
    this.maxPaths = maxPaths;
    this.maxWildcards = maxWildcards;
    this.clock = clock;
  }

  /**
   * Reserves room for a batch: at once when it fits and nobody is queued ahead, otherwise when
   * enough earlier reservations are released. A batch never exceeds the limits, so it fits an empty
   * budget. Cancelling the returned future (or {@link #cancel}) leaves the queue.
   */
  CompletableFuture<Reservation> acquire(int paths, int wildcards) {
    CompletableFuture<Reservation> future = new CompletableFuture<>();
    synchronized (this) {
      if (waiters.isEmpty() && fits(paths, wildcards)) {
        return CompletableFuture.completedFuture(take(paths, wildcards));
      }
      waiters.add(new Waiter(paths, wildcards, future));
    }
    future.whenComplete(
        (r, e) -> {
          if (future.isCancelled()) {
            cancel(future);
          }
        });
    return future;
  }

  /**
   * Leaves the queue; returns false if the future was not waiting (granted already, or unknown).
   */
  boolean cancel(CompletableFuture<Reservation> future) {
    boolean removed;
    synchronized (this) {
      removed = waiters.removeIf(w -> w.future == future);
    }
    if (removed) {
      // The head may have changed, so someone behind may fit now.
      dispatch();
    }
    return removed;
  }

  /** Gives the room back; idempotent. */
  void release(Reservation r) {
    synchronized (this) {
      synchronized (r) {
        if (r.released) {
          return;
        }
        r.released = true;
      }
      held.remove(r);
      usedPaths -= r.paths;
      usedWildcards -= r.wildcards;
    }
    dispatch();
  }

  /**
   * Records the invalidation CloudFront created for a reservation. When the same invalidation is
   * already held (CloudFront returned an existing one for a resent CallerReference), the new
   * reservation is a duplicate and is given back.
   */
  void bind(Reservation r, String invalidationId) {
    boolean duplicate = false;
    synchronized (this) {
      for (Reservation other : held) {
        if (other != r && invalidationId.equals(other.invalidationId())) {
          duplicate = true;
          break;
        }
      }
      if (!duplicate) {
        synchronized (r) {
          r.invalidationId = invalidationId;
        }
      }
    }
    if (duplicate) {
      release(r);
    }
  }

  /** CloudFront reported the invalidation Completed (or no longer knows it): give its room back. */
  void completed(String invalidationId) {
    Reservation found = null;
    synchronized (this) {
      for (Reservation r : held) {
        if (invalidationId.equals(r.invalidationId())) {
          found = r;
          break;
        }
      }
    }
    if (found != null) {
      release(found);
    }
  }

  /**
   * Gives back reservations taken before {@code cutoff}: a safety net for invalidations whose
   * status cannot be read (for example without {@code cloudfront:GetInvalidation}).
   */
  void expire(Instant cutoff) {
    List<Reservation> old = new ArrayList<>();
    synchronized (this) {
      for (Reservation r : held) {
        if (r.since.isBefore(cutoff)) {
          old.add(r);
        }
      }
    }
    old.forEach(this::release);
  }

  /** The oldest reservations that have an invalidation id, to poll for completion. */
  synchronized List<String> oldestInvalidationIds(int max) {
    List<String> ids = new ArrayList<>();
    for (Iterator<Reservation> it = held.iterator(); it.hasNext() && ids.size() < max; ) {
      String id = it.next().invalidationId();
      if (id != null) {
        ids.add(id);
      }
    }
    return ids;
  }

  synchronized boolean hasWaiters() {
    return !waiters.isEmpty();
  }

  synchronized int inFlightPaths() {
    return usedPaths;
  }

  synchronized int inFlightWildcards() {
    return usedWildcards;
  }

  private boolean fits(int paths, int wildcards) {
    return usedPaths + paths <= maxPaths && usedWildcards + wildcards <= maxWildcards;
  }

  private Reservation take(int paths, int wildcards) {
    Reservation r = new Reservation(paths, wildcards, clock.instant());
    held.add(r);
    usedPaths += paths;
    usedWildcards += wildcards;
    return r;
  }

  /** Grants queued batches in order while the head fits; the head is never overtaken. */
  private void dispatch() {
    while (true) {
      Waiter w;
      Reservation r;
      synchronized (this) {
        w = waiters.peek();
        if (w == null || !fits(w.paths, w.wildcards)) {
          return;
        }
        waiters.poll();
        r = take(w.paths, w.wildcards);
      }
      if (!w.future.complete(r)) {
        // Cancelled between the queue and the grant.
        release(r);
      }
    }
  }
}
