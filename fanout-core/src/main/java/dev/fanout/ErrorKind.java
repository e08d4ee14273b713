package dev.fanout;

/**
 * Why an attempt to reach a target or a CDN failed. Reports carry the kind of the last error, so
 * "401 unauthorized" on one replica reads differently from "connection refused" on another.
 *
 * @since 0.1
 */
public enum ErrorKind {
  /** The connection could not be made (refused, unreachable, connect timeout). Retryable. */
  CONNECT(true),
  /** The connection broke while the request or response was in flight (reset, EOF). Retryable. */
  IO(true),
  /** The attempt did not complete within its per-attempt timeout. Retryable. */
  TIMEOUT(true),
  /** The receiver asked to slow down (HTTP 429, vendor throttling). Retryable. */
  THROTTLED(true),
  /** The receiver is temporarily unavailable (HTTP 502, 503, 504). Retryable. */
  UNAVAILABLE(true),
  /** The receiver failed (HTTP 500 and other 5xx not listed as retryable). */
  SERVER_ERROR(false),
  /** Credentials were refused (HTTP 401, 403). Not retried. */
  UNAUTHORIZED(false),
  /** The receiver rejected the request (HTTP 400, 404, 405, 410, 413 and other 4xx). Not retried. */
  REJECTED(false),
  /** The receiver answered with a redirect, which is never followed. Not retried. */
  REDIRECT(false),
  /** The receiver answered 2xx but the answer did not acknowledge the invalidation. Not retried. */
  BAD_ACK(false),
  /** The overall deadline of the invalidation passed before the target acknowledged. */
  DEADLINE(false),
  /** The invalidation was cancelled. */
  CANCELLED(false),
  /** Discovery of the targets failed. */
  DISCOVERY(false),
  /** A plug-in (notifier, purger, discovery) threw or failed in an unexpected way. Not retried. */
  INTERNAL(false);

  private final boolean retryable;

  ErrorKind(boolean retryable) {
    this.retryable = retryable;
  }

  /**
   * Returns whether an error of this kind is, by default, worth another attempt.
   *
   * @return true if retryable
   */
  public boolean isRetryable() {
    return retryable;
  }

  /**
   * Maps an HTTP status that is not 2xx to its kind: 429 {@link #THROTTLED}; 502, 503, 504
   * {@link #UNAVAILABLE}; other 5xx {@link #SERVER_ERROR}; 401, 403 {@link #UNAUTHORIZED}; other 4xx
   * {@link #REJECTED}; 3xx {@link #REDIRECT}.
   *
   * @param status the HTTP status code
   * @return the kind
   */
  public static ErrorKind ofStatus(int status) {
    if (status == 429) {
      return THROTTLED;
    }
    if (status == 502 || status == 503 || status == 504) {
      return UNAVAILABLE;
    }
    if (status >= 500) {
      return SERVER_ERROR;
    }
    if (status == 401 || status == 403) {
      return UNAUTHORIZED;
    }
    if (status >= 400) {
      return REJECTED;
    }
    if (status >= 300) {
      return REDIRECT;
    }
    return BAD_ACK;
  }
}
