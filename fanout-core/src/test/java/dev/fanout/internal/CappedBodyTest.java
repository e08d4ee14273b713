package dev.fanout.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

/** Tests for {@link CappedBody}. */
class CappedBodyTest {

  @Test
  void aBodyLongerThanTheLimitIsCutAtTheLimit() {
    // Given
    HttpResponse.BodySubscriber<byte[]> s = CappedBody.handler(10).apply(null);
    s.onSubscribe(new Flow.Subscription() {
      @Override
      public void request(long n) { }

      @Override
      public void cancel() { }
    });

    // When
    s.onNext(List.of(ByteBuffer.wrap("0123456".getBytes()), ByteBuffer.wrap("789abc".getBytes())));
    s.onNext(List.of(ByteBuffer.wrap("def".getBytes())));
    s.onComplete();

    // Then
    assertThat(s.getBody().toCompletableFuture().join()).isEqualTo("0123456789".getBytes());
  }
}
