package dev.fanout.micrometer;

import dev.fanout.DeliveryException;
import dev.fanout.DiscoveryException;
import dev.fanout.ErrorKind;
import dev.fanout.PurgeException;
import dev.fanout.internal.Futures;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * The error kind of a failed attempt, for the {@code fanout.attempts} tag. {@code onAttemptEnd}
 * hands over the raw failure, and the engine's own classification is not public; this follows the
 * rules documented on {@link DeliveryException} in the same order as the engine does. It goes away
 * once the listener event carries the kind.
 */
final class ErrorKinds {
  private ErrorKinds() {}

  static ErrorKind of(Throwable error) {
    Throwable e = Futures.unwrap(error);
    if (e instanceof DeliveryException) {
      return ((DeliveryException) e).kind();
    }
    if (e instanceof PurgeException) {
      return ((PurgeException) e).kind();
    }
    if (e instanceof DiscoveryException) {
      return ErrorKind.DISCOVERY;
    }
    if (e instanceof CancellationException) {
      return ErrorKind.CANCELLED;
    }
    if (e instanceof HttpConnectTimeoutException) {
      return ErrorKind.CONNECT;
    }
    if (e instanceof TimeoutException || e instanceof HttpTimeoutException) {
      return ErrorKind.TIMEOUT;
    }
    if (e instanceof ConnectException || e instanceof UnresolvedAddressException) {
      return ErrorKind.CONNECT;
    }
    if (e instanceof IOException) {
      return ErrorKind.IO;
    }
    return ErrorKind.INTERNAL;
  }
}
