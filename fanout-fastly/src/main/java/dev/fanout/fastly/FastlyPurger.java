// Over 500 lines for one job: the purger's public face (purge, the Builder and their documentation, about half the file); planning is in PurgePlanner, each purge in PurgeRun.
package dev.fanout.fastly;

import static dev.fanout.internal.Checks.positive;

import dev.fanout.internal.ApiToken;
import dev.fanout.internal.PurgerSettings;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Schedulers;
import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.PurgeException;
import dev.fanout.RetryPolicy;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * Purges a Fastly service by surrogate key and by URL, through Fastly's purge API over {@code
 * java.net.http}.
 *
 * <pre>{@code
 * Purger fastly = FastlyPurger.builder()
 *     .serviceId("SU1Z0isx")
 *     .apiToken(System.getenv("FASTLY_API_TOKEN"))
 *     .host("www.example.com")
 *     .build();
 * Stage cdn = Stage.purge("cdn", fastly);
 * }</pre>
 *
 * <h2>What is sent</h2>
 *
 * <ul>
 *   <li>The invalidation's <b>tags</b> are surrogate keys, purged in batches of at most {@value
 *       #MAX_KEYS_PER_BATCH} keys (and at most {@value #MAX_BATCH_HEADER_BYTES} bytes of header)
 *       per request: {@code POST /service/{service_id}/purge} with the keys, space-separated, in
 *       the {@code Surrogate-Key} header. Every key is checked before anything is sent (printable
 *       ASCII, at most {@value SurrogateKeys#MAX_KEY_BYTES} bytes): Fastly silently ignores bad
 *       keys, which would leave their objects stale without a word, so an invalidation with any
 *       bad key is rejected as a whole, with no request sent.
 *   <li>Its <b>paths</b> are URL purges, one request per path and configured {@linkplain
 *       Builder#host(String) host}: {@code POST /purge/{host}{path}} on the API, the shape Fastly's
 *       API clients use (a {@code PURGE} sent to the site itself would need the {@code Host}
 *       header, which {@code java.net.http} does not let a caller set). Characters that may not
 *       appear in a URL are percent-encoded as UTF-8; a query string is kept. Fastly has no
 *       wildcard URL purge, so a path ending in {@code *} is rejected, except {@code /*} when
 *       {@linkplain Builder#purgeAll(boolean) purge-all} is enabled: that becomes {@code POST
 *       /service/{service_id}/purge_all}, which is always a hard purge and counts against Fastly's
 *       hourly API rate limit.
 *   <li>Key and URL purges are <b>soft</b> by default ({@code Fastly-Soft-Purge: 1}): the edge
 *       marks objects stale instead of dropping them, so with {@code stale-while-revalidate} it
 *       keeps serving while one request refetches, instead of every edge stampeding the origin.
 *   <li>The API token goes in the {@code Fastly-Key} header and nowhere else: not in a URL, a log
 *       line, an exception message or {@link #toString()}.
 * </ul>
 *
 * <h2>Failures and retries</h2>
 *
 * <p>Each attempt is bounded by the {@linkplain Builder#attemptTimeout(Duration) attempt timeout}
 * (applied on the scheduler, since on Java 17 {@code HttpRequest.timeout} does not cover a stalled
 * body). Connection failures, timeouts and 5xx answers are retried with capped exponential backoff
 * and full jitter; 429 waits for the later of {@code Retry-After} and {@code
 * Fastly-RateLimit-Reset} (Fastly rate-limits purge-all, not key or URL purges; see
 * https://docs.fastly.com/api/). No retry starts later than the {@linkplain
 * Builder#deadline(Duration) deadline} after the purge began: a wait that would end past it fails
 * the request at once. 401
 * and 403 are not retried: they stop the whole purge (no further request is sent) with a message
 * naming the service id. Redirects are never followed.
 *
 * <p>The returned stage completes normally when at least one request succeeded: with a {@link
 * PurgeResult} that carries Fastly's purge ids, or, when some requests failed, one whose {@link
 * PurgeResult#notPurged()} lists the tags and paths that are still stale. It completes
 * exceptionally with a {@link PurgeException} when nothing was purged. Cancelling the returned
 * future (as the engine does at its deadline) cancels requests in flight and retries not yet
 * started.
 *
 * <p>Instances are immutable and safe for concurrent use.
 *
 * @since 0.1
 */
public final class FastlyPurger implements Purger {

  /**
   * Most surrogate keys in one batch purge request. See
   * https://developer.fastly.com/reference/api/purging/ ("Up to 256 surrogate keys can be purged in
   * one batch request").
   */
  public static final int MAX_KEYS_PER_BATCH = 256;

  /**
   * Most bytes of {@code Surrogate-Key} header in one batch purge request. Fastly documents 16 KiB
   * as the most it parses of this header (on responses; see {@link
   * SurrogateKeys#MAX_HEADER_BYTES}); the purge API documents no larger limit, so a batch of long
   * keys is split further rather than risk a truncated header.
   */
  public static final int MAX_BATCH_HEADER_BYTES = SurrogateKeys.MAX_HEADER_BYTES;

  /** Fastly's API endpoint; see https://docs.fastly.com/api . */
  public static final URI DEFAULT_BASE_URI = URI.create("https://api.fastly.com");

  /** Default connect timeout of the client the purger builds when none is given. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** Default bound on one attempt, from sending it to having read its whole response. */
  public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);

  /** Default deadline of a purge: no retry starts later than this after it began. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  /** Default number of purge requests one {@link #purge(Invalidation)} call has in flight. */
  public static final int DEFAULT_CONCURRENCY = 8;

  /** Largest response body read; the rest is dropped (a batch answer for 256 keys is ~270 KB). */
  static final int MAX_RESPONSE_BYTES = 1 << 20;

  static final String FASTLY_KEY = "Fastly-Key";
  static final String SOFT_PURGE = "Fastly-Soft-Purge";
  static final String RATE_LIMIT_RESET = "Fastly-RateLimit-Reset";

  /** Fastly service ids are alphanumeric; they go into URL paths and names unescaped. */
  private static final Pattern SERVICE_ID = Pattern.compile("[A-Za-z0-9]{1,64}");

  final String serviceId;
  final ApiToken token;
  final List<String> hosts;
  final boolean purgePaths;
  final boolean softPurge;
  final boolean purgeAll;
  final URI baseUri;
  final HttpClient client;
  final Duration attemptTimeout;
  final Duration deadline;
  final int concurrency;
  final Clock clock;
  final ScheduledExecutorService scheduler;
  final Retry retry;
  private final String name;
  private final PurgePlanner planner;

  private FastlyPurger(Builder b, HttpClient client) {
    this.serviceId = b.serviceId;
    this.token = b.token;
    this.hosts = List.copyOf(b.hosts);
    this.purgePaths = b.purgePaths;
    this.softPurge = b.softPurge;
    this.purgeAll = b.purgeAll;
    this.baseUri = b.baseUri;
    this.client = client;
    this.attemptTimeout = b.attemptTimeout;
    this.deadline = b.deadline;
    this.concurrency = b.concurrency;
    this.clock = b.clock != null ? b.clock : Clock.systemUTC();
    this.scheduler = b.scheduler != null ? b.scheduler : Schedulers.shared();
    this.retry = new Retry(b.retry, b.random != null ? b.random : Retry.defaultRandom());
    this.name = "fastly:" + serviceId;
    this.planner = new PurgePlanner(this);
  }

  /**
   * Returns a new builder.
   *
   * @return a builder with the documented defaults; {@code serviceId} and {@code apiToken} must be
   *     set
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Purges the invalidation's tags (as surrogate keys) and paths (as URLs on every configured
   * host). Returns at once; the work happens on the HTTP client's threads and the scheduler.
   *
   * @param invalidation what to purge
   * @return a stage that completes with the result, or exceptionally with a {@link PurgeException}
   *     when nothing was purged (including when the invalidation holds a key or path Fastly cannot
   *     purge; then no request is sent)
   * @throws NullPointerException if {@code invalidation} is null
   */
  @Override
  public CompletionStage<PurgeResult> purge(Invalidation invalidation) {
    Objects.requireNonNull(invalidation, "invalidation");
    List<PurgeOp> ops;
    try {
      ops = planner.plan(invalidation);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(
          new PurgeException(name, ErrorKind.REJECTED, e.getMessage(), null));
    }
    return new PurgeRun(this, invalidation.id(), ops).start();
  }

  /**
   * Returns {@code fastly:} followed by the service id, e.g. {@code fastly:SU1Z0isx}.
   *
   * @return the name used in reports and logs
   */
  @Override
  public String name() {
    return name;
  }

  /**
   * Returns a description of the configuration, with the API token masked.
   *
   * @return the description
   */
  @Override
  public String toString() {
    return "FastlyPurger[service=" + serviceId + ", apiToken=" + token + ", hosts=" + hosts
        + ", purgePaths=" + purgePaths + ", softPurge=" + softPurge + ", purgeAll=" + purgeAll
        + ", baseUri=" + baseUri + ", attemptTimeout=" + attemptTimeout + ", deadline=" + deadline
        + ", retry=" + retry + ", concurrency=" + concurrency + "]";
  }

  /**
   * Builds a {@link FastlyPurger}. Not thread-safe; {@link #build()} validates the settings and may
   * be called more than once.
   *
   * @since 0.1
   */
  public static final class Builder {
    private String serviceId;
    private ApiToken token;
    private final List<String> hosts = new ArrayList<>();
    private boolean purgePaths = true;
    private boolean softPurge = true;
    private boolean purgeAll;
    private URI baseUri = DEFAULT_BASE_URI;
    private HttpClient httpClient;
    private Duration connectTimeout;
    private Duration attemptTimeout = DEFAULT_ATTEMPT_TIMEOUT;
    private RetryPolicy retry = RetryPolicy.defaults();
    private Duration deadline = DEFAULT_DEADLINE;
    private int concurrency = DEFAULT_CONCURRENCY;
    private Clock clock;
    private ScheduledExecutorService scheduler;
    private RandomGenerator random;

    private Builder() {}

    /**
     * Sets the Fastly service to purge. Required.
     *
     * @param serviceId the service id, alphanumeric, e.g. {@code SU1Z0isx}
     * @return this builder
     * @throws NullPointerException if {@code serviceId} is null
     * @throws IllegalArgumentException if it is not 1 to 64 letters and digits
     */
    public Builder serviceId(String serviceId) {
      Objects.requireNonNull(serviceId, "serviceId");
      if (!SERVICE_ID.matcher(serviceId).matches()) {
        throw new IllegalArgumentException(
            "serviceId must be 1 to 64 letters and digits: '"
                + SurrogateKeys.printable(serviceId) + "'");
      }
      this.serviceId = serviceId;
      return this;
    }

    /**
     * Sets the API token, sent in the {@code Fastly-Key} header. Required. A token with the {@code
     * purge_select} scope is enough for key and URL purges; purge-all needs {@code purge_all}.
     *
     * @param apiToken the token; it never appears in logs, messages or {@code toString()}
     * @return this builder
     * @throws NullPointerException if {@code apiToken} is null
     * @throws IllegalArgumentException if it is blank or not printable ASCII
     */
    public Builder apiToken(String apiToken) {
      this.token = ApiToken.of(Objects.requireNonNull(apiToken, "apiToken"));
      return this;
    }

    /**
     * Adds a host whose URLs the invalidation's paths name; each path is purged once per host.
     * Needed when invalidations carry paths, unless {@link #purgePaths(boolean) purgePaths(false)}.
     *
     * @param host a host name with an optional port ({@code www.example.com}, {@code
     *     example.com:8443}), or an origin URL ({@code https://www.example.com}); Fastly's cache
     *     key does not include the scheme, so it is dropped
     * @return this builder
     * @throws NullPointerException if {@code host} is null
     * @throws IllegalArgumentException if it is not a host name (internationalised names must be
     *     given in their {@code xn--} form) or the URL has a path, query or user info
     */
    public Builder host(String host) {
      PurgerSettings.Origin origin = PurgerSettings.origin(host);
      if (origin == null) {
        throw new IllegalArgumentException(
            "host must be a host name with an optional port, or a URL without path: '"
                + SurrogateKeys.printable(host) + "'");
      }
      if (!hosts.contains(origin.authority())) {
        hosts.add(origin.authority());
      }
      return this;
    }

    /**
     * Adds hosts; see {@link #host(String)}.
     *
     * @param hosts the hosts
     * @return this builder
     * @throws NullPointerException if {@code hosts} or a host is null
     * @throws IllegalArgumentException if a host is invalid
     */
    public Builder hosts(Collection<String> hosts) {
      for (String h : hosts) {
        host(h);
      }
      return this;
    }

    /**
     * Sets whether paths are purged. Default true, which needs at least one {@link #host(String)
     * host}. With false, this purger ignores the invalidation's paths (e.g. when the Fastly service
     * is purged by key only and another stage handles paths) and purges only its tags.
     *
     * @param purgePaths whether to purge paths
     * @return this builder
     */
    public Builder purgePaths(boolean purgePaths) {
      this.purgePaths = purgePaths;
      return this;
    }

    /**
     * Sets whether key and URL purges are soft ({@code Fastly-Soft-Purge: 1}). Default true: the
     * edge marks objects stale rather than dropping them, so it can serve stale while revalidating
     * instead of sending every request to the origin at once. Purge-all is always hard.
     *
     * @param softPurge whether purges are soft
     * @return this builder
     */
    public Builder softPurge(boolean softPurge) {
      this.softPurge = softPurge;
      return this;
    }

    /**
     * Sets whether the path {@code /*} purges the whole service ({@code POST
     * /service/{service_id}/purge_all}). Default false: {@code /*} is then rejected like any other
     * wildcard. Purge-all is always hard, needs a token with the {@code purge_all} scope and counts
     * against Fastly's hourly API rate limit; for a soft purge of everything, tag every response
     * with a constant key and purge that key instead.
     *
     * @param purgeAll whether purge-all is allowed
     * @return this builder
     */
    public Builder purgeAll(boolean purgeAll) {
      this.purgeAll = purgeAll;
      return this;
    }

    /**
     * Sets the API base URI. Default {@link #DEFAULT_BASE_URI}. Plain {@code http} is accepted only
     * for literal loopback addresses such as {@code 127.0.0.1} (tests), so that the token never
     * crosses a network in clear text.
     *
     * @param baseUri the base URI, e.g. {@code http://127.0.0.1:8080}
     * @return this builder
     * @throws NullPointerException if {@code baseUri} is null
     * @throws IllegalArgumentException if it is not an absolute http(s) URI with a host and no
     *     query, fragment or user info, or is plain http to a host that is not a loopback address
     */
    public Builder baseUri(URI baseUri) {
      this.baseUri = PurgerSettings.baseUri(baseUri);
      return this;
    }

    /**
     * Sets the HTTP client. Default: a client of its own, HTTP/1.1, connect timeout {@link
     * #DEFAULT_CONNECT_TIMEOUT}, redirects never followed, daemon threads named {@code
     * fanout-fastly-http-N}. A caller's client should also never follow redirects and should
     * have a connect timeout.
     *
     * @param httpClient the client
     * @return this builder
     * @throws NullPointerException if {@code httpClient} is null
     */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /**
     * Sets the connect timeout of the client the purger builds. Default {@link
     * #DEFAULT_CONNECT_TIMEOUT}. Cannot be combined with {@link #httpClient(HttpClient)}.
     *
     * @param connectTimeout the timeout, {@code > 0}
     * @return this builder
     * @throws NullPointerException if {@code connectTimeout} is null
     * @throws IllegalArgumentException if it is not positive
     */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = positive(connectTimeout, "connectTimeout");
      return this;
    }

    /**
     * Sets the bound on one attempt of one request, from sending it to having read its whole
     * response; on expiry the request is cancelled and counts as a retryable timeout. Default
     * {@link #DEFAULT_ATTEMPT_TIMEOUT}.
     *
     * @param attemptTimeout the timeout, {@code > 0}
     * @return this builder
     * @throws NullPointerException if {@code attemptTimeout} is null
     * @throws IllegalArgumentException if it is not positive
     */
    public Builder attemptTimeout(Duration attemptTimeout) {
      this.attemptTimeout = positive(attemptTimeout, "attemptTimeout");
      return this;
    }

    /**
     * Sets how each request is retried after a connection failure, a timeout, a 5xx or a 429.
     * Default {@link RetryPolicy#defaults()}: 5 attempts, full-jitter backoff from 100 ms capped at
     * 5 s. A 429's {@code Retry-After} or {@code Fastly-RateLimit-Reset} replaces the backoff.
     *
     * @param retry the policy; {@link RetryPolicy#none()} disables retries
     * @return this builder
     * @throws NullPointerException if {@code retry} is null
     */
    public Builder retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /**
     * Sets the deadline of the whole purge, retries included: no retry starts later than this
     * after {@link FastlyPurger#purge(Invalidation)} was called, and a request whose next wait
     * (backoff, {@code Retry-After}, rate-limit reset) would end later fails at once; an attempt
     * started before it ends within {@link #attemptTimeout(Duration)}. Default {@link
     * #DEFAULT_DEADLINE}. The invalidator's overall deadline still applies on top.
     *
     * @param deadline the limit, {@code >= 0} ({@code 0} means no retries)
     * @return this builder
     * @throws NullPointerException if {@code deadline} is null
     * @throws IllegalArgumentException if it is negative
     */
    public Builder deadline(Duration deadline) {
      Objects.requireNonNull(deadline, "deadline");
      if (deadline.isNegative()) {
        throw new IllegalArgumentException("deadline must be >= 0: " + deadline);
      }
      this.deadline = deadline;
      return this;
    }

    /**
     * Sets how many requests one purge has in flight at most (key batches and URL purges together).
     * Default {@link #DEFAULT_CONCURRENCY}.
     *
     * @param concurrency the limit, {@code >= 1}
     * @return this builder
     * @throws IllegalArgumentException if it is less than 1
     */
    public Builder concurrency(int concurrency) {
      if (concurrency < 1) {
        throw new IllegalArgumentException("concurrency must be >= 1: " + concurrency);
      }
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Sets the clock for the {@code deadline}, {@code Retry-After} dates and rate-limit resets. Default
     * {@link Clock#systemUTC()}.
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
     * Sets the scheduler that runs retries and request timeouts; its tasks are short and never
     * block. Default: one shared daemon thread named {@code fanout-timer-1}, shared by every component built without one. The purger
     * never shuts a given scheduler down.
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
     * Sets the random source for backoff jitter. Default: {@link java.util.concurrent.ThreadLocalRandom} of the calling
     * thread. A given generator need not be thread-safe; the purger serialises its use.
     *
     * @param random the random source, e.g. a seeded {@code SplittableRandom} in tests
     * @return this builder
     * @throws NullPointerException if {@code random} is null
     */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Validates the settings and builds the purger.
     *
     * @return the purger
     * @throws IllegalStateException if {@code serviceId} or {@code apiToken} is missing, if paths
     *     are purged but no host is set, or if both {@code httpClient} and {@code connectTimeout}
     *     are set
     */
    public FastlyPurger build() {
      if (serviceId == null) {
        throw new IllegalStateException("serviceId is required");
      }
      if (token == null) {
        throw new IllegalStateException("apiToken is required");
      }
      if (purgePaths && hosts.isEmpty()) {
        throw new IllegalStateException(
            "host is required to purge paths: set host(...), or purgePaths(false) to purge tags"
                + " only");
      }
      PurgerSettings.checkClient(httpClient, connectTimeout);
      HttpClient c = PurgerSettings.client(httpClient, connectTimeout, DEFAULT_CONNECT_TIMEOUT,
          "fanout-fastly-http");
      return new FastlyPurger(this, c);
    }
  }
}
