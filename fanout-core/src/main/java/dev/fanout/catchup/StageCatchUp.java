package dev.fanout.catchup;

import dev.fanout.Endpoint;
import dev.fanout.ErrorKind;
import dev.fanout.Stage;
import dev.fanout.TargetResult;
import dev.fanout.catchup.CatchUpReport.Outcome;
import dev.fanout.catchup.CatchUpReport.Reason;
import dev.fanout.internal.Retry;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * The catch-up of one fan-out stage: which replicas owe a catch-up, the settle timers that coalesce
 * their appearances, the queue that bounds how many run at once, and the retries.
 *
 * <p>Each replica that owes a catch-up is in one phase: settling (waiting to be stable for the
 * settle delay; another appearance restarts the wait), queued, running, waiting (for a retry), or
 * failed (for good, until it appears again). A caught-up replica is forgotten. All state is
 * guarded by this object's lock; plug-ins, the listener and the log are called outside it.
 */
final class StageCatchUp implements AutoCloseable {
  private enum Phase { SETTLING, QUEUED, RUNNING, WAITING, FAILED }

  private static final class Replica {
    Endpoint endpoint;
    Reason reason;
    Instant noticedAt;
    Phase phase;
    int attempts;
    boolean reported;
    /** Appeared again while running: the history it was sent may predate what it missed. */
    boolean again;
    boolean left;
    ScheduledFuture<?> timer;
    CompletableFuture<?> running;

    Replica(Endpoint endpoint, Reason reason, Instant noticedAt) {
      this.endpoint = endpoint;
      this.reason = reason;
      this.noticedAt = noticedAt;
    }
  }

  private final Stage.Fanout stage;
  /** A replica's catch-up has no deadline: it is retried while it is discovered. */
  private static final Duration NO_DEADLINE = ChronoUnit.FOREVER.getDuration();

  private final CatchUpPolicy policy;
  private final Retry retry;
  private final Context ctx;
  private final Map<String, Replica> owed = new HashMap<>();
  private final ArrayDeque<Replica> queue = new ArrayDeque<>();
  /** The last membership seen, by authority; null before the first view (the baseline). */
  private Map<String, Endpoint> members;
  private int running;
  private boolean closed;
  private final MembershipWatcher watcher;

  StageCatchUp(Stage.Fanout stage, CatchUpPolicy policy, Context ctx) {
    this.stage = stage;
    this.policy = policy;
    this.retry = new Retry(policy.retry(), ctx.random());
    this.ctx = ctx;
    this.watcher = new MembershipWatcher(stage.discovery(), policy.poll(), ctx, this::onView);
  }

  void start() {
    watcher.start();
  }

  String name() {
    return stage.name();
  }

  /** A membership view: compares it with the last one and schedules what joined or came back. */
  void onView(List<Endpoint> view) {
    List<Replica> start;
    synchronized (this) {
      if (closed) {
        return;
      }
      Map<String, Endpoint> now = new LinkedHashMap<>();
      for (Endpoint e : view) {
        if (e.state() != Endpoint.State.TERMINATING && stage.states().contains(e.state())) {
          now.putIfAbsent(e.authority(), e);
        }
      }
      Map<String, Endpoint> before = members;
      members = now;
      if (before == null) {
        // The replicas present when the invalidator starts did not join: they are the baseline.
        return;
      }
      for (Endpoint e : now.values()) {
        Endpoint prev = before.get(e.authority());
        Replica r = owed.get(e.authority());
        if (prev == null) {
          appear(e, Reason.JOINED);
        } else if (inService(prev) && e.state() == Endpoint.State.NOT_READY) {
          appear(e, Reason.NOT_READY);
        } else if (!inService(prev) && inService(e) && r != null
            && (r.phase == Phase.FAILED || r.phase == Phase.WAITING)) {
          appear(e, Reason.RETURNED);
        } else if (r != null) {
          r.endpoint = e;
        }
      }
      for (String authority : before.keySet()) {
        if (!now.containsKey(authority)) {
          left(authority);
        }
      }
      start = pump();
    }
    run(start);
  }

