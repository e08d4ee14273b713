package dev.fanout.micrometer;

import dev.fanout.ErrorKind;
import dev.fanout.InvalidationReport;
import dev.fanout.StageReport;
import dev.fanout.TargetResult;
import dev.fanout.spi.PurgeResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meters recorded directly on a {@link MeterRegistry}: counts per attempt and per target,
 * which an observation cannot carry (an Observation event takes its tags from its observation, so
 * it cannot say which error kind one attempt had), and gauges, which have no Observation
 * equivalent. Counters are cached per stage, so an attempt costs an array read and an increment.
 */
final class FanoutMeters {
  private static final Logger LOG = LoggerFactory.getLogger(FanoutObservability.class);

  static final String ATTEMPTS = "fanout.attempts";
  static final String RETRIES = "fanout.retries";
  static final String TARGETS = "fanout.targets";
  static final String DISCOVERY = "fanout.discovery.endpoints";
  static final String PURGE_REQUESTS = "fanout.purge.requests";
  static final String FLUSH_SUBMISSIONS = "fanout.coalescer.submissions";
  static final String SUPERSEDED = "fanout.coalescer.superseded";
  static final String PENDING = "fanout.coalescer.pending";
  static final String JOURNAL_BACKLOG = "fanout.journal.backlog";
  static final String JOURNAL_OLDEST = "fanout.journal.oldest.pending";
  static final String CATCH_UPS = "fanout.catchups";

  private static final ErrorKind[] KINDS = ErrorKind.values();
  private static final TargetResult.Outcome[] OUTCOMES = TargetResult.Outcome.values();

  private final MeterRegistry registry;
  private final Clock clock;
  private final Map<String, StageMeters> stages = new ConcurrentHashMap<>();
  private final List<Meter> bound = new CopyOnWriteArrayList<>();
  private final DistributionSummary flushSubmissions;
  private final Counter superseded;

  FanoutMeters(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
    this.flushSubmissions = DistributionSummary.builder(FLUSH_SUBMISSIONS)
        .description("Submissions merged into one coalesced flush (count = flushes)")
        .baseUnit("submissions").register(registry);
    this.superseded = Counter.builder(SUPERSEDED)
        .description("Submissions not sent because a newer version of their entity was submitted")
        .baseUnit("submissions").register(registry);
  }

  /** The meters of one stage; the stage name is already bounded. */
  private final class StageMeters {
    final String stage;
    /** Index 0: acked; index 1 + ordinal: failed with that kind. */
    final AtomicReferenceArray<Counter> attempts = new AtomicReferenceArray<>(KINDS.length + 1);
    /** Index outcome * (KINDS + 1) + (kind == null ? 0 : 1 + ordinal). */
    final AtomicReferenceArray<Counter> targets =
        new AtomicReferenceArray<>(OUTCOMES.length * (KINDS.length + 1));
    final Counter retries;
    final DistributionSummary discovered;
    final DistributionSummary rediscovered;

    StageMeters(String stage) {
      this.stage = stage;
      this.retries = Counter.builder(RETRIES).description("Delivery retries scheduled")
          .tag("stage", stage).register(registry);
      this.discovered = discovery(stage, false);
      this.rediscovered = discovery(stage, true);
    }

    private DistributionSummary discovery(String name, boolean recheck) {
      return DistributionSummary.builder(DISCOVERY)
          .description("Endpoints discovery returned (recheck: the membership re-check)")
          .baseUnit("endpoints").tag("stage", name).tag("recheck", Boolean.toString(recheck))
          .register(registry);
    }

    Counter attempt(ErrorKind kind) {
      int i = kind == null ? 0 : 1 + kind.ordinal();
      Counter c = attempts.get(i);
      if (c == null) {
        c = Counter.builder(ATTEMPTS).description("Delivery attempts to replicas")
            .tag("stage", stage).tag("outcome", kind == null ? "acked" : "failed")
            .tag("error.kind", Names.errorKind(kind)).register(registry);
        attempts.set(i, c);
      }
      return c;
    }

    Counter target(TargetResult.Outcome outcome, ErrorKind kind) {
      int i = outcome.ordinal() * (KINDS.length + 1) + (kind == null ? 0 : 1 + kind.ordinal());
      Counter c = targets.get(i);
      if (c == null) {
        c = Counter.builder(TARGETS).description("Replicas by final outcome, per invalidation")
            .tag("stage", stage).tag("outcome", Names.lower(outcome))
            .tag("error.kind", Names.errorKind(kind)).register(registry);
        targets.set(i, c);
      }
      return c;
    }
  }

  private StageMeters stage(String boundedName) {
    StageMeters m = stages.get(boundedName);
    return m != null ? m : stages.computeIfAbsent(boundedName, StageMeters::new);
  }

