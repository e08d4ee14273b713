package dev.fanout;

import dev.fanout.spi.Ack;
import dev.fanout.spi.Notifier;
import dev.fanout.spi.Progress;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Journal progress on the engine's side: which targets and purgers already acknowledged a journaled
 * delivery (so that its redelivery skips them), and what a report adds to that.
 *
 * <p>Skipping happens at the plug-ins, not in the engine: when an invalidator has a journal, its
 * stages run with notifiers and purgers wrapped by {@link #wrap}, which answer at once for a target
 * or purger named in the progress registered for the delivery's id, and call through otherwise. A
 * run without registered progress (every {@code invalidate()} call) is untouched. In a {@link
 * Progress}, a fan-out stage names its targets by authority ({@code host:port}) and a purge stage
 * names its purgers by {@link Purger#name()}.
 */
final class JournalProgress {
  /** The detail of the acknowledgement a skipped target is reported with. */
  static final String SKIPPED_DETAIL = "acknowledged in an earlier attempt";

  private final Map<String, Progress> byDelivery = new ConcurrentHashMap<>();

  /** Returns the stages with their plug-ins wrapped. */
  List<Stage> wrap(List<Stage> stages) {
    List<Stage> wrapped = new ArrayList<>(stages.size());
    for (Stage s : stages) {
      if (s instanceof Stage.Fanout) {
        Stage.Fanout f = (Stage.Fanout) s;
        wrapped.add(f.withNotifier(notifier(f.name(), f.notifier())));
      } else {
        Stage.Purge p = (Stage.Purge) s;
        List<Purger> purgers = new ArrayList<>();
        for (Purger purger : p.purgers()) {
          purgers.add(purger(p.name(), purger));
        }
        wrapped.add(p.withPurgers(purgers));
      }
    }
    return wrapped;
  }

  /** Registers what a delivery may skip, until {@link #forget}. */
  void register(String deliveryId, Progress done) {
    if (!done.isEmpty()) {
      byDelivery.put(deliveryId, done);
    }
  }

  void forget(String deliveryId) {
    byDelivery.remove(deliveryId);
  }

  private Notifier notifier(String stage, Notifier inner) {
    return new Notifier() {
      @Override
      public CompletionStage<Ack> deliver(Endpoint endpoint, Invalidation invalidation) {
        Progress done = byDelivery.get(invalidation.id());
        if (done != null && done.isAcked(stage, endpoint.authority())) {
          return CompletableFuture.completedFuture(new Ack(200, SKIPPED_DETAIL));
        }
        return inner.deliver(endpoint, invalidation);
      }

      @Override
      public String toString() {
        return inner.toString();
      }
    };
  }

  private Purger purger(String stage, Purger inner) {
    String name = Execution.safeName(inner);
    return new Purger() {
      @Override
      public CompletionStage<PurgeResult> purge(Invalidation invalidation) {
        Progress done = byDelivery.get(invalidation.id());
        if (done != null && done.isAcked(stage, name)) {
          return CompletableFuture.completedFuture(PurgeResult.succeeded(name, 0, List.of()));
        }
        return inner.purge(invalidation);
      }

      @Override
      public String name() {
        return name;
      }

      @Override
      public String toString() {
        return inner.toString();
      }
    };
  }

  /** What a report adds: acknowledged targets, succeeded purgers, succeeded stages. */
  static Progress of(InvalidationReport report) {
    Map<String, Set<String>> acked = new LinkedHashMap<>();
    Set<String> done = new LinkedHashSet<>();
    for (StageReport stage : report.stages()) {
      Set<String> names = new LinkedHashSet<>();
      for (TargetResult t : stage.targets()) {
        if (t.outcome() == TargetResult.Outcome.ACKED) {
          names.add(t.endpoint().authority());
        }
      }
      for (PurgeResult p : stage.purges()) {
        if (p.isSuccess()) {
          names.add(p.target());
        }
      }
      acked.put(stage.name(), names);
      if (stage.status() == StageReport.Status.SUCCEEDED) {
        done.add(stage.name());
      }
    }
    return new Progress(acked, done);
  }

  /** What both progresses record: what a delivery carrying both entries may skip. */
  static Progress intersect(Progress a, Progress b) {
    if (a.equals(b)) {
      return a;
    }
    Map<String, Set<String>> acked = new LinkedHashMap<>();
    a.acked().forEach((stage, names) -> {
      Set<String> both = new LinkedHashSet<>(names);
      both.retainAll(b.acked().getOrDefault(stage, Set.of()));
      acked.put(stage, both);
    });
    Set<String> done = new LinkedHashSet<>(a.stagesDone());
    done.retainAll(b.stagesDone());
    return new Progress(acked, done);
  }

  /**
   * Whether sending again cannot help: something failed and every failure was a refusal of the
   * content (HTTP 4xx other than 401, 403, 408, 429), by a target or a purger.
   */
  static boolean refusedForGood(InvalidationReport report) {
    boolean refused = false;
    for (StageReport stage : report.stages()) {
      if (stage.status() == StageReport.Status.SKIPPED) {
        continue;
      }
      if (stage.status() == StageReport.Status.FAILED && stage.targets().isEmpty()
          && stage.purges().isEmpty()) {
        return false; // discovery failed or found nobody: the tier may be back later
      }
      for (TargetResult t : stage.targets()) {
        if (t.outcome() == TargetResult.Outcome.FAILED) {
          if (t.errorKind() != ErrorKind.REJECTED) {
            return false;
          }
          refused = true;
        }
      }
      for (PurgeResult p : stage.purges()) {
        if (!p.isSuccess() && p.status() != PurgeResult.Status.SKIPPED) {
          if (p.errorKind() != ErrorKind.REJECTED) {
            return false;
          }
          refused = true;
        }
      }
    }
    return refused;
  }
}
