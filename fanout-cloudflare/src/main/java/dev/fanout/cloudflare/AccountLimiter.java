package dev.fanout.cloudflare;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The purge rate limit of one Cloudflare account, kept once per JVM: Cloudflare counts purges per
 * account, whichever zone, token or purger sends them, so every {@link CloudflarePurger} of an
 * account draws from the same buckets. This class holds every rate-limit decision of the module.
 *
 * <p>Two token buckets, kept in the GCRA form (one "theoretical arrival time" per bucket, in
 * nanoseconds of the clock) so that waits are exact: one for requests ({@link
 * PurgeLimits#requests()} per {@link PurgeLimits#per()}, holding {@link PurgeLimits#bucketSize()}),
 * one for single-file purge URLs ({@link PurgeLimits#urlsPerSecond()}, holding one second's worth,
 * or one full request if that is more). A request is a reservation on both: it is given the
 * earliest instant at which both have room and is charged at that instant, so requests that wait
 * are served in the order they asked. A request that could only go after the caller's deadline is
 * refused without being charged. Both buckets start full.
 */
final class AccountLimiter {
  private static final ConcurrentMap<String, AccountLimiter> ACCOUNTS = new ConcurrentHashMap<>();

  private final String accountId;
  private final PurgeLimits limits;
  private final Clock clock;
  private final Bucket requests;
  private final Bucket urls;

  private AccountLimiter(String accountId, PurgeLimits limits, Clock clock) {
    this.accountId = accountId;
    this.limits = limits;
    this.clock = clock;
    this.requests = new Bucket(limits.requests(), limits.per().toNanos(), limits.bucketSize());
    int urlCapacity = Math.max(limits.urlsPerSecond(), limits.maxUrlsPerRequest());
    this.urls = new Bucket(limits.urlsPerSecond(), Duration.ofSeconds(1).toNanos(), urlCapacity);
  }

  /**
   * Returns the account's limiter, creating it on first use.
   *
   * @throws IllegalStateException if the account already has a limiter with other limits or
   *     another clock: two sets of buckets for one account would let the JVM exceed its limit
   */
  static AccountLimiter forAccount(String accountId, PurgeLimits limits, Clock clock) {
    AccountLimiter l =
        ACCOUNTS.computeIfAbsent(accountId, id -> new AccountLimiter(id, limits, clock));
    if (!l.limits.equals(limits)) {
      throw new IllegalStateException("account " + accountId + " already has purgers with limits ["
          + l.limits + "] in this JVM; every purger of one account must use the same plan or"
          + " limits, got [" + limits + "]");
    }
    if (!l.clock.equals(clock)) {
      throw new IllegalStateException("account " + accountId + " already has purgers in this JVM"
          + " on another clock (" + l.clock + "); every purger of one account must use the same"
          + " clock");
    }
    return l;
  }

  PurgeLimits limits() {
    return limits;
  }

  /**
   * Reserves one request carrying {@code urlCount} single-file URLs.
   *
   * @param urlCount URLs in the request (0 for tags, hosts and prefixes)
   * @param latest the latest instant the request may be sent at
   * @return how long to wait before sending (zero: at once), or null when the request could not
   *     be sent by {@code latest}; then nothing is charged
   */
  synchronized Duration reserve(int urlCount, Instant latest) {
    long now = nanos(clock.instant());
    long at = Math.max(requests.allowedAt(1, now), urlCount > 0 ? urls.allowedAt(urlCount, now) : now);
    if (at > nanos(latest)) {
      return null;
    }
    requests.charge(1, at);
    if (urlCount > 0) {
      urls.charge(urlCount, at);
    }
    return Duration.ofNanos(at - now);
  }

  /**
   * Empties the request bucket: Cloudflare answered 429, so something else (another JVM, the
   * dashboard, another client of the account) is spending the same tokens, and every purger of
   * the account in this JVM should slow down, not only the one that was refused.
   */
  synchronized void throttled() {
    requests.empty(nanos(clock.instant()));
  }

  /** How long until a request without URLs could go, for messages and tests. */
  synchronized Duration nextRequestIn() {
    long now = nanos(clock.instant());
    return Duration.ofNanos(requests.allowedAt(1, now) - now);
  }

  @Override
  public String toString() {
    return "AccountLimiter[" + accountId + ": " + limits + "]";
  }

  private static long nanos(Instant i) {
    return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000_000L), i.getNano());
  }

  /**
   * One token bucket as a theoretical arrival time: the bucket is full when {@code tat <= now},
   * and holds {@code (burst - (tat - now)) / interval} tokens otherwise.
   */
  private static final class Bucket {
    private final long count;
    private final long perNanos;
    private final long burstNanos;
    private long tat = Long.MIN_VALUE;

    Bucket(long count, long perNanos, long capacity) {
      this.count = count;
      this.perNanos = perNanos;
      this.burstNanos = cost(capacity);
    }

    /** Nanoseconds of refill that {@code tokens} tokens take, rounded up. */
    long cost(long tokens) {
      return Math.floorDiv(Math.multiplyExact(tokens, perNanos) + count - 1, count);
    }

    /** The earliest instant, not before {@code now}, at which {@code tokens} fit. */
    long allowedAt(long tokens, long now) {
      long base = Math.max(tat, now);
      return Math.max(now, base + cost(tokens) - burstNanos);
    }

    void charge(long tokens, long at) {
      tat = Math.max(tat, at) + cost(tokens);
    }

    void empty(long now) {
      tat = Math.max(tat, now + burstNanos);
    }
  }
}
