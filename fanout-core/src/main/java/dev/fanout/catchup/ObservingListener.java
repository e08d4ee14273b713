package dev.fanout.catchup;

import dev.fanout.Endpoint;
import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.StageReport;
import dev.fanout.TargetResult;
import dev.fanout.spi.PurgeResult;
import java.time.Duration;
import java.util.List;

/**
 * The engine's listener when a stage catches up: the catch-up learns what ran and which replicas
 * missed it, then the invalidator's own listener gets the event. The catch-up's part never throws,
 * so a listener that throws cannot keep it from learning.
 */
final class ObservingListener implements FanoutListener {
  private final FanoutListener user;
  private final CatchUpService service;

  ObservingListener(FanoutListener user, CatchUpService service) {
    this.user = user;
    this.service = service;
  }

  @Override
  public void onInvalidationStart(Invalidation invalidation) {
    service.ran(invalidation);
    user.onInvalidationStart(invalidation);
  }

  @Override
  public void onTargetEnd(Invalidation invalidation, String stage, TargetResult result) {
    service.delivered(stage, result);
    user.onTargetEnd(invalidation, stage, result);
  }

  @Override
  public void onInvalidationEnd(InvalidationReport report) {
    user.onInvalidationEnd(report);
  }

  @Override
  public void onStageStart(Invalidation invalidation, String stage) {
    user.onStageStart(invalidation, stage);
  }

  @Override
  public void onStageEnd(Invalidation invalidation, StageReport report) {
    user.onStageEnd(invalidation, report);
  }

  @Override
  public void onDiscovery(Invalidation invalidation, String stage, List<Endpoint> endpoints, boolean recheck) {
    user.onDiscovery(invalidation, stage, endpoints, recheck);
  }

  @Override
  public void onAttemptStart(Invalidation invalidation, String stage, Endpoint endpoint, int attempt) {
    user.onAttemptStart(invalidation, stage, endpoint, attempt);
  }

  @Override
  public void onAttemptEnd(Invalidation invalidation, String stage, Endpoint endpoint, int attempt,
      Throwable failure, Duration latency) {
    user.onAttemptEnd(invalidation, stage, endpoint, attempt, failure, latency);
  }

  @Override
  public void onRetryScheduled(Invalidation invalidation, String stage, Endpoint endpoint, int nextAttempt,
      Duration delay) {
    user.onRetryScheduled(invalidation, stage, endpoint, nextAttempt, delay);
  }

  @Override
  public void onPurgeStart(Invalidation invalidation, String stage, String purger) {
    user.onPurgeStart(invalidation, stage, purger);
  }

  @Override
  public void onPurgeEnd(Invalidation invalidation, String stage, PurgeResult result) {
    user.onPurgeEnd(invalidation, stage, result);
  }

  @Override
  public void onFlush(Invalidation merged, int submissions, int superseded) {
    user.onFlush(merged, submissions, superseded);
  }

  @Override
  public void onCatchUp(CatchUpReport report) {
    user.onCatchUp(report);
  }
}
