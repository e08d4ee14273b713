package dev.fanout.bench.soak;

import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.Invalidator;
import dev.fanout.Stage;
import dev.fanout.SubmissionRejectedException;
import dev.fanout.bench.soak.Tally.Violation;
import dev.fanout.http.HttpNotifier;
import dev.fanout.spi.Discovery;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The soak: {@code invalidate()} and {@code submit()} calls spread evenly over a duration against a
 * fleet of real loopback receivers of which some misbehave at random, then checks that every
 * future completed, every failure is named in its report, no accepted call is missing at a healthy
 * receiver, and threads and heap stayed flat. Prints a summary and exits 1 on any violation (2 on
 * bad options).
 *
 * <p>Usage: {@code Soak [--duration 60s] [--invalidations 10000] [--submissions 50000]
 * [--receivers 20] [--fault-rate 0.1] [--fault-probability 0.5] [--seed 12] [--attempt-timeout 5s]
 * [--max-in-flight 600] [--replay-cache 1000]}; the defaults are the full run. RELIABILITY.md has
 * the figures.
 *
 * <p>The sender is one {@link Invalidator} with one fan-out stage over a static list of the
 * receivers, a signed {@link HttpNotifier} and the library's defaults (5 s per attempt, 5
 * attempts, 30 s deadline, gate all). The receivers run with the library's defaults except a smaller replay cache. A
 * submission refused at the call (the coalescer full while a flush runs) is offered again 100 ms
 * later, as a webhook sender retries, and counted.
 */
public final class Soak {
  /** Growth allowed between the start and end samples: threads. */
  private static final int THREAD_SLACK = 8;
  /** Growth allowed between the start and end samples: heap after a full collection, in bytes. */
  private static final long HEAP_SLACK = 16L << 20;
  /** Growth allowed between the start and end samples: open file descriptors (10 per receiver). */
  private static final int DESCRIPTOR_SLACK_PER_RECEIVER = 10;
  private static final int WARMUP_CALLS = 200;
  private static final int WARMUP_IN_FLIGHT = 100;
  private static final long WARMUP_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long RESUBMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private Soak() {}

