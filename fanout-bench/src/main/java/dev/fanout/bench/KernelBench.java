package dev.fanout.bench;

import dev.fanout.RetryPolicy;
import dev.fanout.internal.Limiter;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Schedulers;
import dev.fanout.internal.Timeouts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the kernel adds to every attempt of a fan-out: a limiter permit taken and given back, a
 * timer armed on the scheduler and cancelled when the call completes, and (after a failure) one
 * retry decision. A fan-out to N replicas pays the first two N times, so they must stay far below
 * the microseconds a loopback request takes.
 *
 * <p>Run: {@code mvn -B -ntp -q -pl fanout-bench -am package -DskipTests} then {@code java -cp
 * "$(cat fanout-bench/target/classpath.txt)" org.openjdk.jmh.Main KernelBench}; BENCHMARKS.md has
 * the figures and the exact command.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KernelBench {
  private ScheduledExecutorService timer;
  private Limiter limiter;
  private Retry retry;
  private final Runnable noop = () -> { };

  /** Starts a real timer thread, as a component built without a scheduler has. */
  @Setup(Level.Trial)
  public void start() {
    timer = Schedulers.newTimer("bench-timer");
    limiter = new Limiter(1024, Runnable::run);
    retry = new Retry(RetryPolicy.defaults(), new SplittableRandom(7));
  }

  /** Stops the timer thread. */
  @TearDown(Level.Trial)
  public void stop() {
    timer.shutdownNow();
  }

  /**
   * A permit taken on the calling thread and given back.
   *
   * @return the permits free afterwards
   */
  @Benchmark
  public int limiterPermit() {
    limiter.acquireHere(noop);
    limiter.release();
    return limiter.available();
  }

  /**
   * A call bounded by a five-second timer that completes at once: the timer is armed and
   * cancelled, as for almost every attempt.
   *
   * @return the bounded future
   */
  @Benchmark
  public CompletableFuture<String> timeoutArmedAndCancelled() {
    CompletableFuture<String> call = new CompletableFuture<>();
    CompletableFuture<String> bounded =
        Timeouts.within(call, Duration.ofSeconds(5), timer, TimeoutException::new);
    call.complete("ok");
    return bounded;
  }

  /** Calls per wave in the two benchmarks below: a fan-out's first attempts are all in flight at once. */
  private static final int WAVE = 1000;

  /**
   * A wave of calls, each bounded by a timer of its own (armed while all are in flight, then
   * cancelled as each completes): per call.
   *
   * @return the last bounded future
   */
  @Benchmark
  @OperationsPerInvocation(WAVE)
  public CompletableFuture<String> waveOfTimers() {
    List<CompletableFuture<String>> calls = new ArrayList<>(WAVE);
    CompletableFuture<String> last = null;
    for (int i = 0; i < WAVE; i++) {
      CompletableFuture<String> call = new CompletableFuture<>();
      calls.add(call);
      last = Timeouts.within(call, Duration.ofSeconds(5), timer, TimeoutException::new);
    }
    for (CompletableFuture<String> c : calls) {
      c.complete("ok");
    }
    return last;
  }

  /**
   * The same wave in one {@link Timeouts.Batch}: one timer armed for all of them, cancelled when
   * the last completes; per call.
   *
   * @return the last bounded future
   */
  @Benchmark
  @OperationsPerInvocation(WAVE)
  public CompletableFuture<String> waveInOneBatch() {
    List<CompletableFuture<String>> calls = new ArrayList<>(WAVE);
    CompletableFuture<String> last = null;
    Timeouts.Batch batch = Timeouts.batch(Duration.ofSeconds(5), timer);
    for (int i = 0; i < WAVE; i++) {
      CompletableFuture<String> call = new CompletableFuture<>();
      calls.add(call);
      last = batch.add(call, TimeoutException::new);
    }
    batch.close();
    for (CompletableFuture<String> c : calls) {
      c.complete("ok");
    }
    return last;
  }

  /**
   * The decision after a failed second attempt: a jittered backoff inside a deadline.
   *
   * @return the decision
   */
  @Benchmark
  public Retry.Decision retryDecision() {
    return retry.next(2, null, Duration.ofSeconds(30));
  }
}
