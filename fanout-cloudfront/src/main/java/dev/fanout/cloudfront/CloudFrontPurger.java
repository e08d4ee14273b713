// Over 500 lines for one job: the purger's public face (purge, the limits, the Builder and their documentation, over a third of the file); planning is in Planner, each purge in PurgeRun.
package dev.fanout.cloudfront;

import static dev.fanout.internal.Checks.positive;

import dev.fanout.ErrorKind;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Schedulers;
import dev.fanout.internal.Tasks;
import dev.fanout.Invalidation;
import dev.fanout.PurgeException;
import dev.fanout.RetryPolicy;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.cloudfront.CloudFrontAsyncClient;

/**
 * Purges an Amazon CloudFront distribution with {@code CreateInvalidation}, over a {@link
 * CloudFrontAsyncClient} the caller builds (this library never creates or reads credentials).
 *
 * <pre>{@code
 * CloudFrontAsyncClient cf = CloudFrontAsyncClient.builder()
 *     .region(Region.AWS_GLOBAL)
 *     .overrideConfiguration(o -> o.apiCallAttemptTimeout(Duration.ofSeconds(5)))
 *     .build();
 * CloudFrontPurger purger = CloudFrontPurger.builder()
 *     .client(cf)
 *     .distributionId("E2QWRUHEXAMPLE")
 *     .tagInvalidation(true)                        // #tag items; the distribution must tag objects
 *     .waitForCompletion(Duration.ofMinutes(2))     // optional: poll until Completed
 *     .build();
 * }</pre>
 *
 * <h2>What a purge does</h2>
 *
 * <ol>
 *   <li><b>Plans</b> (see {@link #plan(Invalidation)}): paths are percent-encoded where CloudFront
 *       requires it, and rejected up front when they cannot be sent ({@code *} before the end, more
 *       than {@value #MAX_PATH_LENGTH} characters); tags become {@code #tag} items when tag
 *       invalidation is on; the optional collapse policy replaces many paths under one directory
 *       with a wildcard; paths a wildcard already covers are dropped; the rest is split into
 *       batches within the in-flight limits.
 *   <li><b>Sends</b> each batch with a {@code CallerReference} derived from the invalidation id and
 *       the batch, so a resend (after a timeout, or a retried purge) returns the invalidation
 *       CloudFront already created instead of creating and billing another one.
 *   <li><b>Stays within the in-flight limits</b>, both ways: it counts what it submitted that may
 *       still be in progress and never sends past {@value #MAX_IN_FLIGHT_PATHS} paths / {@value
 *       #MAX_IN_FLIGHT_WILDCARDS} wildcard paths by itself (a batch waits, and the purger polls
 *       {@code GetInvalidation} for the oldest ones until there is room); and when CloudFront still
 *       answers {@code TooManyInvalidationsInProgress} (other writers share the distribution; the
 *       SDK does not retry it), it resends the same batch after a capped, jittered backoff, for at
 *       most the {@link Builder#deadline(Duration) deadline}.
 *   <li><b>Optionally waits</b> until every invalidation it created is {@code Completed}.
 * </ol>
 *
 * <p>Throttling ({@code Throttling}) and 5xx answers are retried by the SDK according to the
 * client's retry strategy; the purger adds no second retry loop around them. {@code AccessDenied},
 * {@code NoSuchDistribution}, {@code InvalidArgument} and other rejections fail at once with a
 * message that names the distribution, and no further batch of that purge is sent.
 *
 * <h2>Results</h2>
 *
 * <p>The returned future completes with a {@link PurgeResult} whose {@link
 * PurgeResult#requestIds()} are the CloudFront invalidation ids and whose {@link
 * PurgeResult#detail()} gives their last known status. When some batches were accepted and others
 * were not, the result is {@link PurgeResult.Status#FAILED} and lists what was not purged; when
 * nothing was accepted, the future completes exceptionally with a {@link PurgeException}. When the
 * caller cancels the future (the engine does at the invalidation's deadline), no further batch is
 * sent; batches already sent cannot be recalled from CloudFront.
 *
 * <p>Instances are immutable, thread-safe and non-blocking. Share one purger per distribution: the
 * in-flight count is kept per purger.
 *
 * @since 0.1
 */
public final class CloudFrontPurger implements Purger {

