package dev.fanout.bench.soak;

import dev.fanout.ErrorKind;
import dev.fanout.InvalidationReport;
import dev.fanout.StageReport;
import dev.fanout.TargetResult;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntUnaryOperator;

/**
 * Checks every report as its future completes, against what the receivers applied, and counts
 * what happened. Keeps no report: a leak in the library must not hide behind the harness's own
 * retention. Thread-safe.
 */
final class Tally {
  /** A broken promise. Any count above zero fails the run. */
  enum Violation {
    /** A future had not completed when the run ended. */
    NOT_COMPLETED("futures not completed"),
    /** A future completed exceptionally (only cancellation or close may do that). */
    EXCEPTIONAL("futures completed exceptionally"),
    /** A receiver is missing from a report, or appears with an outcome a static fleet cannot have. */
    UNACCOUNTED("receivers missing from a report or skipped/excused"),
    /** A failed target without an error kind and description, or an incomplete report naming no cause. */
    UNNAMED("failures not named in their report"),
    /** A report says a receiver acknowledged a call whose path that receiver never applied. */
    ACKED_NOT_APPLIED("acks for a path the receiver never applied"),
    /** An accepted call's path missing at a healthy receiver at the end. */
    LOST("accepted calls missing at a healthy receiver (lost)"),
    /** A receiver applied a path no call sent. */
    UNEXPECTED_PATH("paths applied that no call sent"),
    /** The library logged an error or a stack trace. */
    LOGGED("errors or stack traces in the log"),
    /** Live threads grew beyond the bound between the start and end samples. */
    THREADS_GREW("thread growth beyond the bound"),
    /** Open file descriptors grew beyond the bound between the start and end samples (a leak). */
    DESCRIPTORS_GREW("open file descriptor growth beyond the bound"),
    /** Heap in use after a full GC grew beyond the bound between the start and end samples. */
    HEAP_GREW("heap growth beyond the bound");

    final String description;

    Violation(String description) {
      this.description = description;
    }
  }

  private static final int EXAMPLES = 10;

  private final Ledger ledger;
  private final Map<String, Integer> receiverByName;
  private final boolean[] faulty;
  private final Map<Violation, LongAdder> violations = new EnumMap<>(Violation.class);
  private final ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();
  private final Map<ErrorKind, LongAdder> failures = new EnumMap<>(ErrorKind.class);
  /** The ids of the flush reports already counted: every submission of a flush gets the same one. */
  private final Set<String> flushes = ConcurrentHashMap.newKeySet();
  private final LongAdder invalidationsDone = new LongAdder();
  private final LongAdder submissionsDone = new LongAdder();
  private final LongAdder incomplete = new LongAdder();
  private final LongAdder retries = new LongAdder();
  private final LongAdder healthyFailures = new LongAdder();
  private final LongAdder[] acked;
  private final LongAdder[] failed;
  private final AtomicIntegerArray latencyMillis;

