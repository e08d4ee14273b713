package dev.fanout.cloudflare;

import java.time.Duration;

/**
 * Cloudflare plans and their purge limits, as documented on developers.cloudflare.com, "Purge
 * cache" (https://developers.cloudflare.com/cache/how-to/purge-cache/, purge limits, read
 * 2026-12). The limits apply per account, shared by every zone, API token and client of the
 * account, as token buckets. For an account with other limits, give {@link PurgeLimits} directly.
 *
 * @since 0.1
 */
public enum Plan {
  /** 5 requests per minute, bucket of 25; 100 items per request; 800 URLs per second. */
  FREE(new PurgeLimits(5, Duration.ofMinutes(1), 25, 100, 100, 800)),
  /** 5 requests per second, bucket of 25; 100 items per request; 1,500 URLs per second. */
  PRO(new PurgeLimits(5, Duration.ofSeconds(1), 25, 100, 100, 1_500)),
  /** 10 requests per second, bucket of 50; 100 items per request; 1,500 URLs per second. */
  BUSINESS(new PurgeLimits(10, Duration.ofSeconds(1), 50, 100, 100, 1_500)),
  /**
   * 50 requests per second, bucket of 500; 100 tags, hosts or prefixes and 500 URLs per request;
   * 3,000 URLs per second.
   */
  ENTERPRISE(new PurgeLimits(50, Duration.ofSeconds(1), 500, 100, 500, 3_000));

  private final PurgeLimits limits;

  Plan(PurgeLimits limits) {
    this.limits = limits;
  }

  /**
   * Returns the documented purge limits of this plan.
   *
   * @return the limits
   */
  public PurgeLimits limits() {
    return limits;
  }
}
