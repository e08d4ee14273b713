package dev.fanout.receiver;

import dev.fanout.Invalidation;
import dev.fanout.internal.Schedulers;
import dev.fanout.internal.Timeouts;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Runs the handler at most once per {@code webhook-id}: an id whose handler succeeded answers
 * "duplicate" from the {@link ReplayCache}; an id whose handler is running shares that run's
 * outcome; an id is recorded only after its handler succeeded, so a retry after a failure runs the
 * handler again. Each request waits at most the handler timeout; the run itself continues. Thread-safe.
 */
final class OnceApplier {
  private final Function<Invalidation, CompletionStage<?>> handler;
  private final Duration handlerTimeout;
  private final ReplayCache<Boolean> applied;
  private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

  /**
   * @param retention how long an applied id is remembered; past it the timestamp check rejects a
   *     replay anyway
   */
  OnceApplier(Function<Invalidation, CompletionStage<?>> handler, Duration handlerTimeout,
      int capacity, Duration retention, Clock clock) {
    this.handler = handler;
    this.handlerTimeout = handlerTimeout;
    this.applied = new ReplayCache<>(capacity, retention, clock);
  }

  Duration handlerTimeout() {
    return handlerTimeout;
  }

  int capacity() {
    return applied.capacity;
  }

  /** How many ids are remembered now. */
  int remembered() {
    return applied.size();
  }

  /**
   * Runs the handler unless this id was applied already; joins a run of the same id in progress.
   *
   * @return "applied" or "duplicate"; or exceptionally the handler's failure, or a {@link
   *     java.util.concurrent.TimeoutException} once the handler timeout passed
   */
  CompletableFuture<String> apply(VerifiedRequest request) {
    String id = request.id();
    if (applied.contains(id)) {
      return CompletableFuture.completedFuture(Answers.DUPLICATE);
    }
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = inFlight.putIfAbsent(id, mine);
    if (running != null) {
      return bounded(running).thenApply(v -> Answers.DUPLICATE);
    }
    // A run that finished between the first check and putIfAbsent recorded the id first.
    if (applied.contains(id)) {
      inFlight.remove(id, mine);
      mine.complete(null);
      return CompletableFuture.completedFuture(Answers.DUPLICATE);
    }
    CompletionStage<?> call;
    try {
      call = handler.apply(request.invalidation());
      if (call == null) {
        call = CompletableFuture.failedFuture(new IllegalStateException("handler returned null"));
      }
    } catch (RuntimeException | Error e) {
      call = CompletableFuture.failedFuture(e);
    }
    call.whenComplete((v, e) -> {
      if (e == null) {
        applied.put(id, Boolean.TRUE);
      }
      inFlight.remove(id, mine);
      if (e == null) {
        mine.complete(null);
      } else {
        mine.completeExceptionally(e);
      }
    });
    return bounded(mine).thenApply(v -> Answers.APPLIED);
  }

  /**
   * The run itself stays in flight until it really ends; only this request's wait is bounded (the
   * timer cancels the copy, never the run), on the kernel's shared timer.
   */
  private CompletableFuture<Void> bounded(CompletableFuture<Void> run) {
    return Timeouts.within(run.copy(), handlerTimeout, Schedulers.shared(),
        () -> new TimeoutException("handler did not finish within " + handlerTimeout.toMillis() + " ms"));
  }
}
