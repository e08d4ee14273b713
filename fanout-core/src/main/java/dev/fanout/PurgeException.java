package dev.fanout;

import java.util.Objects;

/**
 * A CDN purge failed as a whole. {@link dev.fanout.spi.Purger}s complete exceptionally with it when
 * nothing was purged (partial success is a {@link dev.fanout.spi.PurgeResult} instead).
 *
 * @since 0.1
 */
public class PurgeException extends FanoutException {
  private static final long serialVersionUID = 1L;

  /** What was purged. */
  private final String target;
  /** The kind of failure. */
  private final ErrorKind kind;

  /**
   * Creates an exception.
   *
   * @param target what was purged, e.g. {@code cloudfront:E2QWRUHEXAMPLE}
   * @param kind what kind of failure
   * @param message what was attempted and what went wrong, without secrets
   * @param cause the underlying failure, or {@code null}
   */
  public PurgeException(String target, ErrorKind kind, String message, Throwable cause) {
    super(message, cause);
    this.target = Objects.requireNonNull(target, "target");
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  /**
   * Returns what was purged, e.g. {@code cloudfront:E2QWRUHEXAMPLE} or {@code fastly:SU1Z0isx}.
   *
   * @return the purge target
   */
  public String target() {
    return target;
  }

  /**
   * Returns the kind of failure.
   *
   * @return the kind
   */
  public ErrorKind kind() {
    return kind;
  }
}
