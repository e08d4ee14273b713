package dev.fanout.spring;

import dev.fanout.Endpoint;
import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.StageReport;
import dev.fanout.TargetResult;
import dev.fanout.spi.PurgeResult;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls several listeners in order; one listener's exception neither reaches the engine nor keeps
 * the later listeners from being called (the invalidator takes one listener).
 */
final class CompositeListener implements FanoutListener {
  private static final Logger LOG = LoggerFactory.getLogger(CompositeListener.class);
  private final List<FanoutListener> listeners;

  private CompositeListener(List<FanoutListener> listeners) {
    this.listeners = listeners;
  }

  static FanoutListener of(List<FanoutListener> listeners) {
    List<FanoutListener> copy = List.copyOf(listeners);
    return copy.size() == 1 ? copy.get(0) : new CompositeListener(copy);
  }

  private void each(Consumer<FanoutListener> call) {
    for (FanoutListener l : listeners) {
      try {
        call.accept(l);
      } catch (RuntimeException e) {
        LOG.debug("listener {} failed", l.getClass().getName(), e);
      }
    }
  }

  @Override
  public void onInvalidationStart(Invalidation invalidation) {
    each(l -> l.onInvalidationStart(invalidation));
  }

  @Override
  public void onInvalidationEnd(InvalidationReport report) {
    each(l -> l.onInvalidationEnd(report));
  }

  @Override
  public void onStageStart(Invalidation invalidation, String stage) {
    each(l -> l.onStageStart(invalidation, stage));
  }

  @Override
  public void onStageEnd(Invalidation invalidation, StageReport report) {
    each(l -> l.onStageEnd(invalidation, report));
  }

  @Override
  public void onDiscovery(Invalidation invalidation, String stage, List<Endpoint> endpoints, boolean recheck) {
    each(l -> l.onDiscovery(invalidation, stage, endpoints, recheck));
  }

  @Override
  public void onAttemptStart(Invalidation invalidation, String stage, Endpoint endpoint, int attempt) {
    each(l -> l.onAttemptStart(invalidation, stage, endpoint, attempt));
  }

  @Override
  public void onAttemptEnd(Invalidation invalidation, String stage, Endpoint endpoint, int attempt,
      Throwable failure, Duration latency) {
    each(l -> l.onAttemptEnd(invalidation, stage, endpoint, attempt, failure, latency));
  }

  @Override
  public void onRetryScheduled(Invalidation invalidation, String stage, Endpoint endpoint,
      int nextAttempt, Duration delay) {
    each(l -> l.onRetryScheduled(invalidation, stage, endpoint, nextAttempt, delay));
  }

  @Override
  public void onTargetEnd(Invalidation invalidation, String stage, TargetResult result) {
    each(l -> l.onTargetEnd(invalidation, stage, result));
  }

  @Override
  public void onPurgeStart(Invalidation invalidation, String stage, String purger) {
    each(l -> l.onPurgeStart(invalidation, stage, purger));
  }

  @Override
  public void onPurgeEnd(Invalidation invalidation, String stage, PurgeResult result) {
    each(l -> l.onPurgeEnd(invalidation, stage, result));
  }

  @Override
  public void onFlush(Invalidation merged, int submissions, int superseded) {
    each(l -> l.onFlush(merged, submissions, superseded));
  }

  @Override
  public void onCatchUp(dev.fanout.catchup.CatchUpReport report) {
    each(l -> l.onCatchUp(report));
  }
}
