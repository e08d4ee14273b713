package dev.fanout.cloudflare;

import java.time.Duration;
import java.util.Objects;

/**
 * The purge limits of one Cloudflare account: a token bucket for requests ({@code requests} per
 * {@code per}, holding at most {@code bucketSize} tokens, so that a burst of up to {@code
 * bucketSize} requests goes at once after a quiet spell), a bucket for single-file purges ({@code
 * urlsPerSecond} URLs per second), and the most items one request may carry. {@link Plan#limits()}
 * gives the documented values; build one of these for an account with other limits (Enterprise
 * contracts can raise them).
 *
 * @param requests purge requests allowed per {@code per}, {@code >= 1}
 * @param per the interval {@code requests} refer to, from 1 ms to 1 day
 * @param bucketSize the most request tokens the bucket holds, {@code >= 1}
 * @param maxOperationsPerRequest the most tags, hosts or prefixes in one request, {@code >= 1}
 * @param maxUrlsPerRequest the most URLs in one single-file purge request, {@code >= 1}
 * @param urlsPerSecond single-file purge URLs allowed per second, {@code >= 1}
 * @since 0.1
 */
public record PurgeLimits(int requests, Duration per, int bucketSize, int maxOperationsPerRequest,
    int maxUrlsPerRequest, int urlsPerSecond) {

  private static final Duration LONGEST_INTERVAL = Duration.ofDays(1);

  /**
   * Validates the components.
   *
   * @param requests see the record description
   * @param per see the record description
   * @param bucketSize see the record description
   * @param maxOperationsPerRequest see the record description
   * @param maxUrlsPerRequest see the record description
   * @param urlsPerSecond see the record description
   * @throws NullPointerException if {@code per} is null
   * @throws IllegalArgumentException if a value is out of range; the message names it
   */
  public PurgeLimits {
    Objects.requireNonNull(per, "per");
    positive(requests, "requests");
    if (per.compareTo(Duration.ofMillis(1)) < 0 || per.compareTo(LONGEST_INTERVAL) > 0) {
      throw new IllegalArgumentException("per must be from 1 ms to 1 day: " + per);
    }
    positive(bucketSize, "bucketSize");
    positive(maxOperationsPerRequest, "maxOperationsPerRequest");
    positive(maxUrlsPerRequest, "maxUrlsPerRequest");
    positive(urlsPerSecond, "urlsPerSecond");
  }

  private static void positive(int value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1: " + value);
    }
  }

  /**
   * Returns the limits of a plan; the same as {@link Plan#limits()}.
   *
   * @param plan the plan
   * @return its documented limits
   */
  public static PurgeLimits of(Plan plan) {
    return Objects.requireNonNull(plan, "plan").limits();
  }

  /**
   * Returns a copy with another request rate and bucket size.
   *
   * @param newRequests requests per {@code newPer}
   * @param newPer the interval
   * @param newBucketSize the most request tokens the bucket holds
   * @return the copy
   * @throws IllegalArgumentException if a value is out of range
   */
  public PurgeLimits withRequestRate(int newRequests, Duration newPer, int newBucketSize) {
    return new PurgeLimits(newRequests, newPer, newBucketSize, maxOperationsPerRequest,
        maxUrlsPerRequest, urlsPerSecond);
  }

  /**
   * Returns a copy with other per-request maximums, e.g. {@code withMaxPerRequest(100, 30)} for a
   * zone that still refuses more than 30 URLs per request.
   *
   * @param newMaxOperations the most tags, hosts or prefixes in one request
   * @param newMaxUrls the most URLs in one single-file purge request
   * @return the copy
   * @throws IllegalArgumentException if a value is out of range
   */
  public PurgeLimits withMaxPerRequest(int newMaxOperations, int newMaxUrls) {
    return new PurgeLimits(requests, per, bucketSize, newMaxOperations, newMaxUrls,
        urlsPerSecond);
  }

  /**
   * Returns a copy with another single-file purge rate.
   *
   * @param newUrlsPerSecond URLs per second
   * @return the copy
   * @throws IllegalArgumentException if it is less than 1
   */
  public PurgeLimits withUrlsPerSecond(int newUrlsPerSecond) {
    return new PurgeLimits(requests, per, bucketSize, maxOperationsPerRequest, maxUrlsPerRequest,
        newUrlsPerSecond);
  }

  /**
   * Returns a short description, e.g. {@code 5 requests per PT1M (bucket 25), 100 per request,
   * 800 URLs/s}.
   *
   * @return the description
   */
  @Override
  public String toString() {
    return requests + " requests per " + per + " (bucket " + bucketSize + "), "
        + maxOperationsPerRequest + " tags/hosts/prefixes and " + maxUrlsPerRequest
        + " URLs per request, " + urlsPerSecond + " URLs/s";
  }
}
