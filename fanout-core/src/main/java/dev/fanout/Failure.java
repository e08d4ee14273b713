package dev.fanout;

import dev.fanout.internal.Futures;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * A classified failure of one attempt: what the report and the retry decision need, and whether it
 * says that nothing listens at the target's address any more ({@code unreachable}: the connection
 * was refused, or the host or port was unreachable), the only failure the membership re-check may
 * take as a sign that the replica left.
 */
record Failure(ErrorKind kind, int status, Duration retryAfter, String message, boolean unreachable) {

  Failure(ErrorKind kind, int status, Duration retryAfter, String message) {
    this(kind, status, retryAfter, message, false);
  }

  Failure withMessage(String newMessage) {
    return new Failure(kind, status, retryAfter, newMessage, unreachable);
  }

  static Failure of(Throwable error) {
    Throwable e = Futures.unwrap(error);
    if (e instanceof DeliveryException) {
      DeliveryException d = (DeliveryException) e;
      return new Failure(d.kind(), d.status(), d.retryAfter().orElse(null), message(d),
          d.status() == 0 && refusedOrUnreachable(d));
    }
    if (e instanceof PurgeException) {
      return new Failure(((PurgeException) e).kind(), 0, null, message(e));
    }
    if (e instanceof DiscoveryException) {
      return new Failure(ErrorKind.DISCOVERY, 0, null, message(e));
    }
    if (e instanceof CancellationException) {
      return new Failure(ErrorKind.CANCELLED, 0, null, "cancelled");
    }
    if (e instanceof HttpConnectTimeoutException) {
      return new Failure(ErrorKind.CONNECT, 0, null, "connect timed out");
    }
    if (e instanceof TimeoutException || e instanceof HttpTimeoutException) {
      return new Failure(ErrorKind.TIMEOUT, 0, null, message(e));
    }
    if (refusedOrUnreachable(e)) {
      return new Failure(ErrorKind.CONNECT, 0, null, message(e), true);
    }
    if (e instanceof UnresolvedAddressException) {
      return new Failure(ErrorKind.CONNECT, 0, null, message(e));
    }
    if (e instanceof IOException) {
      return new Failure(ErrorKind.IO, 0, null, message(e));
    }
    return new Failure(ErrorKind.INTERNAL, 0, null, e.getClass().getSimpleName() + ": " + message(e));
  }

  /**
   * Whether the connection was refused or its destination unreachable, at any depth of causes:
   * {@link ConnectException} (what both transports report for a refused connect), {@link
   * NoRouteToHostException}, {@link PortUnreachableException}. A connect timeout is not: a live but
   * overloaded replica drops SYNs too.
   */
  private static boolean refusedOrUnreachable(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ConnectException || c instanceof NoRouteToHostException
          || c instanceof PortUnreachableException) {
        return true;
      }
    }
    return false;
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      Throwable c = e.getCause();
      m = c != null && c.getMessage() != null ? c.getMessage() : e.getClass().getSimpleName();
    }
    // Keep report lines short; a multi-kilobyte body excerpt helps nobody in a summary.
    m = m.replace('\n', ' ').replace('\r', ' ');
    return m.length() > 200 ? m.substring(0, 200) + "..." : m;
  }
}
