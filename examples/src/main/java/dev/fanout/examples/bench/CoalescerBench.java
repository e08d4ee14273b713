package dev.fanout.examples.bench;

import dev.fanout.Endpoint;
import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.Stage;
import dev.fanout.SubmissionRejectedException;
import dev.fanout.spi.Ack;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.Notifier;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures {@link Invalidator#submit(Invalidation)}: how many submissions a second it accepts, and
 * how many flushes (one CDN purge call each) a stream of submissions turns into. Prints tables; see
 * BENCHMARKS.md for how to run it and how to read the numbers.
 *
 * <p>Every invalidator here has one fan-out stage with a no-op notifier that acknowledges at once
 * and one purge stage with a purger that only counts, so what is measured is the coalescer and the
 * engine's bookkeeping, not a network.
 */
public final class CoalescerBench {
  private static final int SUBMISSIONS = 10_000;
  private static final Duration SPREAD = Duration.ofSeconds(5);

  private CoalescerBench() {}

  /**
   * Runs the benchmark.
   *
   * @param args ignored
   * @throws Exception if a thread is interrupted
   */
  public static void main(String[] args) throws Exception {
    // One INFO line per flush is right in production and noise here.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");

    System.out.println("== submit() throughput, defaults (quiet 500 ms, max wait 5 s, capacity 10,000,"
        + " FLUSH_EARLY), no-op notifier and purger");
    System.out.println("threads | paths               | accepted/s | accepted/s, 3 windows    | rejected/s | flushes/s | submissions/flush");
    System.out.println("------- | ------------------- | ---------- | ------------------------ | ---------- | --------- | -----------------");
    throughput(2, false, false);
    for (int threads : new int[] {1, 4}) {
      throughput(threads, false, true);
      throughput(threads, true, true);
    }

    System.out.println();
    System.out.println("== " + SUBMISSIONS + " submissions over " + SPREAD.toSeconds()
        + " s, defaults, simulated clock");
    System.out.println("arrivals                             | submissions | purge calls | paths+tags sent | longest hold");
    System.out.println("------------------------------------ | ----------- | ----------- | --------------- | ------------");
    simulated("steady, 1 distinct path each", steady(), false);
    simulated("steady, path+tag of 2,000 entities", steady(), true);
    simulated("random (Poisson), 1 distinct path", poisson(), false);
    simulated("5 bursts of 2,000, 1 s apart", bursts(), false);
    simulated("one invalidate() per submission", null, false);

    System.out.println();
    System.out.println("== the same steady stream on the real clock and threads");
    realTime();
  }

  // ---------------------------------------------------------------------------------------------
  // Throughput: real clock, the invalidator's own threads.

  /**
   * Submits from {@code threads} threads: 0.5 s of warm-up, then three windows of 0.5 s; prints the
   * median window and the range. The invalidations are built before the clock starts (building one
   * draws a random id, which costs about as much as submitting it); each thread cycles through its
   * own 50,000.
   */
  private static void throughput(int threads, boolean hot, boolean print) throws Exception {
    Counting counting = new Counting();
    Invalidator invalidator = base(counting).build();
    AtomicBoolean running = new AtomicBoolean(true);
    LongAdder accepted = new LongAdder();
    LongAdder rejected = new LongAdder();
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      Invalidation[] prepared = new Invalidation[50_000];
      SplittableRandom random = new SplittableRandom(t);
      for (int n = 0; n < prepared.length; n++) {
        String path = hot ? "/hot/" + random.nextInt(100) : "/p/" + t + "/" + n;
        prepared[n] = Invalidation.builder().path(path).build();
      }
      Thread worker = new Thread(() -> {
        int n = 0;
        while (running.get()) {
          Invalidation inv = prepared[n];
          n = n + 1 == prepared.length ? 0 : n + 1;
          try {
            invalidator.submit(inv);
            accepted.increment();
          } catch (SubmissionRejectedException e) {
            rejected.increment();
          }
        }
        done.countDown();
      }, "bench-submitter-" + t);
      worker.setDaemon(true);
      worker.start();
    }
    Thread.sleep(500);
    double[][] windows = new double[3][];
    for (int w = 0; w < windows.length; w++) {
      long a = accepted.sum();
      long r = rejected.sum();
      int f = counting.flushes.get();
      int c = counting.submissions.get();
      long start = System.nanoTime();
      Thread.sleep(500);
      double seconds = (System.nanoTime() - start) / 1e9;
      int flushes = counting.flushes.get() - f;
      windows[w] = new double[] {(accepted.sum() - a) / seconds, (rejected.sum() - r) / seconds,
          flushes / seconds, flushes == 0 ? 0 : (double) (counting.submissions.get() - c) / flushes};
    }
    running.set(false);
    done.await();
    invalidator.close(Duration.ofSeconds(10));
    if (print) {
      Arrays.sort(windows, Comparator.comparingDouble((double[] row) -> row[0]));
      double[] median = windows[1];
      String range = String.format(Locale.ROOT, "%,.0f to %,.0f", windows[0][0], windows[2][0]);
      System.out.printf(Locale.ROOT, "%7d | %-19s | %,10.0f | %-24s | %,10.0f | %,9.0f | %,17.0f%n",
          threads, hot ? "100 hot, repeated" : "all distinct", median[0], range, median[1],
          median[2], median[3]);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Coalescing ratio: a simulated clock, so 5 s of arrivals take milliseconds and give the same
  // answer on every machine.

  /** Submission times, in nanoseconds from the start. */
  private static long[] steady() {
    long[] at = new long[SUBMISSIONS];
    for (int i = 0; i < SUBMISSIONS; i++) {
      at[i] = SPREAD.toNanos() * i / SUBMISSIONS;
    }
    return at;
  }

  private static long[] poisson() {
    SplittableRandom random = new SplittableRandom(42);
    double mean = (double) SPREAD.toNanos() / SUBMISSIONS;
    long[] at = new long[SUBMISSIONS];
    double t = 0;
    for (int i = 0; i < SUBMISSIONS; i++) {
      t += -Math.log(1 - random.nextDouble()) * mean;
      at[i] = (long) t;
    }
    return at;
  }

  private static long[] bursts() {
    long[] at = new long[SUBMISSIONS];
    int perBurst = SUBMISSIONS / 5;
    for (int i = 0; i < SUBMISSIONS; i++) {
      // Each burst lasts 100 ms; the next starts a second after the previous one.
      at[i] = TimeUnit.SECONDS.toNanos(i / perBurst)
          + TimeUnit.MILLISECONDS.toNanos(100) * (i % perBurst) / perBurst;
    }
    return at;
  }

  private static void simulated(String label, long[] times, boolean entities) {
    VirtualTime time = new VirtualTime();
    Counting counting = new Counting();
    Invalidator invalidator = base(counting).clock(time.clock).scheduler(time).executor(Runnable::run).build();
    long[] at = times != null ? times : steady();
    List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>(at.length);
    long longestHold = 0;
    long[] completedAt = new long[at.length];
    for (int i = 0; i < at.length; i++) {
      time.advanceTo(at[i]);
      Invalidation.Builder b = Invalidation.builder();
      if (entities) {
        int entity = i % 2_000;
        b.path("/blog/post-" + entity).tag("post:" + entity);
      } else {
        b.path("/p/" + i);
      }
      int index = i;
      CompletableFuture<InvalidationReport> f = times != null
          ? invalidator.submit(b.build()) : invalidator.invalidate(b.build());
      f.thenRun(() -> completedAt[index] = time.nanos());
      futures.add(f);
    }
    time.advanceTo(at[at.length - 1] + TimeUnit.SECONDS.toNanos(10));
    for (int i = 0; i < at.length; i++) {
      futures.get(i).join();
      longestHold = Math.max(longestHold, completedAt[i] - at[i]);
    }
    invalidator.close();
    System.out.printf(Locale.ROOT, "%-36s | %,11d | %,11d | %,15d | %9d ms%n", label, at.length,
        counting.purges.get(), counting.items.get(), TimeUnit.NANOSECONDS.toMillis(longestHold));
  }

  // ---------------------------------------------------------------------------------------------
  // The steady case again on the real clock, to check the simulation against the real timers.

  private static void realTime() {
    Counting counting = new Counting();
    Invalidator invalidator = base(counting).build();
    List<CompletableFuture<InvalidationReport>> futures = new ArrayList<>(SUBMISSIONS);
    long start = System.nanoTime();
    long lateNanos = 0;
    for (int i = 0; i < SUBMISSIONS; i++) {
      long due = start + SPREAD.toNanos() * i / SUBMISSIONS;
      long now;
      while ((now = System.nanoTime()) < due) {
        LockSupport.parkNanos(due - now);
      }
      lateNanos = Math.max(lateNanos, now - due);
      futures.add(invalidator.submit(Invalidation.builder().path("/p/" + i).build()));
    }
    CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).join();
    long elapsed = System.nanoTime() - start;
    invalidator.close();
    System.out.printf(Locale.ROOT, "%,d submissions paced over %d s (worst pacing lag %.1f ms): %d"
            + " purge call(s), %,d paths sent, all reported after %.2f s%n",
        SUBMISSIONS, SPREAD.toSeconds(), lateNanos / 1e6, counting.purges.get(),
        counting.items.get(), elapsed / 1e9);
  }

  // ---------------------------------------------------------------------------------------------

  private static Invalidator.Builder base(Counting counting) {
    Notifier noop = (endpoint, inv) -> CompletableFuture.completedFuture(Ack.of(200));
    return Invalidator.builder()
        .stage(Stage.fanout("web", Discovery.of(Endpoint.of("10.0.0.1", 3000)), noop).recheck(false))
        .stage(Stage.purge("cdn", counting))
        .listener(counting);
  }

  /** Counts purge calls, what they carried, and flushes. */
  private static final class Counting implements Purger, FanoutListener {
    final AtomicInteger purges = new AtomicInteger();
    final AtomicLong items = new AtomicLong();
    final AtomicInteger flushes = new AtomicInteger();
    final AtomicInteger submissions = new AtomicInteger();

    @Override
    public CompletionStage<PurgeResult> purge(Invalidation inv) {
      purges.incrementAndGet();
      items.addAndGet(inv.size());
      return CompletableFuture.completedFuture(PurgeResult.succeeded("cdn:count", 1, List.of()));
    }

    @Override
    public String name() {
      return "cdn:count";
    }

    @Override
    public void onFlush(Invalidation merged, int carried, int superseded) {
      flushes.incrementAndGet();
      submissions.addAndGet(carried);
    }
  }

  /**
   * A clock and a scheduler on simulated time: delayed tasks run, in time order, on the thread
   * that calls {@link #advanceTo(long)}; {@code execute} runs at once. Single-threaded use only.
   */
  private static final class VirtualTime extends AbstractExecutorService
      implements ScheduledExecutorService {
    private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");
    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private long now;
    private long seq;
    private boolean shutdown;
    /** The simulated time as a {@link Clock}. */
    final Clock clock = new Clock() {
      @Override
      public Instant instant() {
        return EPOCH.plusNanos(now);
      }

      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }
    };

    long nanos() {
      return now;
    }

    void advanceTo(long target) {
      while (!queue.isEmpty() && queue.peek().at <= target) {
        Task next = queue.poll();
        now = Math.max(now, next.at);
        next.run();
      }
      now = Math.max(now, target);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      Task t = new Task(command, now + unit.toNanos(Math.max(0, delay)), seq++);
      queue.add(t);
      return t;
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable r, long initial, long period, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable r, long initial, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void execute(Runnable command) {
      command.run();
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown = true;
      queue.clear();
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return shutdown;
    }

    @Override
    public boolean isTerminated() {
      return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) {
      throw new UnsupportedOperationException();
    }

    private final class Task implements ScheduledFuture<Object> {
      final Runnable body;
      final long at;
      final long order;
      boolean cancelled;
      boolean done;

      Task(Runnable body, long at, long order) {
        this.body = body;
        this.at = at;
        this.order = order;
      }

      void run() {
        if (!cancelled && !done) {
          done = true;
          body.run();
        }
      }

      @Override
      public long getDelay(TimeUnit unit) {
        return unit.convert(at - now, TimeUnit.NANOSECONDS);
      }

      @Override
      public int compareTo(Delayed o) {
        Task t = (Task) o;
        return at != t.at ? Long.compare(at, t.at) : Long.compare(order, t.order);
      }

      @Override
      public boolean equals(Object o) {
        return this == o;
      }

      @Override
      public int hashCode() {
        return Long.hashCode(order);
      }

      @Override
      public boolean cancel(boolean mayInterrupt) {
        if (done) {
          return false;
        }
        cancelled = true;
        done = true;
        return true;
      }

      @Override
      public boolean isCancelled() {
        return cancelled;
      }

      @Override
      public boolean isDone() {
        return done;
      }

      @Override
      public Object get() throws ExecutionException {
        return null;
      }

      @Override
      public Object get(long timeout, TimeUnit unit) throws ExecutionException {
        return null;
      }
    }
  }
}
