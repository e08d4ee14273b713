package dev.fanout.journal;

import static dev.fanout.internal.Checks.positive;

import dev.fanout.RetryPolicy;
import dev.fanout.spi.Lease;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * How an invalidator's journal sender claims, redelivers and gives up on journaled invalidations
 * (see {@code Invalidator.Builder.journal(...)}).
 *
 * <p>An entry whose delivery did not complete is released and sent again after a backoff ({@link
 * #backoff()}: capped exponential with full jitter, the attempt count being the entry's claims),
 * only to the targets and purgers that have not acknowledged it yet, until its age reaches {@link
 * #maxAge()} or its claims reach the backoff's {@code maxAttempts}; then it ends {@code FAILED} with
 * its last report's summary. An entry refused for its content (every failure a 4xx {@link
 * dev.fanout.ErrorKind#REJECTED}) ends {@code FAILED} at once: sending it again cannot help.
 *
 * <pre>{@code
 * RedeliveryPolicy.builder()
 *     .maxAge(Duration.ofHours(6))
 *     .backoff(new RetryPolicy(Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ofMinutes(5)))
 *     .build();
 * }</pre>
 *
 * @param maxAge how long after its acceptance an entry is still retried
 * @param backoff the delay between redeliveries of one entry, and the most claims it gets
 * @param lease how long a claim lasts; the sender renews it every third of it while sending, and
 *     another sender takes the entries over this long after their sender died
 * @param claimBatch the most entries (or entity keys) taken by one claim and merged into deliveries
 * @param pollInterval how often the sender claims when nothing woke it (retry times and ended
 *     leases come without any event)
 * @param owner this sender's name in the journal's leases, unique per sender
 * @since 0.2
 */
public record RedeliveryPolicy(
    Duration maxAge,
    RetryPolicy backoff,
    Duration lease,
    int claimBatch,
    Duration pollInterval,
    String owner) {

  /** The most entries one claim may take. */
  public static final int MAX_CLAIM_BATCH = 10_000;

  /**
   * Checks the components.
   *
   * @param maxAge see the record description
   * @param backoff see the record description
   * @param lease see the record description
   * @param claimBatch see the record description
   * @param pollInterval see the record description
   * @param owner see the record description
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException if a duration is not positive, the claim batch is outside 1 to
   *     {@value #MAX_CLAIM_BATCH}, the owner is not a valid lease owner, or the poll interval is
   *     not shorter than the lease
   */
  public RedeliveryPolicy {
    positive(maxAge, "maxAge");
    Objects.requireNonNull(backoff, "backoff");
    positive(lease, "lease");
    positive(pollInterval, "pollInterval");
    if (claimBatch < 1 || claimBatch > MAX_CLAIM_BATCH) {
      throw new IllegalArgumentException(
          "claimBatch must be 1 to " + MAX_CLAIM_BATCH + ": " + claimBatch);
    }
    Lease.checkOwner(owner);
    if (pollInterval.compareTo(lease) >= 0) {
      throw new IllegalArgumentException("pollInterval (" + pollInterval
          + ") must be shorter than the lease (" + lease + "), or taken-over entries wait a poll");
    }
  }

  /**
   * The defaults: entries retried for 24 hours, backoff from 1 s capped at 5 minutes without an
   * attempt limit, 30 s leases, 256 entries a claim, a poll every second, an owner name made of the
   * host name, the process id and a random suffix.
   *
   * @return the default policy
   */
  public static RedeliveryPolicy defaults() {
    return builder().build();
  }

  /**
   * Returns a builder with the {@linkplain #defaults() defaults}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  private static String defaultOwner() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "host";
    }
    String pid = Long.toString(ProcessHandle.current().pid());
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String name = host + "-" + pid + "-" + suffix;
    // Host names are short, but the lease owner has a hard limit.
    return name.length() > 100 ? name.substring(name.length() - 100) : name;
  }

  /**
   * Builds a {@link RedeliveryPolicy}; {@link #build()} validates. Not thread-safe.
   *
   * @since 0.2
   */
  public static final class Builder {
    private Duration maxAge = Duration.ofHours(24);
    private RetryPolicy backoff =
        new RetryPolicy(Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ofMinutes(5));
    private Duration lease = Duration.ofSeconds(30);
    private int claimBatch = 256;
    private Duration pollInterval = Duration.ofSeconds(1);
    private String owner;

    private Builder() {}

    /**
     * Sets how long after its acceptance an entry is still retried. Default 24 hours.
     *
     * @param maxAge the age, {@code > 0}
     * @return this builder
     */
    public Builder maxAge(Duration maxAge) {
      this.maxAge = maxAge;
      return this;
    }

    /**
     * Sets the backoff between redeliveries of an entry; its {@code maxAttempts} caps the claims
     * an entry gets. Default: from 1 s, capped at 5 minutes, no attempt limit.
     *
     * @param backoff the policy
     * @return this builder
     */
    public Builder backoff(RetryPolicy backoff) {
      this.backoff = backoff;
      return this;
    }

    /**
     * Sets the lease of a claim. Default 30 s: longer than a delivery's pause between renewals,
     * short enough that a crashed sender's entries are taken over soon.
     *
     * @param lease the lease, {@code > 0}
     * @return this builder
     */
    public Builder lease(Duration lease) {
      this.lease = lease;
      return this;
    }

    /**
     * Sets the most entries one claim takes. Default 256.
     *
     * @param claimBatch 1 to {@value RedeliveryPolicy#MAX_CLAIM_BATCH}
     * @return this builder
     */
    public Builder claimBatch(int claimBatch) {
      this.claimBatch = claimBatch;
      return this;
    }

    /**
     * Sets how often the sender claims when nothing woke it. Default 1 s.
     *
     * @param pollInterval the interval, {@code > 0} and shorter than the lease
     * @return this builder
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
      return this;
    }

    /**
     * Sets this sender's lease owner name. Default: host name, process id, random suffix.
     *
     * @param owner a name unique among the senders sharing the journal
     * @return this builder
     */
    public Builder owner(String owner) {
      this.owner = owner;
      return this;
    }

    /**
     * Validates and builds the policy.
     *
     * @return the policy
     * @throws IllegalArgumentException naming what is wrong (see the record's constructor)
     * @throws NullPointerException if a setting was set to null
     */
    public RedeliveryPolicy build() {
      return new RedeliveryPolicy(maxAge, backoff, lease, claimBatch, pollInterval,
          owner != null ? owner : defaultOwner());
    }
  }
}
