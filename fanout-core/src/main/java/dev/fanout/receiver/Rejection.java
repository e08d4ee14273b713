package dev.fanout.receiver;

/**
 * A request the receiver turns away: the HTTP status and a short reason for the answer. Carries no
 * stack trace; it is control flow, never logged as an error.
 */
final class Rejection extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;

  Rejection(int status, String reason) {
    super(reason, null, false, false);
    this.status = status;
  }

  int status() {
    return status;
  }

  String reason() {
    return getMessage();
  }
}