  /**
   * Most non-wildcard paths (tag items included) in progress per distribution at once; a batch that
   * would go past it is rejected whole.
   * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-invalidations
   */
  public static final int MAX_IN_FLIGHT_PATHS = 3_000;

  /**
   * Most wildcard paths in progress per distribution at once, a budget separate from {@link
   * #MAX_IN_FLIGHT_PATHS}.
   * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-invalidations
   */
  public static final int MAX_IN_FLIGHT_WILDCARDS = 15;

  /**
   * Longest invalidation path, in characters (after percent-encoding).
   * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html
   */
  public static final int MAX_PATH_LENGTH = 4_000;

  /**
   * Longest cache tag, in characters (without the {@code #}); tags are visible ASCII without commas
   * and compare case-insensitively.
   * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-tags.html
   */
  public static final int MAX_TAG_LENGTH = 256;

  /** Default interval between {@code GetInvalidation} polls: 5 seconds. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(5);

  /**
   * Default bound on one SDK attempt, applied to the purger's requests when the caller's client sets
   * no {@code apiCallAttemptTimeout}: 10 seconds.
   */
  public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Default bound on one SDK call including its retries, applied when the caller's client sets no
   * {@code apiCallTimeout}: 30 seconds.
   */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Default deadline of one batch, its wait for in-flight room and its resends after {@code
   * TooManyInvalidationsInProgress} included: 5 minutes.
   */
  public static final Duration DEFAULT_DEADLINE = Duration.ofMinutes(5);

  /**
   * Default resends after {@code TooManyInvalidationsInProgress}: as many as fit in the deadline,
   * full-jitter backoff from 5 seconds capped at 1 minute.
   */
  public static final RetryPolicy DEFAULT_RETRY =
      new RetryPolicy(Integer.MAX_VALUE, Duration.ofSeconds(5), Duration.ofMinutes(1));

  /**
   * An invalidation whose status cannot be read stops counting against the in-flight limits after
   * this long. CloudFront reports completion within 25 s at P95
   * (https://aws.amazon.com/about-aws/whats-new/2026/04/cloudfront-invalidation-cache-tag/), so
   * this is a safety net, not a schedule.
   */
  static final Duration ASSUME_COMPLETED_AFTER = Duration.ofMinutes(15);

  /** How many of the oldest in-flight invalidations one refresh polls. */
  static final int REFRESH_BATCH = 10;

  private static final Logger LOG = LoggerFactory.getLogger(CloudFrontPurger.class);

  private static final Pattern DISTRIBUTION_ID = Pattern.compile("[A-Za-z0-9]{1,128}");

  private final CloudFrontAsyncClient client;
  private final String distributionId;
  private final String name;
  private final boolean tagInvalidation;
  private final int collapseAbove;
  private final int maxInFlightPaths;
  private final int maxInFlightWildcards;
  private final Duration waitForCompletion;
  private final Duration pollInterval;
  private final Duration deadline;
  private final software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration requestOverride;
  /** Resends at the limit: as many as fit before the batch's limit wait ends. */
  private final Retry limitRetry;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Planner planner;
  private final InFlightBudget budget;
  private final AtomicBoolean refreshScheduled = new AtomicBoolean();

  private CloudFrontPurger(Builder b) {
    this.client = b.client;
    this.distributionId = b.distributionId;
    this.name = "cloudfront:" + b.distributionId;
    this.tagInvalidation = b.tagInvalidation;
    this.collapseAbove = b.collapseAbove;
    this.maxInFlightPaths = b.maxInFlightPaths;
    this.maxInFlightWildcards = b.maxInFlightWildcards;
    this.waitForCompletion = b.waitForCompletion;
    this.pollInterval = b.pollInterval;
    this.deadline = b.deadline;
    // A hung CloudFront call must not hang a purge. The caller's own client timeouts win; where it
    // set none, the purger bounds its requests itself.
    software.amazon.awssdk.core.client.config.ClientOverrideConfiguration own = clientOverrides(b.client);
    boolean ownAttempt = own != null && own.apiCallAttemptTimeout().isPresent();
    boolean ownCall = own != null && own.apiCallTimeout().isPresent();
    this.requestOverride = software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration.builder()
        .apiCallAttemptTimeout(ownAttempt ? null : b.attemptTimeout)
        .apiCallTimeout(ownCall ? null : b.callTimeout)
        .build();
    this.clock = b.clock != null ? b.clock : Clock.systemUTC();
    this.scheduler = b.scheduler != null ? b.scheduler : Schedulers.shared();
    this.limitRetry = new Retry(
        b.retry,
        b.random != null ? b.random : Retry.defaultRandom());
    this.planner =
        new Planner(
            distributionId, tagInvalidation, collapseAbove, maxInFlightPaths, maxInFlightWildcards);
    this.budget = new InFlightBudget(maxInFlightPaths, maxInFlightWildcards, clock);
  }

