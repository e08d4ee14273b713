package dev.fanout.spring.actuate;

import dev.fanout.Endpoint;
import dev.fanout.Invalidator;
import dev.fanout.JournalException;
import dev.fanout.Stage;
import dev.fanout.spi.Backlog;
import dev.fanout.spi.Journal;
import dev.fanout.spring.FanoutProperties;
import dev.fanout.spring.RecentReports;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * The {@code fanout} health indicator. It is DOWN when
 *
 * <ul>
 *   <li>a fan-out stage's discovery fails, takes longer than {@code
 *       fanout.health.discovery-timeout}, or finds fewer eligible replicas than the stage's {@code
 *       min-targets} (an invalidation now would fail that stage);
 *   <li>the most recent invalidation was incomplete (some replica or CDN call failed; it stays DOWN
 *       until an invalidation completes again);
 *   <li>the journal, when there is one, cannot be read, holds more unfinished entries than {@code
 *       fanout.health.max-journal-backlog}, or its oldest unfinished entry is older than {@code
 *       fanout.health.max-journal-age}.
 * </ul>
 *
 * <p>Its details name each stage's replica count, the latest report's summary line and the
 * journal's backlog; never a secret. Discovery answers from its cache where it has one (DNS within
 * its TTL, a Kubernetes watch's view), so a health check costs no more than an invalidation's first
 * lookup. The problems it reports are the cache tier's, not this application's: keep it out of the
 * liveness group, or Kubernetes restarts the backend for a replica's fault.
 *
 * @since 0.1
 */
public final class FanoutHealthIndicator implements HealthIndicator {
  private final Invalidator invalidator;
  private final RecentReports reports;
  private final Journal journal;
  private final FanoutProperties.Health limits;
  private final Clock clock;

  /**
   * Creates the indicator.
   *
   * @param invalidator the invalidator whose stages are checked
   * @param reports the recent reports
   * @param journal the journal, or null when there is none
   * @param limits the thresholds
   * @param clock the clock for the journal's oldest entry age
   */
  public FanoutHealthIndicator(Invalidator invalidator, RecentReports reports, Journal journal,
      FanoutProperties.Health limits, Clock clock) {
    this.invalidator = Objects.requireNonNull(invalidator, "invalidator");
    this.reports = Objects.requireNonNull(reports, "reports");
    this.journal = journal;
    this.limits = Objects.requireNonNull(limits, "limits");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Health health() {
    boolean down = false;
    Map<String, Object> stages = new LinkedHashMap<>();
    for (Stage stage : invalidator.stages()) {
      if (stage instanceof Stage.Fanout f) {
        Map<String, Object> d = discovery(f);
        down |= !"ok".equals(d.get("status"));
        stages.put(f.name(), d);
      } else if (stage instanceof Stage.Purge p) {
        stages.put(p.name(), Map.of("purgers", p.purgers().size()));
      }
    }
    Health.Builder h = Health.up().withDetail("stages", stages);
    var latest = reports.latest();
    if (latest.isPresent()) {
      var r = latest.get();
      long incomplete = reports.list().stream().filter(x -> !x.report().isComplete()).count();
      Map<String, Object> last = new LinkedHashMap<>();
      last.put("id", r.report().id());
      last.put("complete", r.report().isComplete());
      last.put("finishedAt", r.finishedAt().toString());
      last.put("summary", r.report().summary());
      h.withDetail("lastInvalidation", last);
      h.withDetail("recent", Map.of("kept", reports.list().size(), "incomplete", incomplete));
      down |= !r.report().isComplete();
    }
    if (journal != null) {
      Map<String, Object> j = new LinkedHashMap<>();
      try {
        Backlog b = journal.backlog();
        Duration age = b.oldestAge(clock.instant());
        j.put("pending", b.pending());
        j.put("inFlight", b.inFlight());
        j.put("oldestAge", age.toString());
        if (b.unfinished() > limits.maxJournalBacklog()) {
          down = true;
          j.put("problem", "backlog above " + limits.maxJournalBacklog());
        } else if (age.compareTo(limits.maxJournalAge()) > 0) {
          down = true;
          j.put("problem", "oldest entry older than " + limits.maxJournalAge());
        }
      } catch (JournalException e) {
        down = true;
        j.put("problem", "cannot be read: " + e.getMessage());
      }
      h.withDetail("journal", j);
    }
    return down ? h.down().build() : h.build();
  }

  private Map<String, Object> discovery(Stage.Fanout f) {
    Map<String, Object> d = new LinkedHashMap<>();
    try {
      List<Endpoint> found = f.discovery().discover().toCompletableFuture()
          .get(limits.discoveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
      long eligible = found.stream().filter(e -> f.states().contains(e.state()))
          .map(Endpoint::authority).distinct().count();
      d.put("replicas", eligible);
      d.put("minTargets", f.minTargets());
      d.put("status", eligible >= f.minTargets() ? "ok" : "too few replicas");
    } catch (TimeoutException e) {
      d.put("status", "discovery did not answer within " + limits.discoveryTimeout());
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      d.put("status", "discovery failed: " + cause.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      d.put("status", "interrupted");
    } catch (RuntimeException e) {
      d.put("status", "discovery failed: " + e.getMessage());
    }
    return d;
  }
}
