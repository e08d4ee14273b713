package dev.fanout.receiver;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.http.HttpNotifier;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.spi.Ack;
import dev.fanout.spi.Notifier;
import java.util.concurrent.CompletionStage;

/**
 * The relay's notifier: an {@link HttpNotifier} whose signed body carries {@code "hop":1}. The
 * notifier encodes and signs the body synchronously inside {@code deliver}, so the hop count set
 * around that call is the one it writes; {@code RelayTest} checks the body a peer receives.
 */
final class HopNotifier implements Notifier {
  static final int HOP = 1;

  private final HttpNotifier delegate;

  HopNotifier(HttpNotifier delegate) {
    this.delegate = delegate;
  }

  @Override
  public CompletionStage<Ack> deliver(Endpoint endpoint, Invalidation invalidation) {
    return InvalidationJson.withHop(HOP, () -> delegate.deliver(endpoint, invalidation));
  }

  @Override
  public String toString() {
    return delegate + " (relayed, hop " + HOP + ")";
  }
}
