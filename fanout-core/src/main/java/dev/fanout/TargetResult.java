package dev.fanout;

import java.time.Duration;
import java.util.Objects;

/**
 * What happened to one replica in a fan-out stage.
 *
 * @param endpoint the replica
 * @param outcome how it ended
 * @param attempts how many delivery attempts were made (0 for a skipped target)
 * @param latency from the first attempt's start to the end (ack or final failure)
 * @param errorKind the kind of the last error, or {@code null} if there was none
 * @param status the HTTP status of the last answer, or 0 when there was none
 * @param error a short, secret-free description of the last error, or {@code null}
 * @param lateJoiner true if the replica was found by the membership re-check after the fan-out
 * @param detail what the replica said when it acknowledged (e.g. a relaying replica's summary of
 *     its peers), shortened, or {@code null}
 * @since 0.1
 */
public record TargetResult(
    Endpoint endpoint,
    Outcome outcome,
    int attempts,
    Duration latency,
    ErrorKind errorKind,
    int status,
    String error,
    boolean lateJoiner,
    String detail) {

  /**
   * How delivery to one replica ended.
   *
   * @since 0.1
   */
  public enum Outcome {
    /** The replica acknowledged: its cache no longer serves what was invalidated. */
    ACKED,
    /** The replica did not acknowledge, after every attempt the retry policy and deadline allowed. */
    FAILED,
    /**
     * The replica did not acknowledge but left the tier during the fan-out (its cache went with
     * it), so it does not hold the gate.
     */
    EXCUSED,
    /** The replica was not contacted (its state was not accepted by the stage). */
    SKIPPED
  }

  /**
   * Validates the components.
   *
   * @param endpoint see the record description
   * @param outcome see the record description
   * @param attempts see the record description
   * @param latency see the record description
   * @param errorKind see the record description
   * @param status see the record description
   * @param error see the record description
   * @param lateJoiner see the record description
   * @param detail see the record description
   * @throws NullPointerException if {@code endpoint}, {@code outcome} or {@code latency} is null
   */
  public TargetResult {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(latency, "latency");
  }

  /**
   * Returns a one-line description such as {@code 10.0.3.7:3000 401 unauthorized} for failures, or
   * {@code 10.0.3.8:3000 acked} otherwise.
   *
   * @return the description
   */
  public String describe() {
    StringBuilder sb = new StringBuilder(endpoint.toString()).append(' ');
    switch (outcome) {
      case ACKED:
        return sb.append("acked").toString();
      case SKIPPED:
        return sb.append("skipped (").append(endpoint.state().name().toLowerCase(java.util.Locale.ROOT))
            .append(')').toString();
      default:
        if (status > 0) {
          sb.append(status).append(' ');
        }
        String kind = errorKind == null ? "failed" : errorKind.name().toLowerCase(java.util.Locale.ROOT);
        if (error == null || error.isEmpty()) {
          sb.append(kind);
        } else if (error.startsWith(kind)) {
          sb.append(error);
        } else {
          sb.append(kind).append(": ").append(error);
        }
        if (outcome == Outcome.EXCUSED) {
          sb.append(" (excused: left the tier)");
        }
        return sb.toString();
    }
  }
}
