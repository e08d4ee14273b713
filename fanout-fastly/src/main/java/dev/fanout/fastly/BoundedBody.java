package dev.fanout.fastly;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads a response body but keeps only its first {@code max} bytes, so that a misbehaving or
 * hostile endpoint cannot make the purger buffer an unbounded body. The rest is read and dropped;
 * an endless body is cut off by the per-request timeout.
 */
final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
  private final int max;
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private final CompletableFuture<byte[]> body = new CompletableFuture<>();

  private BoundedBody(int max) {
    this.max = max;
  }

  static HttpResponse.BodyHandler<byte[]> handler(int max) {
    return info -> new BoundedBody(max);
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return body;
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    subscription.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    for (ByteBuffer b : items) {
      int room = max - kept.size();
      int n = Math.min(room, b.remaining());
      if (n > 0) {
        byte[] chunk = new byte[n];
        b.get(chunk);
        kept.write(chunk, 0, n);
      }
    }
  }

  @Override
  public void onError(Throwable throwable) {
    body.completeExceptionally(throwable);
  }

  @Override
  public void onComplete() {
    body.complete(kept.toByteArray());
  }
}