  /**
   * Returns a new builder.
   *
   * @return a builder; {@link Builder#client} and {@link Builder#distributionId} are required
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Purges what the invalidation names from the distribution: plans, sends the batches within the
   * in-flight limits, and optionally waits for completion (see the class description).
   *
   * <p>Never throws: an invalid path or tag, like any other failure, completes the future
   * exceptionally with a {@link PurgeException} (kind {@link ErrorKind#REJECTED} for invalid input,
   * naming the distribution and the offending value) without any call to CloudFront.
   *
   * @param invalidation what to purge
   * @return a future that completes with the result; cancelling it stops sending further batches
   */
  @Override
  public CompletableFuture<PurgeResult> purge(Invalidation invalidation) {
    if (invalidation == null) {
      return CompletableFuture.failedFuture(new NullPointerException("invalidation"));
    }
    CloudFrontPlan plan;
    try {
      plan = planner.plan(invalidation);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(
          new PurgeException(name, ErrorKind.REJECTED, e.getMessage(), e));
    }
    if (plan.isEmpty()) {
      String detail =
          "nothing to purge on CloudFront: "
              + plan.ignoredTags().size()
              + " tags ignored (tag invalidation is off)";
      LOG.debug("{}: {} for {}", name, detail, invalidation.id());
      return CompletableFuture.completedFuture(
          new PurgeResult(
              name,
              PurgeResult.Status.SUCCEEDED,
              0,
              List.of(),
              List.of(),
              null,
              detail,
              Duration.ZERO));
    }
    return new PurgeRun(this, plan).start();
  }

  /**
   * Returns what {@link #purge(Invalidation)} would send for this invalidation and how many
   * billable paths it costs, without any call to CloudFront. Use it for a dry run or to tune the
   * collapse policy.
   *
   * @param invalidation the invalidation
   * @return the plan
   * @throws NullPointerException if {@code invalidation} is null
   * @throws IllegalArgumentException if a path or tag cannot be sent to CloudFront; the message
   *     names the distribution and the value
   */
  public CloudFrontPlan plan(Invalidation invalidation) {
    return planner.plan(Objects.requireNonNull(invalidation, "invalidation"));
  }

  /**
   * Returns {@code cloudfront:<distributionId>}.
   *
   * @return the name used in reports and logs
   */
  @Override
  public String name() {
    return name;
  }

  /**
   * Returns the distribution this purger invalidates.
   *
   * @return the distribution id
   */
  public String distributionId() {
    return distributionId;
  }

  /**
   * Returns how many non-wildcard paths this purger has submitted (or is submitting) that may still
   * be in progress on CloudFront.
   *
   * @return the in-flight path count, at most the configured limit
   */
  public int inFlightPaths() {
    return budget.inFlightPaths();
  }

  /**
   * Returns how many wildcard paths this purger has submitted (or is submitting) that may still be
   * in progress on CloudFront.
   *
   * @return the in-flight wildcard count, at most the configured limit
   */
  public int inFlightWildcards() {
    return budget.inFlightWildcards();
  }

  /**
   * Describes the configuration; never includes credentials or the client.
   *
   * @return the description
   */
  @Override
  public String toString() {
    return "CloudFrontPurger["
        + distributionId
        + ", tags "
        + (tagInvalidation ? "on" : "off")
        + (collapseAbove > 0 ? ", collapse above " + collapseAbove : "")
        + ", in-flight "
        + maxInFlightPaths
        + "/"
        + maxInFlightWildcards
        + (waitForCompletion.isZero() ? "" : ", wait " + waitForCompletion)
        + "]";
  }

  /** The client's own settings, or null for a client that cannot say (a test double, a wrapper). */
  private static software.amazon.awssdk.core.client.config.ClientOverrideConfiguration clientOverrides(
      CloudFrontAsyncClient client) {
    try {
      var config = client.serviceClientConfiguration();
      return config == null ? null : config.overrideConfiguration();
    } catch (RuntimeException e) {
      return null;
    }
  }

