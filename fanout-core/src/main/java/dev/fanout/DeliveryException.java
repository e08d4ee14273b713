package dev.fanout;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One attempt to deliver an invalidation to one target failed. {@link dev.fanout.spi.Notifier}s
 * complete exceptionally with it so that the engine can classify the failure, decide whether to
 * retry, and honour a {@code Retry-After}. Other exceptions are classified by type (a
 * {@link java.net.ConnectException} is {@link ErrorKind#CONNECT}, any other {@link
 * java.io.IOException} is {@link ErrorKind#IO}, a timeout is {@link ErrorKind#TIMEOUT}, anything
 * else {@link ErrorKind#INTERNAL}).
 *
 * @since 0.1
 */
public class DeliveryException extends FanoutException {
  private static final long serialVersionUID = 1L;

  /** The kind of failure. */
  private final ErrorKind kind;
  /** The HTTP status, or 0. */
  private final int status;
  /** The delay the receiver asked for, or null. */
  private final Duration retryAfter;

  /**
   * Creates an exception for a failure without an HTTP status.
   *
   * @param kind what kind of failure
   * @param message a short description, without secrets
   */
  public DeliveryException(ErrorKind kind, String message) {
    this(kind, 0, null, message, null);
  }

  /**
   * Creates an exception.
   *
   * @param kind what kind of failure
   * @param status the HTTP status, or 0 when there was none
   * @param retryAfter how long the receiver asked us to wait, or {@code null}
   * @param message a short description, without secrets
   * @param cause the underlying failure, or {@code null}
   */
  public DeliveryException(
      ErrorKind kind, int status, Duration retryAfter, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.status = status;
    this.retryAfter = retryAfter;
  }

  /**
   * Creates an exception for an HTTP answer that is not an acknowledgement.
   *
   * @param status the HTTP status
   * @param retryAfter the parsed {@code Retry-After}, or {@code null}
   * @param reason a short reason (e.g. the status text or the first bytes of the body)
   * @return the exception, with the kind derived by {@link ErrorKind#ofStatus(int)}
   */
  public static DeliveryException ofStatus(int status, Duration retryAfter, String reason) {
    return new DeliveryException(ErrorKind.ofStatus(status), status, retryAfter, reason, null);
  }

  /**
   * Returns the kind of failure.
   *
   * @return the kind
   */
  public ErrorKind kind() {
    return kind;
  }

  /**
   * Returns the HTTP status, or 0 when the failure had none.
   *
   * @return the status
   */
  public int status() {
    return status;
  }

  /**
   * Returns how long the receiver asked the sender to wait before the next attempt.
   *
   * @return the delay, if the receiver gave one
   */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