  /**
   * Runs the soak.
   *
   * @param args options, see the class description
   * @throws Exception if the fleet cannot start
   */
  public static void main(String[] args) throws Exception {
    SoakConfig config;
    try {
      config = SoakConfig.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("soak: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.exit(run(config) ? 0 : 1);
  }

  /** A submission refused at the call, due to be offered again. */
  private record Refused(int n, long dueNanos) {}

  static boolean run(SoakConfig config) throws Exception {
    System.out.println("soak: " + config.asArgs());
    Preload.classes("dev/fanout/");
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
    Ledger ledger = new Ledger(config.receivers(), config.invalidations(), config.submissions());
    try (Receivers fleet = Receivers.start(config, secret, ledger)) {
      Tally tally = new Tally(ledger, fleet.byName(), fleet.faulty(), config.invalidations());
      Invalidator invalidator = Invalidator.builder()
          .stage(Stage.fanout("web", Discovery.of(fleet.endpoints()),
                  HttpNotifier.builder().path(Receivers.PATH).signingSecret(secret).build())
              .attemptTimeout(config.attemptTimeout()))
          .random(new Random(config.seed()))
          .build();
      try {
        warmUp(invalidator);
        List<Vitals> vitals = new ArrayList<>();
        vitals.add(Vitals.sample("start"));
        Vitals.resetPeak();
        AtomicLong peakDescriptors = new AtomicLong(Vitals.openDescriptors());
        ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "soak-monitor");
          t.setDaemon(true);
          return t;
        });
        monitor.scheduleAtFixedRate(() -> peakDescriptors.accumulateAndGet(Vitals.openDescriptors(), Math::max),
            0, 250, TimeUnit.MILLISECONDS);
        Drive drive = drive(config, invalidator, tally, vitals);
        boolean settled = awaitSettled(tally, drive, invalidator);
        monitor.shutdownNow();
        vitals.add(Vitals.sample("end"));
        int peak = Vitals.peak();
        verify(config, fleet, ledger, tally, drive, settled, vitals);
        print(config, fleet, ledger, tally, drive, vitals, peak, peakDescriptors.get());
      } finally {
        invalidator.close(Duration.ofSeconds(5));
      }
      return tally.totalViolations() == 0;
    }
  }

  /**
   * Warms the JIT and fills the receivers' and the sender's pools before the first sample, so that
   * the samples compare like with like: {@value #WARMUP_CALLS} invalidations, 50 a second, at most
   * {@value #WARMUP_IN_FLIGHT} outstanding. A cold JVM serves requests slowly; a faster warm-up
   * piles up connections until the process runs out of file descriptors.
   */
  private static void warmUp(Invalidator invalidator) throws InterruptedException {
    Semaphore inFlight = new Semaphore(WARMUP_IN_FLIGHT);
    long start = System.nanoTime();
    for (int i = 0; i < WARMUP_CALLS; i++) {
      long wait = start + i * WARMUP_INTERVAL_NANOS - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      inFlight.acquire();
      invalidator.invalidate(Invalidation.builder().path(Ledger.warmupPath(i)).build())
          .whenComplete((r, e) -> inFlight.release());
    }
    inFlight.acquire(WARMUP_IN_FLIGHT);
  }

  /**
   * What the driver did.
   *
   * @param nanos from the first call to the last
   * @param invalidations {@code invalidate()} calls made
   * @param submissions submissions accepted
   * @param submissionNanos from the first call to the last submission accepted
   * @param refusals submissions refused at the call (and offered again)
   * @param behindNanos how long invalidations were due but waited for a free in-flight slot
   */
  record Drive(long nanos, int invalidations, int submissions, long submissionNanos, long refusals,
      long behindNanos) {}

  /** Issues every call at its time: call k of N at k/N of the duration. */
  private static Drive drive(SoakConfig config, Invalidator invalidator, Tally tally, List<Vitals> vitals) {
    int totalInv = config.invalidations();
    int totalSub = config.submissions();
    long duration = config.duration().toNanos();
    Semaphore inFlight = new Semaphore(config.maxInFlight());
    Deque<Refused> refused = new ArrayDeque<>();
    long refusals = 0;
    long behind = 0;
    long behindSince = -1;
    long submissionsDone = -1;
    int nextInv = 0;
    int nextSub = 0;
    int accepted = 0;
    boolean middle = false;
    long start = System.nanoTime();
    while (nextInv < totalInv || nextSub < totalSub || !refused.isEmpty()) {
      long now = System.nanoTime();
      double share = Math.min(1.0, (now - start) / (double) duration);
      int dueInv = (int) Math.ceil(totalInv * share);
      int dueSub = (int) Math.ceil(totalSub * share);
      // At the cap, the due invalidations wait for the next round; submissions go on meanwhile.
      while (nextInv < dueInv && inFlight.tryAcquire()) {
        int n = nextInv++;
        invalidator.invalidate(Invalidation.builder().path(Ledger.invalidationPath(n)).tag("soak-i-" + n).build())
            .whenComplete((r, e) -> {
              inFlight.release();
              tally.invalidation(n, r, e);
            });
      }
      if (nextInv < dueInv) {
        if (behindSince < 0) {
          behindSince = now;
        }
      } else if (behindSince >= 0) {
        behind += now - behindSince;
        behindSince = -1;
      }
      while (!refused.isEmpty() && refused.peekFirst().dueNanos() - now <= 0) {
        int n = refused.pollFirst().n();
        if (submit(invalidator, tally, n)) {
          accepted++;
        } else {
          refusals++;
          refused.addLast(new Refused(n, System.nanoTime() + RESUBMIT_NANOS));
        }
      }
      while (nextSub < dueSub) {
        int n = nextSub++;
        if (submit(invalidator, tally, n)) {
          accepted++;
        } else {
          refusals++;
          refused.addLast(new Refused(n, System.nanoTime() + RESUBMIT_NANOS));
        }
      }
      if (submissionsDone < 0 && nextSub == totalSub && refused.isEmpty()) {
        submissionsDone = System.nanoTime();
      }
      if (!middle && share >= 0.5) {
        middle = true;
        vitals.add(Vitals.sample("middle"));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    invalidator.flush();
    if (behindSince >= 0) {
      behind += System.nanoTime() - behindSince;
    }
    return new Drive(System.nanoTime() - start, nextInv, accepted, submissionsDone - start, refusals, behind);
  }

  /** Submits submission {@code n}; false when the coalescer refused it at the call. */
  private static boolean submit(Invalidator invalidator, Tally tally, int n) {
    try {
      invalidator.submit(Invalidation.builder().path(Ledger.submissionPath(n)).build())
          .whenComplete((r, e) -> tally.submission(n, r, e));
      return true;
    } catch (SubmissionRejectedException e) {
      return false;
    }
  }

  /** Waits until every future completed, at most the deadline plus a margin after the last call. */
  private static boolean awaitSettled(Tally tally, Drive drive, Invalidator invalidator) {
    long limit = System.nanoTime() + invalidator.deadline().plusSeconds(15).toNanos();
    while (tally.invalidationsDone() < drive.invalidations() || tally.submissionsDone() < drive.submissions()) {
      if (System.nanoTime() - limit > 0) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    return true;
  }

  /** The end-of-run checks: completion, loss at healthy receivers, growth of threads and heap. */
  private static void verify(SoakConfig config, Receivers fleet, Ledger ledger, Tally tally, Drive drive,
      boolean settled, List<Vitals> vitals) {
    if (!settled) {
      tally.violations(Violation.NOT_COMPLETED,
          (drive.invalidations() - tally.invalidationsDone()) + (drive.submissions() - tally.submissionsDone()),
          "futures still pending at the deadline plus 15 s after the last call");
    }
    boolean[] faulty = fleet.faulty();
    for (int r = 0; r < faulty.length; r++) {
      if (faulty[r]) {
        continue;
      }
      for (int n = 0; n < drive.invalidations(); n++) {
        if (ledger.invalidation(r, n) == 0) {
          tally.violation(Violation.LOST, "invalidate " + n + " never applied at " + Receivers.name(r));
        }
      }
      for (int n = 0; n < config.submissions(); n++) {
        if (ledger.submission(r, n) == 0) {
          tally.violation(Violation.LOST, "submission " + n + " never applied at " + Receivers.name(r));
        }
      }
    }
    logged(tally);
    tally.violations(Violation.UNEXPECTED_PATH, ledger.unexpected(), ledger.unexpected() + " unexpected paths");
    Vitals start = vitals.get(0);
    Vitals end = vitals.get(vitals.size() - 1);
    if (end.measured() > start.measured() + THREAD_SLACK) {
      tally.violation(Violation.THREADS_GREW, start.measured() + " -> " + end.measured() + " threads");
    }
    if (end.descriptors() > start.descriptors() + (long) DESCRIPTOR_SLACK_PER_RECEIVER * config.receivers()) {
      tally.violation(Violation.DESCRIPTORS_GREW, start.descriptors() + " -> " + end.descriptors()
          + " open file descriptors");
    }
    if (end.heapUsed() > start.heapUsed() + HEAP_SLACK) {
      tally.violation(Violation.HEAP_GREW, String.format(Locale.ROOT, "%.1f -> %.1f MiB", start.heapMiB(),
          end.heapMiB()));
    }
  }

  /**
   * Checks the log file slf4j-simple writes to, when there is one: the library logs a WARN summary
   * per incomplete invalidation, which is expected here, but never an error or a stack trace.
   */
  private static void logged(Tally tally) {
    String file = System.getProperty("org.slf4j.simpleLogger.logFile");
    if (file == null || file.equals("System.out") || file.equals("System.err")) {
      return;
    }
    long starved = 0;
    try (Stream<String> lines = Files.lines(Path.of(file))) {
      for (String l : (Iterable<String>) lines::iterator) {
        if (l.startsWith("\tat ") || l.contains(" ERROR ")) {
          tally.violation(Violation.LOGGED, l.trim());
        } else if (l.contains("cannot accept connections")) {
          starved++;
        }
      }
    } catch (IOException | UncheckedIOException e) {
      tally.violation(Violation.LOGGED, "cannot read the log " + file + ": " + e);
    }
    System.out.println("library log: " + file + (starved == 0 ? "" : "; " + starved + " times a receiver server"
        + " could not accept a connection (out of file descriptors?)"));
  }

  private static void print(SoakConfig config, Receivers fleet, Ledger ledger, Tally tally, Drive drive,
      List<Vitals> vitals, int peakThreads, long peakDescriptors) {
    boolean[] faulty = fleet.faulty();
    StringBuilder faultyNames = new StringBuilder();
    for (int r = 0; r < faulty.length; r++) {
      if (faulty[r]) {
        faultyNames.append(faultyNames.length() == 0 ? "" : ", ").append(Receivers.name(r));
      }
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "machine: %d cores, Java %s (%s), max heap %d MiB%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        System.getProperty("java.vm.name"), Runtime.getRuntime().maxMemory() >> 20);
    System.out.println();
    System.out.println("| load | |");
    System.out.println("|---|---|");
    row("invalidate() calls", String.format(Locale.ROOT, "%,d", drive.invalidations()));
    row("submit() calls accepted", String.format(Locale.ROOT, "%,d (%,d refusals at the call: coalescer full while"
        + " the previous flush ran; each refused submission offered again every 100 ms until accepted)",
        drive.submissions(), drive.refusals()));
    row("flushes the submissions completed with", String.format(Locale.ROOT, "%,d", tally.flushes()));
    row("calls issued over", String.format(Locale.ROOT, "%.1f s, the submissions over %.1f s (invalidations behind"
        + " schedule at the --max-in-flight cap for %.1f s)", drive.nanos() / 1e9, drive.submissionNanos() / 1e9,
        drive.behindNanos() / 1e9));
    row("invalidate() report time", String.format(Locale.ROOT, "p50 %d ms, p99 %d ms, max %d ms",
        tally.latencyQuantile(0.5, drive.invalidations()), tally.latencyQuantile(0.99, drive.invalidations()),
        tally.latencyQuantile(1.0, drive.invalidations())));
    row("receivers", String.format(Locale.ROOT, "%d on 127.0.0.2-%d, %d misbehaving (%s), each request there "
        + "faulty with p = %s", faulty.length, 1 + faulty.length, config.faulty(), faultyNames,
        config.faultProbability()));
    Map<FaultyFront.Fault, Long> faults = fleet.faults();
    row("requests at misbehaving receivers", String.format(Locale.ROOT,
        "%,d passed on, %,d answered 503, %,d reset, %,d stalled, %,d slow body",
        faults.getOrDefault(FaultyFront.Fault.NONE, 0L), faults.getOrDefault(FaultyFront.Fault.UNAVAILABLE, 0L),
        faults.getOrDefault(FaultyFront.Fault.RESET, 0L), faults.getOrDefault(FaultyFront.Fault.STALL, 0L),
        faults.getOrDefault(FaultyFront.Fault.SLOW_BODY, 0L)));
    StringBuilder kinds = new StringBuilder();
    for (Map.Entry<ErrorKind, Long> e : tally.failuresByKind().entrySet()) {
      kinds.append(kinds.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %,d",
          e.getKey().name().toLowerCase(Locale.ROOT), e.getValue()));
    }
    row("targets failed in reports, by last error", kinds.length() == 0 ? "none" : kinds.toString());
    row("of which at healthy receivers", String.format(Locale.ROOT, "%,d", tally.healthyFailures()));
    row("retries (attempts beyond the first)", String.format(Locale.ROOT, "%,d", tally.retries()));
    row("incomplete reports", String.format(Locale.ROOT, "%,d", tally.incompleteReports()));
    if (tally.healthyFailures() > 0) {
      System.out.println("note: healthy receivers failed: the machine did not keep up with this load (see the"
          + " errors above); lower the rate (--duration, counts) or --max-in-flight");
    }

    System.out.println();
    System.out.println("| receiver | misbehaves | handler runs | acked | failed | calls applied | applied twice or more |");
    System.out.println("|---|---|---|---|---|---|---|");
    int calls = drive.invalidations() + config.submissions();
    for (int r = 0; r < faulty.length; r++) {
      int applied = 0;
      int twice = 0;
      for (int n = 0; n < drive.invalidations(); n++) {
        int k = ledger.invalidation(r, n);
        applied += k > 0 ? 1 : 0;
        twice += k > 1 ? 1 : 0;
      }
      for (int n = 0; n < config.submissions(); n++) {
        int k = ledger.submission(r, n);
        applied += k > 0 ? 1 : 0;
        twice += k > 1 ? 1 : 0;
      }
      System.out.printf(Locale.ROOT, "| %s | %s | %,d | %,d | %,d | %,d of %,d | %,d |%n", Receivers.name(r),
          faulty[r] ? "yes" : "no", ledger.handlerRuns(r), tally.acked(r), tally.failed(r), applied, calls, twice);
    }

    System.out.println();
    System.out.println("| sample | threads (library fanout-*, harness soak-*, JVM) | heap in use after full GC |"
        + " open file descriptors |");
    System.out.println("|---|---|---|---|");
    for (Vitals v : vitals) {
      System.out.printf(Locale.ROOT, "| %s | %d (%d, %d, %d) | %.1f MiB | %,d |%n", v.when(), v.threads(),
          v.library(), v.harness(), v.threads() - v.library() - v.harness(), v.heapMiB(), v.descriptors());
    }
    System.out.printf(Locale.ROOT, "peak during the run: %d live threads, %,d open file descriptors (limit %,d);"
        + " bounds start -> end: threads other than the harness's +%d, heap +%d MiB, descriptors +%d%n",
        peakThreads, peakDescriptors, Vitals.descriptorLimit(), THREAD_SLACK, HEAP_SLACK >> 20,
        DESCRIPTOR_SLACK_PER_RECEIVER * config.receivers());

    System.out.println();
    System.out.println("| check | violations |");
    System.out.println("|---|---|");
    for (Violation v : Violation.values()) {
      System.out.printf(Locale.ROOT, "| %s | %,d |%n", v.description, tally.count(v));
    }
    for (String example : tally.examples()) {
      System.out.println("  e.g. " + example);
    }
    System.out.println();
    System.out.println(tally.totalViolations() == 0 ? "SOAK PASSED: lost = 0" : "SOAK FAILED: "
        + tally.totalViolations() + " violation(s)");
  }

  private static void row(String name, String value) {
    System.out.println("| " + name + " | " + value + " |");
  }
}
