package dev.fanout.bench.soak;

import dev.fanout.Invalidation;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What each receiver applied: per receiver, how many times its handler saw each call's path. Every
 * {@code invalidate()} call and every submission carries one path of its own ({@code /soak/i/<n>},
 * {@code /soak/s/<n>}), so a path applied means that call reached that receiver. Thread-safe.
 */
final class Ledger {
  private static final String INVALIDATION = "/soak/i/";
  private static final String SUBMISSION = "/soak/s/";
  private static final String WARMUP = "/soak/w/";

  private final int invalidations;
  private final int submissions;
  private final AtomicIntegerArray[] applied;
  private final LongAdder[] handlerRuns;
  private final LongAdder unexpected = new LongAdder();

  Ledger(int receivers, int invalidations, int submissions) {
    this.invalidations = invalidations;
    this.submissions = submissions;
    this.applied = new AtomicIntegerArray[receivers];
    this.handlerRuns = new LongAdder[receivers];
    for (int r = 0; r < receivers; r++) {
      applied[r] = new AtomicIntegerArray(invalidations + submissions);
      handlerRuns[r] = new LongAdder();
    }
  }

  static String invalidationPath(int n) {
    return INVALIDATION + n;
  }

  static String submissionPath(int n) {
    return SUBMISSION + n;
  }

  static String warmupPath(int n) {
    return WARMUP + n;
  }

  /** The handler of receiver {@code r}: records every path the invalidation (or chunk) carries. */
  void apply(int r, Invalidation inv) {
    handlerRuns[r].increment();
    for (String path : inv.paths()) {
      int index = index(path);
      if (index >= 0) {
        applied[r].incrementAndGet(index);
      } else if (!path.startsWith(WARMUP)) {
        unexpected.increment();
      }
    }
  }

  private int index(String path) {
    try {
      if (path.startsWith(INVALIDATION)) {
        int n = Integer.parseInt(path.substring(INVALIDATION.length()));
        return n < invalidations ? n : -1;
      }
      if (path.startsWith(SUBMISSION)) {
        int n = Integer.parseInt(path.substring(SUBMISSION.length()));
        return n < submissions ? invalidations + n : -1;
      }
    } catch (NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** How many times receiver {@code r} applied the path of {@code invalidate()} call {@code n}. */
  int invalidation(int r, int n) {
    return applied[r].get(n);
  }

  /** How many times receiver {@code r} applied the path of submission {@code n}. */
  int submission(int r, int n) {
    return applied[r].get(invalidations + n);
  }

  /** How many times receiver {@code r}'s handler ran (once per request or chunk applied). */
  long handlerRuns(int r) {
    return handlerRuns[r].sum();
  }

  /** Paths applied that no call sent: must stay 0. */
  long unexpected() {
    return unexpected.sum();
  }
}
