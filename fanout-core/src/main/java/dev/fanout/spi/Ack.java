package dev.fanout.spi;

/**
 * A replica's acknowledgement of an invalidation.
 *
 * @param status the HTTP status of the acknowledgement, or 0 for a transport without one
 * @param detail a short detail for reports (e.g. what a relaying replica reported for its peers),
 *     or {@code null}
 * @since 0.1
 */
public record Ack(int status, String detail) {

  /**
   * Returns an acknowledgement without detail.
   *
   * @param status the HTTP status, or 0
   * @return the acknowledgement
   */
  public static Ack of(int status) {
    return new Ack(status, null);
  }
}
