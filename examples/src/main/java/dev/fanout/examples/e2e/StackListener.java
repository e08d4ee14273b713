package dev.fanout.examples.e2e;

import dev.fanout.Endpoint;
import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.StageReport;
import dev.fanout.TargetResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Watches the engine for the checks, and plays the outside world at exact points of a run:
 *
 * <ul>
 *   <li>records when the engine saw each replica's acknowledgement ({@link System#nanoTime()}),
 *       to compare with when the CDN stand-ins received their purge;
 *   <li>the <em>reader</em>: after each stage, before the next one starts, it reads the page
 *       through every Varnish replica, as a visitor arriving at that moment would. This is what
 *       can re-cache a stale page in a tier purged too early; doing it between stages makes the
 *       race happen on every run instead of by chance;
 *   <li>the <em>crash</em>: once armed, it kills a replica right after the Next.js stage discovered
 *       it and before anything is delivered to it.
 * </ul>
 */
final class StackListener implements FanoutListener {
  /** What the reader saw through one Varnish replica after one stage. */
  record Visit(String afterStage, String varnish, Pages.Page page) {}

  private final Pages pages;
  private final String path;
  private final Map<String, Long> lastAck = new ConcurrentHashMap<>();
  private final Map<String, Long> readerNanos = new ConcurrentHashMap<>();
  private final Map<String, List<Visit>> visits = new ConcurrentHashMap<>();
  private final AtomicReference<Runnable> crash = new AtomicReference<>();

  StackListener(Pages pages, String path) {
    this.pages = pages;
    this.path = path;
  }

  /** Runs {@code action} once, right after the next discovery of the stage {@code nextjs}. */
  void crashAfterNextDiscovery(Runnable action) {
    crash.set(action);
  }

  /** When the engine received the last acknowledgement of this invalidation, any tier. */
  long lastAckNanos(Invalidation inv) {
    return lastAck.getOrDefault(inv.id(), Long.MIN_VALUE);
  }

  /** Time the reader held the engine between stages during this invalidation. */
  long readerNanos(Invalidation inv) {
    return readerNanos.getOrDefault(inv.id(), 0L);
  }

  List<Visit> visits(Invalidation inv) {
    return visits.getOrDefault(inv.id(), List.of());
  }

  @Override
  public void onDiscovery(Invalidation invalidation, String stage, List<Endpoint> endpoints,
      boolean recheck) {
    if (!recheck && stage.equals(EndToEnd.NEXTJS)) {
      Runnable r = crash.getAndSet(null);
      if (r != null) {
        r.run();
      }
    }
  }

  @Override
  public void onTargetEnd(Invalidation invalidation, String stage, TargetResult result) {
    if (result.outcome() == TargetResult.Outcome.ACKED) {
      lastAck.merge(invalidation.id(), System.nanoTime(), Math::max);
    }
  }

  @Override
  public void onStageEnd(Invalidation invalidation, StageReport report) {
    if (report.status() == StageReport.Status.SKIPPED) {
      return;
    }
    long start = System.nanoTime();
    List<Visit> seen = new ArrayList<>();
    for (int i = 0; i < Stack.VARNISH_IPS.size(); i++) {
      seen.add(new Visit(report.name(), "varnish-" + i,
          pages.get(Stack.VARNISH_IPS.get(i), Stack.VARNISH_PORT, path)));
    }
    visits.computeIfAbsent(invalidation.id(), k -> new ArrayList<>()).addAll(seen);
    readerNanos.merge(invalidation.id(), System.nanoTime() - start, Long::sum);
  }
}