  Tally(Ledger ledger, Map<String, Integer> receiverByName, boolean[] faulty, int invalidations) {
    this.ledger = ledger;
    this.receiverByName = Map.copyOf(receiverByName);
    this.faulty = faulty.clone();
    for (Violation v : Violation.values()) {
      violations.put(v, new LongAdder());
    }
    for (ErrorKind k : ErrorKind.values()) {
      failures.put(k, new LongAdder());
    }
    acked = adders(faulty.length);
    failed = adders(faulty.length);
    latencyMillis = new AtomicIntegerArray(invalidations);
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  /** The outcome of {@code invalidate()} call {@code n}. */
  void invalidation(int n, InvalidationReport report, Throwable error) {
    if (settled("invalidate " + n, report, error)) {
      latencyMillis.set(n, (int) Math.min(Integer.MAX_VALUE, report.elapsed().toMillis()));
      check("invalidate " + n, report, r -> ledger.invalidation(r, n), true);
    }
    invalidationsDone.increment();
  }

  /** The outcome of submission {@code n}. */
  void submission(int n, InvalidationReport report, Throwable error) {
    if (settled("submission " + n, report, error)) {
      check("submission " + n, report, r -> ledger.submission(r, n), flushes.add(report.invalidation().id()));
    }
    submissionsDone.increment();
  }

  private boolean settled(String call, InvalidationReport report, Throwable error) {
    if (error != null || report == null) {
      violation(Violation.EXCEPTIONAL, call + ": " + error);
      return false;
    }
    return true;
  }

  /**
   * Checks one call's report: every receiver accounted for, every failure named, every ack backed
   * by the receiver's own record; counts the report's figures once per distinct report.
   */
  private void check(String call, InvalidationReport report, IntUnaryOperator appliedAt, boolean count) {
    boolean named = report.isComplete();
    for (StageReport stage : report.stages()) {
      if (stage.detail() != null && !stage.detail().isBlank()) {
        named = true;
      }
      boolean[] seen = new boolean[faulty.length];
      for (TargetResult t : stage.targets()) {
        Integer r = receiverByName.get(t.endpoint().name());
        if (r == null || seen[r]) {
          violation(Violation.UNACCOUNTED, call + ": unknown or repeated target " + t.describe());
          continue;
        }
        seen[r] = true;
        if (count) {
          retries.add(Math.max(0, t.attempts() - 1));
        }
        switch (t.outcome()) {
          case ACKED:
            if (appliedAt.applyAsInt(r) == 0) {
              violation(Violation.ACKED_NOT_APPLIED, call + ": " + t.describe());
            }
            if (count) {
              acked[r].increment();
            }
            break;
          case FAILED:
            if (t.errorKind() == null || t.error() == null || t.error().isBlank()) {
              violation(Violation.UNNAMED, call + ": " + t.describe());
            } else {
              named = true;
            }
            if (count) {
              failed[r].increment();
              failures.get(t.errorKind() == null ? ErrorKind.INTERNAL : t.errorKind()).increment();
              if (!faulty[r]) {
                healthyFailures.increment();
              }
            }
            break;
          default:
            violation(Violation.UNACCOUNTED, call + ": " + t.describe());
        }
      }
      for (int r = 0; r < seen.length; r++) {
        if (!seen[r] && stage.kind() == StageReport.Kind.FANOUT) {
          violation(Violation.UNACCOUNTED, call + ": receiver " + r + " missing from stage " + stage.name());
        }
      }
    }
    if (!named) {
      violation(Violation.UNNAMED, call + ": incomplete report names no cause: " + report.summary());
    }
    if (count && !report.isComplete()) {
      incomplete.increment();
    }
  }

  void violation(Violation v, String example) {
    violations.get(v).increment();
    if (examples.size() < EXAMPLES) {
      examples.add(v.name() + " " + example);
    }
  }

  void violations(Violation v, long n, String example) {
    if (n > 0) {
      violations.get(v).add(n - 1);
      violation(v, example);
    }
  }

  long count(Violation v) {
    return violations.get(v).sum();
  }

  long totalViolations() {
    long n = 0;
    for (LongAdder a : violations.values()) {
      n += a.sum();
    }
    return n;
  }

  List<String> examples() {
    return new ArrayList<>(examples);
  }

  long invalidationsDone() {
    return invalidationsDone.sum();
  }

  long submissionsDone() {
    return submissionsDone.sum();
  }

  /** Distinct flush reports the submissions completed with (flushes, and isolation runs if any). */
  int flushes() {
    return flushes.size();
  }

  long incompleteReports() {
    return incomplete.sum();
  }

  long retries() {
    return retries.sum();
  }

  long healthyFailures() {
    return healthyFailures.sum();
  }

  Map<ErrorKind, Long> failuresByKind() {
    Map<ErrorKind, Long> out = new EnumMap<>(ErrorKind.class);
    failures.forEach((k, n) -> {
      if (n.sum() > 0) {
        out.put(k, n.sum());
      }
    });
    return out;
  }

  long acked(int r) {
    return acked[r].sum();
  }

  long failed(int r) {
    return failed[r].sum();
  }

  /** The {@code p}-quantile of {@code invalidate()} report times, in milliseconds, over the first {@code n}. */
  int latencyQuantile(double p, int n) {
    if (n == 0) {
      return 0;
    }
    int[] sorted = new int[n];
    for (int i = 0; i < n; i++) {
      sorted[i] = latencyMillis.get(i);
    }
    java.util.Arrays.sort(sorted);
    return sorted[Math.min(n - 1, Math.max(0, (int) Math.ceil(p * n) - 1))];
  }
}