  void attempt(String stage, ErrorKind failedWith) {
    stage(stage).attempt(failedWith).increment();
  }

  void retry(String stage) {
    stage(stage).retries.increment();
  }

  void discovery(String stage, int endpoints, boolean recheck) {
    StageMeters m = stage(stage);
    (recheck ? m.rediscovered : m.discovered).record(endpoints);
  }

  void flush(int submissions, int supersededSince) {
    flushSubmissions.record(submissions);
    if (supersededSince > 0) {
      superseded.increment(supersededSince);
    }
  }

  /** Counts each target and purge once, from the final report (which has the excused ones). */
  void report(InvalidationReport report, Names stageNames, Names purgerNames) {
    for (StageReport s : report.stages()) {
      String stage = stageNames.bounded(s.name());
      if (s.kind() == StageReport.Kind.FANOUT && !s.targets().isEmpty()) {
        int[] counts = new int[OUTCOMES.length * (KINDS.length + 1)];
        for (TargetResult t : s.targets()) {
          ErrorKind kind = t.outcome() == TargetResult.Outcome.ACKED ? null : t.errorKind();
          counts[t.outcome().ordinal() * (KINDS.length + 1) + (kind == null ? 0 : 1 + kind.ordinal())]++;
        }
        StageMeters m = stage(stage);
        for (int i = 0; i < counts.length; i++) {
          if (counts[i] > 0) {
            int k = i % (KINDS.length + 1);
            m.target(OUTCOMES[i / (KINDS.length + 1)], k == 0 ? null : KINDS[k - 1]).increment(counts[i]);
          }
        }
      }
      for (PurgeResult p : s.purges()) {
        if (p.status() != PurgeResult.Status.SKIPPED && p.requests() > 0) {
          Counter.builder(PURGE_REQUESTS).description("API requests made by purgers (billable calls)")
              .baseUnit("requests").tag("stage", stage).tag("purger", purgerNames.bounded(p.target()))
              .register(registry).increment(p.requests());
        }
      }
    }
  }

  void catchUp(String stage, TargetResult result) {
    Timer.builder(CATCH_UPS).description("Catch-up deliveries to replicas that joined or came back")
        .tag("stage", stage).tag("outcome", Names.lower(result.outcome()))
        .tag("error.kind", Names.errorKind(
            result.outcome() == TargetResult.Outcome.ACKED ? null : result.errorKind()))
        .register(registry).record(result.latency());
  }

  void bindPending(IntSupplier pending) {
    unbind(PENDING);
    bind(Gauge.builder(PENDING, () -> read(PENDING, () -> pending.getAsInt()))
        .description("Paths and tags waiting in the coalescer for the next flush")
        .baseUnit("items").strongReference(true).register(registry));
  }

  void bindJournal(LongSupplier backlog, Supplier<Optional<Instant>> oldestPending) {
    unbind(JOURNAL_BACKLOG, JOURNAL_OLDEST);
    bind(Gauge.builder(JOURNAL_BACKLOG, () -> read(JOURNAL_BACKLOG, () -> backlog.getAsLong()))
        .description("Journal entries not yet delivered")
        .baseUnit("invalidations").strongReference(true).register(registry));
    bind(TimeGauge.builder(JOURNAL_OLDEST, () -> read(JOURNAL_OLDEST, () -> age(oldestPending.get())),
            TimeUnit.MILLISECONDS)
        .description("Age of the oldest journal entry not yet delivered (0 when none)")
        .strongReference(true).register(registry));
  }

  private long age(Optional<Instant> oldest) {
    if (oldest == null || oldest.isEmpty()) {
      return 0;
    }
    Duration d = Duration.between(oldest.get(), clock.instant());
    return d.isNegative() ? 0 : d.toMillis();
  }

  /** A gauge must never throw into a scrape: a failing supplier reads as NaN. */
  private static Number read(String name, Supplier<Number> value) {
    try {
      Number n = value.get();
      return n == null ? Double.NaN : n;
    } catch (RuntimeException e) {
      LOG.debug("gauge {} could not be read", name, e);
      return Double.NaN;
    }
  }

  private void bind(Meter meter) {
    bound.add(meter);
  }

  /** Binding a gauge again replaces the earlier binding (a registry keeps the first otherwise). */
  private void unbind(String... names) {
    for (Meter m : bound) {
      for (String n : names) {
        if (m.getId().getName().equals(n)) {
          registry.remove(m);
          bound.remove(m);
        }
      }
    }
  }

  void close() {
    for (Meter m : bound) {
      registry.remove(m);
    }
    bound.clear();
  }
}
