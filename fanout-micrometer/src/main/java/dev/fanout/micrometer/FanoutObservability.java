// Over 500 lines for one job: the listener that maps every engine event to an observation, counter or gauge, with its Builder and documentation; names are in Names, meters in FanoutMeters, conventions in their own classes.
package dev.fanout.micrometer;

import dev.fanout.Endpoint;
import dev.fanout.ErrorKind;
import dev.fanout.FanoutException;
import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.PurgeException;
import dev.fanout.StageReport;
import dev.fanout.TargetResult;
import dev.fanout.http.HttpNotifier;
import dev.fanout.spi.PurgeResult;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records every invalidation in Micrometer: a {@link FanoutListener} that turns the engine's
 * events into observations (timers and spans), counters and gauges, and computes the W3C trace
 * context headers that {@link HttpNotifier} sends to replicas.
 *
 * <pre>{@code
 * FanoutObservability observability = FanoutObservability.builder()
 *     .observationRegistry(observationRegistry)   // timers and spans, through its handlers
 *     .meterRegistry(meterRegistry)               // counters per attempt and target, gauges
 *     .build();
 * HttpNotifier notifier = observability.propagateTraceContext(
 *     HttpNotifier.builder().path("/api/revalidate").signingSecret(secret)).build();
 * Invalidator invalidator = Invalidator.builder().listener(observability)
 *     .stage(Stage.fanout("web", discovery, notifier)).build();
 * }</pre>
 *
 * <h2>What is recorded</h2>
 *
 * <ul>
 *   <li>Observations ({@link FanoutObservationDocumentation}): {@code fanout.invalidation} per
 *       invalidation, with a child {@code fanout.stage} per stage (skipped stages included, with
 *       no duration) and a child {@code fanout.purge} per purger call. A meter handler on the
 *       registry turns them into timers; a tracing handler into spans.
 *   <li>Meters, when a {@link MeterRegistry} is given: {@code fanout.attempts}, {@code
 *       fanout.retries}, {@code fanout.targets}, {@code fanout.discovery.endpoints}, {@code
 *       fanout.purge.requests}, {@code fanout.coalescer.submissions}, {@code
 *       fanout.coalescer.superseded}, and the gauges bound with {@link #bindPending(IntSupplier)}
 *       and {@link #bindJournal(LongSupplier, Supplier)}.
 * </ul>
 *
 * <p>Per-attempt detail goes to counters and to the stage span's attributes (attempts, target
 * counts, the report's summary line), not to one span per attempt: at 2,000 replicas that would be
 * 2,000 spans (or span events) per invalidation, more than tracing backends keep (OpenTelemetry
 * keeps 128 events per span by default), while the report already names every failed replica.
 *
 * <h2>Parents</h2>
 *
 * <p>An {@code invalidate()} call starts its observation on the calling thread, so the observation
 * current there (an HTTP request, a {@code @Transactional} service method) is its parent. A
 * coalesced flush merges submissions from many callers and starts on the engine's timer thread: it
 * is a root, whatever happens to be current on the thread that triggered it.
 *
 * <h2>Cost and safety</h2>
 *
 * <p>The listener methods and the header functions return quickly and never throw: a failure
 * inside Micrometer, a handler or a convention is caught and logged at DEBUG. Per attempt the listener does one map lookup and one counter
 * increment. State is kept per running invalidation and dropped when it ends; at most {@value
 * #MAX_TRACKED} invalidations are observed at once (later ones still count in the meters). No tag
 * value is a path, a tag, an id or an address.
 *
 * <p>Thread-safe; one instance may serve several invalidators if their stage names differ.
 *
 * @since 0.1
 */
public final class FanoutObservability implements FanoutListener, AutoCloseable {
  /** At most this many distinct stage names, and purger names, become tag values; then {@code other}. */
  public static final int MAX_NAMES = 64;

  /** At most this many invalidations are observed at once. */
  public static final int MAX_TRACKED = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(FanoutObservability.class);
  private static final InvalidationObservationConvention DEFAULT_INVALIDATION =
      new DefaultInvalidationObservationConvention();
  private static final StageObservationConvention DEFAULT_STAGE =
      new DefaultStageObservationConvention();
  private static final PurgeObservationConvention DEFAULT_PURGE =
      new DefaultPurgeObservationConvention();
  /** Flushes announced by onFlush whose onInvalidationStart has not come yet; normally 0 or 1. */
  private static final int MAX_PENDING_FLUSHES = 64;

  private final ObservationRegistry observations;
  private final FanoutMeters meters;
  private final InvalidationObservationConvention invalidationConvention;
  private final StageObservationConvention stageConvention;
  private final PurgeObservationConvention purgeConvention;
  private final Names stageNames = new Names(MAX_NAMES);
  private final Names purgerNames = new Names(MAX_NAMES);
  private final Map<String, Run> runs = new ConcurrentHashMap<>();
  private final Map<String, Integer> flushes = new ConcurrentHashMap<>();
  private final LongAdder errors = new LongAdder();
  private final AtomicBoolean warnedFull = new AtomicBoolean();

  private FanoutObservability(Builder b) {
    this.meters = b.meterRegistry == null ? null : new FanoutMeters(b.meterRegistry, b.clock);
    if (b.observationRegistry != null) {
      this.observations = b.observationRegistry;
    } else {
      ObservationRegistry own = ObservationRegistry.create();
      own.observationConfig().observationHandler(new DefaultMeterObservationHandler(b.meterRegistry));
      this.observations = own;
    }
    this.invalidationConvention = b.invalidationConvention;
    this.stageConvention = b.stageConvention;
    this.purgeConvention = b.purgeConvention;
  }

  /**
   * Returns a new builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** One observed invalidation. */
  private static final class Run {
    final InvalidationContext context;
    final Observation observation;
    /** By the stage's configured name. */
    final Map<String, StageRun> stages = new ConcurrentHashMap<>(4);
    /** The stage that is delivering now, for {@link #header(String)}. */
    volatile StageRun current;

    Run(InvalidationContext context, Observation observation) {
      this.context = context;
      this.observation = observation;
    }
  }

  /** One observed stage. Its open purges are guarded by the instance. */
  private static final class StageRun {
    final StageContext context;
    final Observation observation;
    final Map<String, String> carrier;
    final List<PurgeRun> purges = new ArrayList<>(2);
    final AtomicBoolean stopped = new AtomicBoolean();

    StageRun(StageContext context, Observation observation, Map<String, String> carrier) {
      this.context = context;
      this.observation = observation;
      this.carrier = carrier;
    }
  }

  /** One observed purger call. */
  private static final class PurgeRun {
    final String purger;
    final PurgeContext context;
    final Observation observation;

    PurgeRun(String purger, PurgeContext context, Observation observation) {
      this.purger = purger;
      this.context = context;
      this.observation = observation;
    }
  }

  // ---- trace context for replicas ----

  /**
   * Returns a header value function for {@link HttpNotifier.Builder#header(String, Function)}: the
   * value the registry's propagating tracing handler wrote for {@code name} when the stage that is
   * delivering the invalidation started (W3C {@code traceparent} and {@code tracestate} with
   * OpenTelemetry's default propagator, {@code b3} with B3). Without a propagating handler, or for
   * an invalidation not observed, it returns {@code null} and the header is left out. It never
   * throws and costs one map lookup.
   *
   * @param name the header name, matched case-insensitively
   * @return the function
   * @throws NullPointerException if {@code name} is null
   */
  public Function<Invalidation, String> header(String name) {
    Objects.requireNonNull(name, "name");
    return invalidation -> {
      try {
        Run run = invalidation == null ? null : runs.get(invalidation.id());
        StageRun stage = run == null ? null : run.current;
        return stage == null ? null : stage.carrier.get(name);
      } catch (RuntimeException e) {
        return null;
      }
    };
  }

  /**
   * Adds the W3C trace context headers ({@code traceparent}, {@code tracestate}) to a notifier
   * being built, computed by {@link #header(String)}. A replica's {@link ObservedReceiver} (or any
   * OpenTelemetry-instrumented server) then continues the trace as a child of the stage span. The
   * headers are not covered by the request signature; they carry ids only.
   *
   * @param notifier the notifier builder
   * @return the same builder
   * @throws NullPointerException if {@code notifier} is null
   */
  public HttpNotifier.Builder propagateTraceContext(HttpNotifier.Builder notifier) {
    Objects.requireNonNull(notifier, "notifier");
    return notifier.header("traceparent", header("traceparent"))
        .header("tracestate", header("tracestate"));
  }

  // ---- gauges and events the engine does not report to listeners (yet) ----

  /**
   * Binds the gauge {@code fanout.coalescer.pending}: how many paths and tags wait in the coalescer
   * for the next flush. The supplier is read on every scrape, must be cheap and thread-safe; if it
   * throws, the gauge reads NaN. Binding again replaces the earlier supplier.
   *
   * @param pendingPathsAndTags what is pending, e.g. {@code invalidator::pendingSize}
   * @return this
   * @throws NullPointerException if the supplier is null
   * @throws IllegalStateException if no {@link MeterRegistry} was configured
   */
  public FanoutObservability bindPending(IntSupplier pendingPathsAndTags) {
    Objects.requireNonNull(pendingPathsAndTags, "pendingPathsAndTags");
    requireMeters("bindPending").bindPending(pendingPathsAndTags);
    return this;
  }

  /**
   * Binds the journal gauges {@code fanout.journal.backlog} (entries accepted but not yet
   * delivered) and {@code fanout.journal.oldest.pending} (the age of the oldest of them, measured
   * against the builder's clock; 0 when there is none). The suppliers are read on every scrape, so
   * a database-backed journal should answer from a cached value or one cheap query; if one throws,
   * its gauge reads NaN. Binding again replaces the earlier suppliers.
   *
   * @param backlog the number of entries not yet delivered
   * @param oldestPending when the oldest entry not yet delivered was accepted, or empty
   * @return this
   * @throws NullPointerException if a supplier is null
   * @throws IllegalStateException if no {@link MeterRegistry} was configured
   */
  public FanoutObservability bindJournal(
      LongSupplier backlog, Supplier<Optional<Instant>> oldestPending) {
    Objects.requireNonNull(backlog, "backlog");
    Objects.requireNonNull(oldestPending, "oldestPending");
    requireMeters("bindJournal").bindJournal(backlog, oldestPending);
    return this;
  }

  /**
   * Records one catch-up delivery (the compacted history sent to a replica that joined or came
   * back) in the timer {@code fanout.catchups}, tagged by stage, outcome and error kind. Call it
   * from wherever the catch-up's result is known; it does nothing without a {@link MeterRegistry}
   * and never throws.
   *
   * @param stage the fan-out stage's name
   * @param result the replica's result
   */
  public void recordCatchUp(String stage, TargetResult result) {
    try {
      if (meters != null && result != null) {
        meters.catchUp(stageNames.bounded(stage), result);
      }
    } catch (RuntimeException e) {
      failed("recordCatchUp", e);
    }
  }

  /**
   * Records a replica's catch-up ({@code Stage.Fanout#catchUp}) with {@link #recordCatchUp}: its
   * attempts and its time from the appearance to the outcome.
   *
   * @param report the catch-up's outcome
   */
  @Override
  public void onCatchUp(dev.fanout.catchup.CatchUpReport report) {
    if (report == null) {
      return;
    }
    recordCatchUp(report.stage(), new TargetResult(report.endpoint(),
        report.isCaughtUp() ? TargetResult.Outcome.ACKED : TargetResult.Outcome.FAILED,
        report.attempts(), report.elapsed(), report.errorKind(), 0, report.error(), false, null));
  }

  private FanoutMeters requireMeters(String method) {
    if (meters == null) {
      throw new IllegalStateException(method + " needs a meterRegistry: set one on the builder");
    }
    return meters;
  }

  /**
   * Removes the gauges this instance bound from the meter registry. Observations in progress
   * continue. Idempotent.
   */
  @Override
  public void close() {
    if (meters != null) {
      meters.close();
    }
  }

  // ---- the listener ----

  /**
   * Remembers that the invalidation about to start is a coalesced flush, and records the merged
   * submissions.
   *
   * @param merged the merged invalidation that will run
   * @param submissions how many submissions it carries
   * @param superseded how many submissions were dropped as older versions since the previous flush
   */
  @Override
  public void onFlush(Invalidation merged, int submissions, int superseded) {
    try {
      if (flushes.size() >= MAX_PENDING_FLUSHES) {
        flushes.clear();
      }
      flushes.put(merged.id(), submissions);
      if (meters != null) {
        meters.flush(submissions, superseded);
      }
    } catch (RuntimeException e) {
      failed("onFlush", e);
    }
  }

  /**
   * Starts the invalidation's observation: a child of the observation current on this thread for
   * {@code invalidate()}, a root for a coalesced flush.
   *
   * @param invalidation the invalidation
   */
  @Override
  public void onInvalidationStart(Invalidation invalidation) {
    try {
      Integer merged = flushes.remove(invalidation.id());
      if (runs.size() >= MAX_TRACKED) {
        if (warnedFull.compareAndSet(false, true)) {
          LOG.warn("more than {} invalidations in flight; the excess is counted but not observed",
              MAX_TRACKED);
        }
        return;
      }
      InvalidationContext context =
          new InvalidationContext(invalidation, merged != null, merged == null ? 1 : merged);
      Observation observation = FanoutObservationDocumentation.INVALIDATION.observation(
          invalidationConvention, DEFAULT_INVALIDATION, () -> context, observations);
      if (merged != null) {
        observation.parentObservation(null);
      }
      // An id already running (the same Invalidation passed twice) cannot be told apart from the
      // first run's events: only the first is observed.
      if (runs.putIfAbsent(invalidation.id(), new Run(context, observation)) == null) {
        observation.start();
      }
    } catch (RuntimeException e) {
      failed("onInvalidationStart", e);
    }
  }

  /**
   * Starts the stage's observation, a child of the invalidation's.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   */
  @Override
  public void onStageStart(Invalidation invalidation, String stage) {
    try {
      Run run = runs.get(invalidation.id());
      if (run != null) {
        startStage(run, stage);
      }
    } catch (RuntimeException e) {
      failed("onStageStart", e);
    }
  }

  private StageRun startStage(Run run, String stage) {
    // The propagator writes into this map once, when the stage starts; it is read-only afterwards.
    Map<String, String> carrier = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    StageContext context =
        new StageContext(run.context.invalidation(), stageNames.bounded(stage), carrier);
    Observation observation = FanoutObservationDocumentation.STAGE.observation(
        stageConvention, DEFAULT_STAGE, () -> context, observations);
    observation.parentObservation(run.observation);
    StageRun s = new StageRun(context, observation, carrier);
    // A stage starts once per run; a second start comes from a second run of the same id, whose
    // events cannot be told apart, and is not observed (its observation never starts).
    StageRun earlier = run.stages.putIfAbsent(stage, s);
    if (earlier != null) {
      return earlier;
    }
    observation.start();
    run.current = s;
    return s;
  }

  /**
   * Records the number of endpoints found.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param endpoints what discovery returned
   * @param recheck true for the membership re-check
   */
  @Override
  public void onDiscovery(
      Invalidation invalidation, String stage, List<Endpoint> endpoints, boolean recheck) {
    try {
      if (meters != null) {
        meters.discovery(stageNames.bounded(stage), endpoints.size(), recheck);
      }
    } catch (RuntimeException e) {
      failed("onDiscovery", e);
    }
  }

  /**
   * Counts the attempt in {@code fanout.attempts} by stage, outcome and error kind.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param endpoint the target
   * @param attempt the attempt number
   * @param failure the failure, or {@code null} if acknowledged
   * @param latency how long it took
   */
  @Override
  public void onAttemptEnd(Invalidation invalidation, String stage, Endpoint endpoint, int attempt,
      Throwable failure, Duration latency) {
    try {
      if (meters != null) {
        meters.attempt(stageNames.bounded(stage), failure == null ? null : ErrorKinds.of(failure));
      }
    } catch (RuntimeException e) {
      failed("onAttemptEnd", e);
    }
  }

  /**
   * Counts the retry in {@code fanout.retries}.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param endpoint the target
   * @param nextAttempt the number of the next attempt
   * @param delay the delay before it
   */
  @Override
  public void onRetryScheduled(Invalidation invalidation, String stage, Endpoint endpoint,
      int nextAttempt, Duration delay) {
    try {
      if (meters != null) {
        meters.retry(stageNames.bounded(stage));
      }
    } catch (RuntimeException e) {
      failed("onRetryScheduled", e);
    }
  }

  /**
   * Starts the purger call's observation, a child of the stage's.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param purger the purger's name
   */
  @Override
  public void onPurgeStart(Invalidation invalidation, String stage, String purger) {
    try {
      Run run = runs.get(invalidation.id());
      StageRun s = run == null ? null : run.stages.get(stage);
      if (s == null) {
        return;
      }
      PurgeContext context = new PurgeContext(
          invalidation, s.context.stage(), purgerNames.bounded(purger));
      Observation observation = FanoutObservationDocumentation.PURGE.observation(
          purgeConvention, DEFAULT_PURGE, () -> context, observations);
      observation.parentObservation(s.observation);
      observation.start();
      synchronized (s) {
        s.purges.add(new PurgeRun(purger, context, observation));
      }
    } catch (RuntimeException e) {
      failed("onPurgeStart", e);
    }
  }

  /**
   * Stops the purger call's observation with its result.
   *
   * @param invalidation the invalidation
   * @param stage the stage name
   * @param result the result
   */
  @Override
  public void onPurgeEnd(Invalidation invalidation, String stage, PurgeResult result) {
    try {
      Run run = runs.get(invalidation.id());
      StageRun s = run == null ? null : run.stages.get(stage);
      PurgeRun p = s == null ? null : takePurge(s, result.target());
      if (p != null) {
        endPurge(p, result);
      }
    } catch (RuntimeException e) {
      failed("onPurgeEnd", e);
    }
  }

  /**
   * The end event names the result's target, not the purger: the vendor purgers use the same
   * string for both, and otherwise the oldest open call is the best guess.
   */
  private static PurgeRun takePurge(StageRun s, String target) {
    synchronized (s) {
      for (Iterator<PurgeRun> it = s.purges.iterator(); it.hasNext(); ) {
        PurgeRun p = it.next();
        if (p.purger.equals(target)) {
          it.remove();
          return p;
        }
      }
      return s.purges.isEmpty() ? null : s.purges.remove(0);
    }
  }

  private static void endPurge(PurgeRun p, PurgeResult result) {
    p.context.result(result);
    if (result != null && result.status() == PurgeResult.Status.FAILED) {
      ErrorKind kind = result.errorKind() == null ? ErrorKind.INTERNAL : result.errorKind();
      p.observation.error(new PurgeException(result.target(), kind,
          result.detail() == null ? Names.lower(kind) : result.detail(), null));
    }
    p.observation.stop();
  }

  /**
   * Stops the stage's observation with its report; a stage skipped because an earlier gate failed
   * gets an observation without duration, so the trace shows it was held back.
   *
   * @param invalidation the invalidation
   * @param report the stage's report
   */
  @Override
  public void onStageEnd(Invalidation invalidation, StageReport report) {
    try {
      Run run = runs.get(invalidation.id());
      if (run == null) {
        return;
      }
      StageRun s = run.stages.get(report.name());
      endStage(run, s != null ? s : startStage(run, report.name()), report);
    } catch (RuntimeException e) {
      failed("onStageEnd", e);
    }
  }

  private void endStage(Run run, StageRun s, StageReport report) {
    if (!s.stopped.compareAndSet(false, true)) {
      return;
    }
    List<PurgeRun> open;
    synchronized (s) {
      open = new ArrayList<>(s.purges);
      s.purges.clear();
    }
    for (PurgeRun p : open) {
      endPurge(p, findPurge(report, p.purger));
    }
    s.context.report(report);
    if (report != null && report.status() == StageReport.Status.FAILED) {
      s.observation.error(new FanoutException(report.summary()));
    }
    s.observation.stop();
    if (run.current == s) {
      run.current = null;
    }
  }

  /**
   * The result of a purger call that had no end event, from the stage's report; a call the report
   * does not name ends as failed, so that every {@code fanout.purge} carries the same tag keys.
   */
  private static PurgeResult findPurge(StageReport report, String purger) {
    if (report != null) {
      for (PurgeResult r : report.purges()) {
        if (r.target().equals(purger)) {
          return r;
        }
      }
    }
    return PurgeResult.failed(purger, ErrorKind.INTERNAL, "ended without a result", List.of());
  }

  /**
   * Counts every target and purge from the final report, stops what is still open (a report made
   * by the engine's deadline watchdog ends stages without {@code onStageEnd}), then stops the
   * invalidation's observation with its outcome.
   *
   * @param report the report
   */
  @Override
  public void onInvalidationEnd(InvalidationReport report) {
    try {
      if (meters != null) {
        meters.report(report, stageNames, purgerNames);
      }
      Run run = runs.remove(report.id());
      if (run == null) {
        if (report.isSuperseded()) {
          superseded(report);
        }
        return;
      }
      for (StageReport sr : report.stages()) {
        StageRun s = run.stages.get(sr.name());
        endStage(run, s != null ? s : startStage(run, sr.name()), sr);
      }
      for (StageRun s : run.stages.values()) {
        endStage(run, s, null);
      }
      run.context.report(report);
      if (!report.isComplete()) {
        run.observation.error(new FanoutException(firstProblem(report)));
      }
      run.observation.stop();
    } catch (RuntimeException e) {
      failed("onInvalidationEnd", e);
    }
  }

  /**
   * A submission dropped as an older version has a report but never ran: it is recorded as an
   * observation without duration, outcome {@code superseded}, on the thread that reports it.
   */
  private void superseded(InvalidationReport report) {
    InvalidationContext context = new InvalidationContext(report.invalidation(), true, 1);
    context.report(report);
    FanoutObservationDocumentation.INVALIDATION.observation(
        invalidationConvention, DEFAULT_INVALIDATION, () -> context, observations).start().stop();
  }

  private static String firstProblem(InvalidationReport report) {
    for (StageReport s : report.stages()) {
      if (s.status() != StageReport.Status.SUCCEEDED) {
        return s.summary();
      }
    }
    return "incomplete";
  }

  private void failed(String event, RuntimeException e) {
    errors.increment();
    LOG.debug("{} could not be recorded", event, e);
  }

  /** How many events could not be recorded; tests assert it stays 0. */
  long errors() {
    return errors.sum();
  }

  /** How many invalidations are being observed; tests assert it returns to 0. */
  int tracked() {
    return runs.size();
  }

  /**
   * Configures a {@link FanoutObservability}. Not thread-safe.
   *
   * @since 0.1
   */
  public static final class Builder {
    private ObservationRegistry observationRegistry;
    private MeterRegistry meterRegistry;
    private InvalidationObservationConvention invalidationConvention;
    private StageObservationConvention stageConvention;
    private PurgeObservationConvention purgeConvention;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * Sets the registry the observations go to. Its handlers decide what they become: timers
     * (Micrometer's {@code DefaultMeterObservationHandler}), spans (Micrometer Tracing's handlers;
     * the propagating ones fill the trace context headers). Spring Boot configures both. Without
     * one, the observations become timers on the {@link #meterRegistry(MeterRegistry)}.
     *
     * @param registry the observation registry
     * @return this builder
     */
    public Builder observationRegistry(ObservationRegistry registry) {
      this.observationRegistry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Sets the registry for the meters an observation cannot carry: counters per attempt, target,
     * retry and purge request, the coalescer's distribution, and the gauges. When an {@link
     * #observationRegistry(ObservationRegistry)} is set too, give it a meter handler on this same
     * registry for the timers (Spring Boot does).
     *
     * @param registry the meter registry
     * @return this builder
     */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Replaces the convention of {@code fanout.invalidation}. A convention registered globally on
     * the observation registry still takes precedence over the default, not over this one.
     *
     * @param convention the convention
     * @return this builder
     */
    public Builder invalidationConvention(InvalidationObservationConvention convention) {
      this.invalidationConvention = Objects.requireNonNull(convention, "convention");
      return this;
    }

    /**
     * Replaces the convention of {@code fanout.stage}.
     *
     * @param convention the convention
     * @return this builder
     */
    public Builder stageConvention(StageObservationConvention convention) {
      this.stageConvention = Objects.requireNonNull(convention, "convention");
      return this;
    }

    /**
     * Replaces the convention of {@code fanout.purge}.
     *
     * @param convention the convention
     * @return this builder
     */
    public Builder purgeConvention(PurgeObservationConvention convention) {
      this.purgeConvention = Objects.requireNonNull(convention, "convention");
      return this;
    }

    /**
     * Sets the clock the journal's oldest pending age is measured with. Default {@link
     * Clock#systemUTC()}.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the listener.
     *
     * @return the listener
     * @throws IllegalStateException if neither an observation registry nor a meter registry was set
     */
    public FanoutObservability build() {
      if (observationRegistry == null && meterRegistry == null) {
        throw new IllegalStateException(
            "FanoutObservability needs an observationRegistry or a meterRegistry (or both)");
      }
      return new FanoutObservability(this);
    }
  }
}
