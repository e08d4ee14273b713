package dev.fanout.http;

import java.util.concurrent.CompletableFuture;

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
}
