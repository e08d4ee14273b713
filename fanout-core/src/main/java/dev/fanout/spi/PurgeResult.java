package dev.fanout.spi;

import dev.fanout.ErrorKind;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one purger did for one invalidation.
 *
 * @param target what was purged, e.g. {@code cloudfront:E2QWRUHEXAMPLE} or {@code fastly:SU1Z0isx}
 * @param status the outcome
 * @param requests how many API requests were made (billable calls, for rate budgets)
 * @param requestIds the vendor's ids for what was submitted (CloudFront invalidation ids, Fastly
 *     purge ids), unmodifiable
 * @param notPurged the paths and tags that were not purged (empty when everything was),
 *     unmodifiable
 * @param errorKind the kind of the last error, or {@code null} when there was none
 * @param detail a short, secret-free detail for reports, or {@code null}
 * @param latency how long the purge took, as measured by the engine
 * @since 0.1
 */
public record PurgeResult(
    String target,
    Status status,
    int requests,
    List<String> requestIds,
    List<String> notPurged,
    ErrorKind errorKind,
    String detail,
    Duration latency) {

  /**
   * How a purge ended.
   *
   * @since 0.1
   */
  public enum Status {
    /** Everything was purged (or accepted for purging by the vendor). */
    SUCCEEDED,
    /** Some or all of it was not purged; {@link #notPurged()} lists what. */
    FAILED,
    /** The purge did not run because an earlier stage did not meet its gate. */
    SKIPPED
  }

  /**
   * Validates the components.
   *
   * @param target see the record description
   * @param status see the record description
   * @param requests see the record description
   * @param requestIds see the record description
   * @param notPurged see the record description
   * @param errorKind see the record description
   * @param detail see the record description
   * @param latency see the record description
   * @throws NullPointerException if a required component is null
   * @throws IllegalArgumentException if {@code requests} is negative
   */
  public PurgeResult {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(status, "status");
    requestIds = List.copyOf(requestIds);
    notPurged = List.copyOf(notPurged);
    latency = latency == null ? Duration.ZERO : latency;
    if (requests < 0) {
      throw new IllegalArgumentException("requests must be >= 0: " + requests);
    }
  }

  /**
   * Returns a successful result.
   *
   * @param target what was purged
   * @param requests how many API requests were made
   * @param requestIds the vendor's ids
   * @return the result
   */
  public static PurgeResult succeeded(String target, int requests, List<String> requestIds) {
    return new PurgeResult(
        target, Status.SUCCEEDED, requests, requestIds, List.of(), null, null, Duration.ZERO);
  }

  /**
   * Returns a failed result.
   *
   * @param target what was purged
   * @param kind the kind of the last error
   * @param detail a short, secret-free description
   * @param notPurged what was not purged
   * @return the result
   */
  public static PurgeResult failed(
      String target, ErrorKind kind, String detail, List<String> notPurged) {
    return new PurgeResult(
        target, Status.FAILED, 0, List.of(), notPurged, kind, detail, Duration.ZERO);
  }

  /**
   * Returns a copy with another request count and request ids.
   *
   * @param newRequests the number of API requests made
   * @param newRequestIds the vendor ids
   * @return the copy
   */
  public PurgeResult withRequests(int newRequests, List<String> newRequestIds) {
    return new PurgeResult(
        target, status, newRequests, newRequestIds, notPurged, errorKind, detail, latency);
  }

  /**
   * Returns a copy with another latency; the engine sets it.
   *
   * @param newLatency the latency
   * @return the copy
   */
  public PurgeResult withLatency(Duration newLatency) {
    return new PurgeResult(
        target, status, requests, requestIds, notPurged, errorKind, detail, newLatency);
  }

  /**
   * Returns whether the purge succeeded.
   *
   * @return true if {@link #status()} is {@link Status#SUCCEEDED}
   */
  public boolean isSuccess() {
    return status == Status.SUCCEEDED;
  }
}
