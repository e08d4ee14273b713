package dev.fanout.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * How {@link HttpNotifier}'s requests travel: fanout's own HTTP/1.1 client ({@link NioHttp}) or
 * {@code java.net.http} ({@link JdkHttp}). Both refuse the same malformed framing, never follow
 * redirects, read at most a capped body, and abandon the request when the returned future is
 * cancelled.
 */
interface HttpTransport extends AutoCloseable {
  /**
   * What came back.
   *
   * @param status the HTTP status
   * @param body the body, up to the cap
   * @param retryAfter the {@code Retry-After} header, or null
   */
  record Response(int status, byte[] body, String retryAfter) {}

  /**
   * Sends one request.
   *
   * @param request the request
   * @return the response; cancelling it abandons the request
   */
  CompletableFuture<Response> send(WireRequest request);

  /**
   * The name {@code HttpNotifier.toString()} shows.
   *
   * @return {@code nio} or {@code jdk}
   */
  String name();

  /** Stops the threads this transport started; a client given by the user is left alone. */
  @Override
  void close();

  /**
   * Returns {@code derived}, which cancels {@code source} when it is cancelled itself: a mapped
   * future does not pass cancellation back on its own, and the engine cancels a timed-out attempt.
   */
  static <T> CompletableFuture<T> cancelling(CompletableFuture<?> source, CompletableFuture<T> derived) {
    derived.whenComplete((v, e) -> {
      if (derived.isCancelled()) {
        source.cancel(true);
      }
    });
    return derived;
  }

  /**
   * Returns {@code source}'s value mapped by {@code map}, completing as {@code thenApply} would
   * (failures wrapped in a {@link CompletionException}), and cancelling {@code source} when it is
   * cancelled itself. One future and one callback per request, where {@code thenApply} plus {@link
   * #cancelling} take two of each: this runs once per target of every fan-out.
   */
  static <S, T> CompletableFuture<T> map(CompletableFuture<S> source, Function<? super S, ? extends T> map) {
    Mapped<T> out = new Mapped<>(source);
    source.whenComplete((value, error) -> {
      if (error != null) {
        out.completeExceptionally(error instanceof CompletionException ? error : new CompletionException(error));
        return;
      }
      try {
        out.complete(map.apply(value));
      } catch (Throwable e) {
        out.completeExceptionally(e instanceof CompletionException ? e : new CompletionException(e));
      }
    });
    return out;
  }

  /** A future that cancels the one it was derived from when it is cancelled. */
  final class Mapped<T> extends CompletableFuture<T> {
    private final CompletableFuture<?> source;

    private Mapped(CompletableFuture<?> source) {
      this.source = source;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled) {
        source.cancel(true);
      }
      return cancelled;
    }
  }
}