  /** A delivery of the engine ended: a replica that missed it, or that acknowledges again. */
  void onDelivery(TargetResult result) {
    List<Replica> start;
    synchronized (this) {
      if (closed) {
        return;
      }
      Endpoint e = result.endpoint();
      Replica r = owed.get(e.authority());
      if (result.outcome() == TargetResult.Outcome.FAILED && result.errorKind() != null
          && (result.errorKind().isRetryable() || result.errorKind() == ErrorKind.DEADLINE)) {
        appear(e, Reason.MISSED);
      } else if (result.outcome() == TargetResult.Outcome.ACKED && r != null
          && (r.phase == Phase.FAILED || (r.phase == Phase.WAITING && r.reported))) {
        appear(e, Reason.RETURNED);
      } else {
        return;
      }
      start = pump();
    }
    run(start);
  }

  private static boolean inService(Endpoint e) {
    return e.state() == Endpoint.State.READY || e.state() == Endpoint.State.SERVING;
  }

  /** Called with the lock held. */
  private void appear(Endpoint e, Reason reason) {
    Replica r = owed.get(e.authority());
    Instant now = ctx.clock().instant();
    if (r == null) {
      r = new Replica(e, reason, now);
      owed.put(e.authority(), r);
      settle(r);
      return;
    }
    r.endpoint = e;
    switch (r.phase) {
      case SETTLING -> {
        // Still moving: wait until it has been stable for the settle delay (flapping coalesces).
        if (reason != Reason.MISSED) {
          settle(r);
        }
      }
      case QUEUED -> { }
      case RUNNING -> {
        r.again = true;
        r.left = false;
      }
      case WAITING, FAILED -> {
        // A missed delivery while it is known to be away changes nothing; a sign of life (joined,
        // restarted, acknowledged) ends the wait. After a reported failure a new round begins.
        if (reason == Reason.MISSED && r.phase == Phase.WAITING) {
          return;
        }
        if (r.reported || r.phase == Phase.FAILED) {
          r.attempts = 0;
          r.reported = false;
          r.noticedAt = now;
          r.reason = reason;
        }
        settle(r);
      }
      default -> throw new IllegalStateException(String.valueOf(r.phase));
    }
  }

  private void settle(Replica r) {
    cancelTimer(r);
    r.phase = Phase.SETTLING;
    r.left = false;
    Replica target = r;
    r.timer = ctx.schedule(policy.settle(), () -> due(target, Phase.SETTLING));
  }

  /** A settle or retry timer fired: queue the replica, start what the limit allows. */
  private void due(Replica r, Phase expected) {
    List<Replica> start;
    synchronized (this) {
      if (closed || r.phase != expected || owed.get(r.endpoint.authority()) != r) {
        return;
      }
      r.timer = null;
      r.phase = Phase.QUEUED;
      queue.addLast(r);
      start = pump();
    }
    run(start);
  }

  /** Called with the lock held: takes what may start now. */
  private List<Replica> pump() {
    List<Replica> start = new ArrayList<>();
    while (running < policy.concurrency() && !queue.isEmpty()) {
      Replica r = queue.pollFirst();
      r.phase = Phase.RUNNING;
      r.attempts++;
      r.again = false;
      running++;
      start.add(r);
    }
    return start;
  }

