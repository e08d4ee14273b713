package dev.fanout.catchup;

import dev.fanout.DeliveryException;
import dev.fanout.Endpoint;
import dev.fanout.ErrorKind;
import dev.fanout.Stage;
import dev.fanout.internal.Futures;
import dev.fanout.spi.CatchUpAnswer;
import dev.fanout.spi.CatchUpSignal;
import dev.fanout.spi.Notifier;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One attempt to catch one replica up: ask since when it is fresh ({@link CatchUpSignal#START}),
 * read the history of the window narrowed to that, deliver it through the stage's notifier (chunked
 * and signed like any delivery), then tell it that it is caught up ({@link CatchUpSignal#DONE}).
 */
final class CatchUpAttempt {
  /** What the attempt got to: filled in as it goes, so that a failure reports how far it came. */
  static final class Progress {
    volatile Instant since;
    volatile Instant freshSince;
    volatile History history;
    /** The start's nonce, which the done carries back (a receiver holding readiness checks it). */
    volatile String nonce;
  }

  private final Stage.Fanout stage;
  private final CatchUpPolicy policy;
  private final Context ctx;
  private final Endpoint endpoint;
  final Progress progress = new Progress();

  CatchUpAttempt(Stage.Fanout stage, CatchUpPolicy policy, Context ctx, Endpoint endpoint) {
    this.stage = stage;
    this.policy = policy;
    this.ctx = ctx;
    this.endpoint = endpoint;
  }

  CompletableFuture<Progress> run() {
    String id = "catchup_" + Long.toHexString(ctx.nextLong() & Long.MAX_VALUE);
    Notifier notifier = stage.notifier();
    Duration timeout = stage.attemptTimeout();
    Instant windowStart = ctx.clock().instant().minus(policy.window());
    return signal(notifier, id + ":start", CatchUpSignal.START, null, timeout)
        .thenApplyAsync(answer -> {
          progress.freshSince = answer.freshSince();
          progress.nonce = answer.nonce();
          Instant since = answer.freshSinceIfKnown().map(f -> f.minus(policy.clockSkew()))
              .filter(f -> f.isAfter(windowStart)).orElse(windowStart);
          progress.since = since;
          History history = ctx.history().since(since);
          progress.history = history;
          return history;
        }, ctx.executor())
        .thenCompose(history -> {
          if (history.isEmpty()) {
            return CompletableFuture.completedFuture(null);
          }
          // A long history is several requests, at most 4 in flight to one replica: give it time.
          int requests = 1 + (history.paths().size() + history.tags().size()) / 1000;
          Duration bound = timeout.multipliedBy(Math.max(1, (requests + 3) / 4));
          return ctx.within(notifier.deliver(endpoint, history.toInvalidation(id)), bound, "history delivery");
        })
        .thenCompose(ack -> signal(notifier, id + ":done", CatchUpSignal.DONE, progress.nonce, timeout))
        .thenApply(done -> {
          if (done.notCounted()) {
            throw new NotCounted();
          }
          return progress;
        });
  }

  /**
   * The replica answered the done with {@code "caughtUp":false}: it does not hold the start's nonce
   * (it restarted since, or the nonce was pushed out), so it is not caught up. Retryable: a fresh
   * start gets a fresh nonce.
   */
  static final class NotCounted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotCounted() {
      super("the replica did not count the done (it does not hold the start's nonce)", null, false, false);
    }
  }

  /**
   * Sends a signal; a receiver that refuses it for good (an older receiver answers 400) just does
   * not narrow the window or hold its readiness, so only a retryable failure fails the attempt.
   */
  private CompletableFuture<CatchUpAnswer> signal(
      Notifier notifier, String id, CatchUpSignal signal, String nonce, Duration timeout) {
    CompletableFuture<CatchUpAnswer> call;
    try {
      call = ctx.within(notifier.catchUp(endpoint, id, signal, nonce), timeout, "catch-up " + signal.wireName());
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.handle((answer, error) -> {
      if (error == null) {
        return answer == null ? CatchUpAnswer.NONE : answer;
      }
      if (isRetryable(error)) {
        throw error instanceof CompletionException c ? c : new CompletionException(error);
      }
      CatchUpService.LOG.debug("catch-up {} {}: signal {} refused ({}); going on without it",
          stage.name(), endpoint.authority(), signal.wireName(), describe(error));
      return CatchUpAnswer.NONE;
    });
  }

  /** Retryable: what a retry may fix. A refusal (400, 401, 403, 404) needs a person. */
  static boolean isRetryable(Throwable error) {
    Throwable cause = Futures.unwrap(error);
    if (cause instanceof DeliveryException d) {
      return d.kind().isRetryable() || d.kind() == ErrorKind.SERVER_ERROR;
    }
    return !(cause instanceof IllegalArgumentException || cause instanceof IllegalStateException);
  }

  /**
   * Whether a replica still discovered is tried again every {@code maxDelay} once the retries are
   * used up. Not after dones it never counted: each attempt sends it the whole history, and a
   * replica that answers but keeps refusing is tried again when it appears again instead.
   */
  static boolean keepTrying(Throwable error) {
    return !(Futures.unwrap(error) instanceof NotCounted);
  }

  /** The kind of a failure, for metrics: a delivery's own, a timeout, or null (another cause). */
  static ErrorKind kind(Throwable error) {
    Throwable cause = Futures.unwrap(error);
    if (cause instanceof DeliveryException d) {
      return d.kind();
    }
    return cause instanceof java.util.concurrent.TimeoutException ? ErrorKind.TIMEOUT : null;
  }

  static String describe(Throwable error) {
    Throwable cause = Futures.unwrap(error);
    if (cause instanceof DeliveryException d) {
      String kind = d.kind().name().toLowerCase(Locale.ROOT);
      String message = d.getMessage() == null ? "" : d.getMessage();
      return (d.status() > 0 ? d.status() + " " : "") + (message.startsWith(kind) ? message
          : message.isEmpty() ? kind : kind + ": " + message);
    }
    String message = cause.getMessage();
    return message == null || message.isEmpty() ? cause.getClass().getSimpleName() : message;
  }
}
