package dev.fanout.gateway;

/**
 * Why an inbound request was refused: an HTTP status and a reason the sender can act on. The reason
 * never holds a secret or a signature; it may quote the sender's own payload (a model name, a
 * path), which the sender already knows.
 */
final class WebhookRejected extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  WebhookRejected(int status, String reason) {
    super(reason, null, false, false);
    this.status = status;
  }

  /** Returns the HTTP status to answer. */
  int status() {
    return status;
  }

  static WebhookRejected unauthorized(String reason) {
    return new WebhookRejected(401, reason);
  }

  static WebhookRejected malformed(String reason) {
    return new WebhookRejected(400, reason);
  }

  static WebhookRejected unprocessable(String reason) {
    return new WebhookRejected(422, reason);
  }
}
