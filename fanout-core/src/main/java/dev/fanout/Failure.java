package dev.fanout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** A classified failure of one attempt: what the report and the retry decision need. */
record Failure(ErrorKind kind, int status, Duration retryAfter, String message) {

  static Failure of(Throwable error) {
    Throwable e = unwrap(error);
    if (e instanceof DeliveryException) {
      DeliveryException d = (DeliveryException) e;
      return new Failure(d.kind(), d.status(), d.retryAfter().orElse(null), message(d));
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
    if (e instanceof ConnectException || e instanceof UnresolvedAddressException) {
      return new Failure(ErrorKind.CONNECT, 0, null, message(e));
    }
    if (e instanceof IOException) {
      return new Failure(ErrorKind.IO, 0, null, message(e));
    }
    return new Failure(ErrorKind.INTERNAL, 0, null, e.getClass().getSimpleName() + ": " + message(e));
  }

  static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
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
