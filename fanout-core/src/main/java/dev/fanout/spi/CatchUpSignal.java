package dev.fanout.spi;

/**
 * The two signals of a catch-up, sent with {@link Notifier#catchUp}. On the wire (the signed JSON
 * POST of {@code HttpNotifier}) the body is {@code {"id":"<id>","catchUp":"start"}} or {@code
 * "done"} (with the {@code "nonce"} of the start's answer), and a receiver answers {@code 200
 * {"id":"<id>","result":"catch-up","freshSince":"<ISO-8601 instant>"}}, plus a {@code "nonce"} to a
 * start (see {@link dev.fanout.catchup.CatchUpWire}).
 *
 * @since 0.2
 */
public enum CatchUpSignal {
  /** A catch-up begins; the receiver answers since when it is fresh. */
  START,
  /** The history was delivered; a receiver holding its readiness becomes ready. */
  DONE;

  /**
   * Returns the wire name: {@code start} or {@code done}.
   *
   * @return the wire name
   */
  public String wireName() {
    return this == START ? "start" : "done";
  }
}