  private void run(List<Replica> start) {
    for (Replica r : start) {
      Endpoint endpoint;
      synchronized (this) {
        endpoint = r.endpoint;
      }
      CatchUpAttempt attempt = new CatchUpAttempt(stage, policy, ctx, endpoint);
      CompletableFuture<CatchUpAttempt.Progress> f;
      try {
        f = attempt.run();
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      if (!f.isDone()) {
        synchronized (this) {
          r.running = f;
        }
      }
      f.whenComplete((p, error) -> finished(r, endpoint, attempt.progress, error));
    }
  }

  private void finished(Replica r, Endpoint endpoint, CatchUpAttempt.Progress p, Throwable error) {
    CatchUpReport report = null;
    List<Replica> start;
    synchronized (this) {
      running--;
      r.running = null;
      if (closed) {
        return;
      }
      boolean current = owed.get(r.endpoint.authority()) == r;
      if (error == null) {
        report = report(r, endpoint, p, Outcome.CAUGHT_UP, null);
        if (current && r.again && !r.left) {
          r.again = false;
          r.attempts = 0;
          r.noticedAt = ctx.clock().instant();
          settle(r);
        } else if (current) {
          owed.remove(r.endpoint.authority());
        }
      } else {
        boolean retryable = CatchUpAttempt.isRetryable(error);
        if (!current || r.left) {
          if (current) {
            owed.remove(r.endpoint.authority());
          }
          CatchUpService.LOG.debug("catch-up {} {}: left the tier during its catch-up",
              stage.name(), endpoint.authority());
        } else if (r.again) {
          settle(r);
        } else if (!retryable || !retryWithBackoff(r)) {
          if (!r.reported) {
            report = report(r, endpoint, p, Outcome.FAILED, error);
            r.reported = true;
          }
          if (retryable && CatchUpAttempt.keepTrying(error)) {
            // Still discovered: keep trying, quietly, so that it is caught up when it returns.
            retryAfter(r, policy.retry().maxDelay());
          } else {
            r.phase = Phase.FAILED;
          }
        }
      }
      start = pump();
    }
    run(start);
    if (report != null) {
      if (report.isCaughtUp()) {
        CatchUpService.LOG.info("{}", report.summary());
      } else {
        CatchUpService.LOG.warn("{}", report.summary());
      }
      ctx.report(report);
    }
  }

  /** Called with the lock held: schedules the next attempt unless the policy's are used up. */
  private boolean retryWithBackoff(Replica r) {
    Retry.Decision next = retry.next(r.attempts, null, NO_DEADLINE);
    if (next.again()) {
      retryAfter(r, next.delay());
    }
    return next.again();
  }

  private void retryAfter(Replica r, Duration delay) {
    r.phase = Phase.WAITING;
    Replica target = r;
    r.timer = ctx.schedule(delay, () -> due(target, Phase.WAITING));
  }

  private CatchUpReport report(Replica r, Endpoint endpoint, CatchUpAttempt.Progress p, Outcome outcome,
      Throwable error) {
    History h = p.history;
    return new CatchUpReport(stage.name(), endpoint, r.reason, outcome, p.since, p.freshSince,
        h == null ? 0 : h.paths().size(), h == null ? 0 : h.tags().size(), h == null ? 0 : h.entries(),
        h == null || h.complete(), r.attempts, Duration.between(r.noticedAt, ctx.clock().instant()),
        error == null ? null : CatchUpAttempt.kind(error), error == null ? null : CatchUpAttempt.describe(error));
  }

  /** Called with the lock held: a replica left the membership; what it owed is dropped. */
  private void left(String authority) {
    Replica r = owed.get(authority);
    if (r == null) {
      return;
    }
    if (r.phase == Phase.RUNNING) {
      r.left = true;
      return;
    }
    cancelTimer(r);
    queue.remove(r);
    owed.remove(authority);
  }

  private static void cancelTimer(Replica r) {
    if (r.timer != null) {
      r.timer.cancel(false);
      r.timer = null;
    }
  }

  @Override
  public void close() {
    List<CompletableFuture<?>> inFlight = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      for (Replica r : owed.values()) {
        cancelTimer(r);
        if (r.running != null) {
          inFlight.add(r.running);
        }
      }
      owed.clear();
      queue.clear();
    }
    watcher.close();
    inFlight.forEach(f -> f.cancel(true));
  }
}