  // ---- package-private accessors for PurgeRun

  CloudFrontAsyncClient client() {
    return client;
  }

  software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration requestOverride() {
    return requestOverride;
  }

  Clock clock() {
    return clock;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  InFlightBudget budget() {
    return budget;
  }

  Duration waitForCompletion() {
    return waitForCompletion;
  }

  Duration pollInterval() {
    return pollInterval;
  }

  Duration deadline() {
    return deadline;
  }

  /** When a batch at the limit is resent: full jitter, never past its limit wait. */
  Retry limitRetry() {
    return limitRetry;
  }

  /**
   * Starts polling the oldest in-flight invalidations while batches wait for room, so completed
   * ones give their room back. At most one refresh round is scheduled at a time.
   */
  void refreshWhileWaiting() {
    if (!budget.hasWaiters() || !refreshScheduled.compareAndSet(false, true)) {
      return;
    }
    if (Tasks.schedule(scheduler, pollInterval, this::refresh) == null) {
      refreshScheduled.set(false);
      LOG.debug("{}: could not schedule an in-flight refresh: the scheduler refused it", name);
    }
  }

  private void refresh() {
    budget.expire(clock.instant().minus(ASSUME_COMPLETED_AFTER));
    List<String> ids = budget.oldestInvalidationIds(REFRESH_BATCH);
    if (ids.isEmpty()) {
      refreshDone();
      return;
    }
    AtomicInteger outstanding = new AtomicInteger(ids.size());
    for (String id : ids) {
      CompletableFuture<String> status;
      try {
        status = getStatus(id);
      } catch (RuntimeException e) {
        status = CompletableFuture.failedFuture(e);
      }
      status.whenComplete(
          (s, e) -> {
            if (e != null) {
              CloudFrontErrors.Failure f =
                  CloudFrontErrors.classify(e, distributionId, "GetInvalidation");
              if (CloudFrontErrors.NO_SUCH_INVALIDATION.equals(f.code())) {
                budget.completed(id);
              }
              LOG.debug("{}: refresh of invalidation {} failed: {}", name, id, f.message());
            } else if (isCompleted(s)) {
              budget.completed(id);
            }
            if (outstanding.decrementAndGet() == 0) {
              refreshDone();
            }
          });
    }
  }

  private void refreshDone() {
    refreshScheduled.set(false);
    refreshWhileWaiting();
  }

  CompletableFuture<String> getStatus(String invalidationId) {
    LOG.debug("{}: GetInvalidation {}", name, invalidationId);
    return client
        .getInvalidation(r -> r.distributionId(distributionId).id(invalidationId)
            .overrideConfiguration(requestOverride))
        .thenApply(r -> r.invalidation().status());
  }

  static boolean isCompleted(String status) {
    return "Completed".equalsIgnoreCase(status);
  }

  /**
   * Builds a {@link CloudFrontPurger}. Not thread-safe; {@link #build()} validates and may be
   * called more than once.
   *
   * @since 0.1
   */
  public static final class Builder {
    private CloudFrontAsyncClient client;
    private String distributionId;
    private boolean tagInvalidation;
    private int collapseAbove;
    private int maxInFlightPaths = MAX_IN_FLIGHT_PATHS;
    private int maxInFlightWildcards = MAX_IN_FLIGHT_WILDCARDS;
    private Duration waitForCompletion = Duration.ZERO;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Duration deadline = DEFAULT_DEADLINE;
    private Duration attemptTimeout = DEFAULT_ATTEMPT_TIMEOUT;
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    private RetryPolicy retry = DEFAULT_RETRY;
    private Clock clock;
    private ScheduledExecutorService scheduler;
    private RandomGenerator random;

    private Builder() {}

    /**
     * Sets the CloudFront client. Required. The caller owns it (credentials, region, HTTP client,
     * retry strategy, timeouts) and closes it; set {@code apiCallAttemptTimeout} and {@code
     * apiCallTimeout} on it so that no call can hang.
     *
     * @param client the client
     * @return this builder
     * @throws NullPointerException if {@code client} is null
     */
    public Builder client(CloudFrontAsyncClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Sets the distribution to invalidate, e.g. {@code E2QWRUHEXAMPLE}. Required.
     *
     * @param distributionId the distribution id: 1 to 128 letters and digits
     * @return this builder
     * @throws NullPointerException if {@code distributionId} is null
     * @throws IllegalArgumentException if it is not a distribution id (for example a domain name)
     */
    public Builder distributionId(String distributionId) {
      Objects.requireNonNull(distributionId, "distributionId");
      if (!DISTRIBUTION_ID.matcher(distributionId).matches()) {
        throw new IllegalArgumentException(
            "distributionId must be 1 to 128 letters and digits, like E2QWRUHEXAMPLE (not a domain"
                + " name): '"
                + Planner.shorten(distributionId)
                + "'");
      }
      this.distributionId = distributionId;
      return this;
    }

    /**
     * Sends the invalidation's tags as CloudFront tag items ({@code #tag}), so one invalidation can
     * purge by tag. Only useful where the distribution has a cache tag configuration and the origin
     * tags its objects; otherwise CloudFront ignores the items but still bills them. Off by
     * default: tags are then left to the other tiers and listed in {@link
     * CloudFrontPlan#ignoredTags()}.
     *
     * @param enabled whether to send tag items
     * @return this builder
     */
    public Builder tagInvalidation(boolean enabled) {
      this.tagInvalidation = enabled;
      return this;
    }

    /**
     * Turns on the collapse policy: when more than {@code threshold} paths (or wildcard paths made
     * by an earlier collapse) sit directly in the same directory, they are replaced by one wildcard
     * {@code <directory>/*}, which costs one billable path instead of many but also invalidates
     * everything else under that directory. Applied level by level upwards, never up to {@code /*}.
     * Off by default ({@code 0}).
     *
     * @param threshold the most paths per directory sent as they are, {@code >= 1}; {@code 0} turns
     *     collapsing off
     * @return this builder
     * @throws IllegalArgumentException if {@code threshold} is negative
     */
    public Builder collapseAbove(int threshold) {
      if (threshold < 0) {
        throw new IllegalArgumentException("collapseAbove must be >= 0 (0 = off): " + threshold);
      }
      this.collapseAbove = threshold;
      return this;
    }

    /**
     * Lowers the in-flight limits this purger keeps to, for example to leave room for other writers
     * on the same distribution. Defaults: {@value #MAX_IN_FLIGHT_PATHS} paths and {@value
     * #MAX_IN_FLIGHT_WILDCARDS} wildcard paths, CloudFront's quotas. Batches are sized to these.
     *
     * @param paths most non-wildcard paths in progress, 1 to {@value #MAX_IN_FLIGHT_PATHS}
     * @param wildcards most wildcard paths in progress, 1 to {@value #MAX_IN_FLIGHT_WILDCARDS}
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     */
    public Builder inFlightLimits(int paths, int wildcards) {
      if (paths < 1 || paths > MAX_IN_FLIGHT_PATHS) {
        throw new IllegalArgumentException(
            "in-flight paths must be 1 to " + MAX_IN_FLIGHT_PATHS + ": " + paths);
      }
      if (wildcards < 1 || wildcards > MAX_IN_FLIGHT_WILDCARDS) {
        throw new IllegalArgumentException(
            "in-flight wildcards must be 1 to " + MAX_IN_FLIGHT_WILDCARDS + ": " + wildcards);
      }
      this.maxInFlightPaths = paths;
      this.maxInFlightWildcards = wildcards;
      return this;
    }

    /**
     * Waits, after sending, until every invalidation created is {@code Completed}, polling {@code
     * GetInvalidation} every {@link #pollInterval(Duration)}, for at most {@code timeout}. When the
     * wait times out, the result is {@link PurgeResult.Status#FAILED} with kind {@link
     * ErrorKind#TIMEOUT} and lists the paths not yet confirmed (CloudFront keeps working on them).
     * Off by default ({@link Duration#ZERO}): a purge then completes once CloudFront accepted every
     * batch. Needs {@code cloudfront:GetInvalidation}.
     *
     * @param timeout the longest wait, or zero for no wait
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public Builder waitForCompletion(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("waitForCompletion must be >= 0: " + timeout);
      }
      this.waitForCompletion = timeout;
      return this;
    }

    /**
     * Sets the interval between {@code GetInvalidation} polls, used when waiting for completion and
     * when a batch waits for in-flight room. Default {@link #DEFAULT_POLL_INTERVAL}.
     *
     * @param interval the interval, {@code > 0}
     * @return this builder
     * @throws NullPointerException if {@code interval} is null
     * @throws IllegalArgumentException if {@code interval} is not positive
     */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = positive(interval, "pollInterval");
      return this;
    }

    /**
     * Sets the deadline of one batch: how long it may wait for in-flight room, counting both the
     * purger's own limits and CloudFront's {@code TooManyInvalidationsInProgress} (resends
     * included), before it is reported as not purged. Default {@link #DEFAULT_DEADLINE}. The
     * invalidator's overall deadline, which cancels the purge, usually ends the wait earlier.
     *
     * @param deadline the longest wait, {@code > 0}
     * @return this builder
     * @throws NullPointerException if {@code deadline} is null
     * @throws IllegalArgumentException if {@code deadline} is not positive
     */
    public Builder deadline(Duration deadline) {
      this.deadline = positive(deadline, "deadline");
      return this;
    }

    /**
     * Sets the bound on one SDK attempt the purger applies to its own requests when the client sets
     * no {@code apiCallAttemptTimeout}; the client's own timeout always wins. Default {@link
     * #DEFAULT_ATTEMPT_TIMEOUT}.
     *
     * @param attemptTimeout the bound on one attempt, {@code > 0} and {@code <= callTimeout}
     * @return this builder
     * @throws NullPointerException if {@code attemptTimeout} is null
     * @throws IllegalArgumentException if it is not positive
     */
    public Builder attemptTimeout(Duration attemptTimeout) {
      this.attemptTimeout = positive(attemptTimeout, "attemptTimeout");
      return this;
    }

    /**
     * Sets the bound on one SDK call, the SDK's own retries included, that the purger applies when
     * the client sets no {@code apiCallTimeout}; the client's own timeout always wins. Default
     * {@link #DEFAULT_CALL_TIMEOUT}.
     *
     * @param callTimeout the bound on one call, {@code > 0} and {@code >= attemptTimeout}
     * @return this builder
     * @throws NullPointerException if {@code callTimeout} is null
     * @throws IllegalArgumentException if it is not positive
     */
    public Builder callTimeout(Duration callTimeout) {
      this.callTimeout = positive(callTimeout, "callTimeout");
      return this;
    }

    /**
     * Sets how a batch is resent after {@code TooManyInvalidationsInProgress} (the SDK does not
     * retry it): the same batch again after a full-jitter backoff, at most {@link
     * RetryPolicy#maxAttempts()} sends in all, never past the batch's {@link #deadline(Duration)}.
     * Default {@link #DEFAULT_RETRY}. Throttling and 5xx answers are the SDK's to retry, inside one
     * call.
     *
     * @param retry the policy
     * @return this builder
     * @throws NullPointerException if {@code retry} is null
     */
    public Builder retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /**
     * Sets the clock used to measure waits. Default {@link Clock#systemUTC()}.
     *
     * @param clock the clock
     * @return this builder
     * @throws NullPointerException if {@code clock} is null
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets the scheduler for backoff and polling timers; its tasks only start asynchronous calls.
     * Default: one daemon thread named {@code fanout-timer-1}, shared by every component built
     * without one, started on first use. A given scheduler is not shut down by the purger.
     *
     * @param scheduler the scheduler
     * @return this builder
     * @throws NullPointerException if {@code scheduler} is null
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Sets the random source for backoff jitter. Default: {@link
     * java.util.concurrent.ThreadLocalRandom} of the calling thread. The purger serialises its use,
     * so it need not be thread-safe.
     *
     * @param random the random source
     * @return this builder
     * @throws NullPointerException if {@code random} is null
     */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Validates and builds the purger.
     *
     * @return the purger
     * @throws IllegalStateException if the client or the distribution id is missing
     */
    public CloudFrontPurger build() {
      if (client == null) {
        throw new IllegalStateException(
            "client is required: a CloudFrontAsyncClient built by the caller");
      }
      if (distributionId == null) {
        throw new IllegalStateException("distributionId is required");
      }
      if (callTimeout.compareTo(attemptTimeout) < 0) {
        throw new IllegalArgumentException("callTimeout (" + callTimeout
            + ") must be >= attemptTimeout (" + attemptTimeout + ")");
      }
      return new CloudFrontPurger(this);
    }

  }
}
