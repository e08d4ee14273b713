// Over 500 lines for one job: the purger's public face (purge, the plan limits, the Builder and their documentation, about half the file); planning is in PurgePlanner, each purge in PurgeRun.
package dev.fanout.cloudflare;

import static dev.fanout.internal.Checks.positive;

import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.PurgeException;
import dev.fanout.RetryPolicy;
import dev.fanout.internal.ApiToken;
import dev.fanout.internal.PurgerSettings;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Schedulers;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * Purges a Cloudflare zone by cache tag, host, prefix and URL through the v4 API ({@code POST
 * /client/v4/zones/{zone_id}/purge_cache}) over {@code java.net.http}, inside the purge rate limits
 * of the account's plan.
 *
 * <pre>{@code
 * Purger cloudflare = CloudflarePurger.builder()
 *     .zoneId("023e105f4ecef8ad9ca31a8372d0c353")
 *     .accountId("01a7362d577a6c3019a474fd6f485823")
 *     .apiToken(System.getenv("CLOUDFLARE_API_TOKEN"))
 *     .plan(Plan.PRO)
 *     .host("www.example.com")
 *     .build();
 * Stage cdn = Stage.purge("cdn", cloudflare);
 * }</pre>
 *
 * <h2>What is sent</h2>
 *
 * <p>One request carries one kind of item, at most {@link PurgeLimits#maxOperationsPerRequest()}
 * tags, hosts or prefixes, or {@link PurgeLimits#maxUrlsPerRequest()} URLs:
 *
 * <ul>
 *   <li>The invalidation's <b>tags</b>: {@code {"tags":[...]}}, matched against the {@code
 *       Cache-Tag} response headers. Tags differing only in case are sent once (Cloudflare
 *       compares them case-insensitively).
 *   <li>A <b>path</b> ending in {@code *}: {@code {"prefixes":[...]}}, one prefix per configured
 *       {@linkplain Builder#host(String) host}, without scheme, {@code *} or trailing {@code /}:
 *       {@code /blog/*} on {@code www.example.com} is {@code www.example.com/blog}. The path
 *       {@code /*} alone is {@code {"hosts":[...]}}: everything cached for the hosts.
 *   <li>Any other path: {@code {"files":[...]}}, the full URL on every host ({@code
 *       https://www.example.com/blog/hello}), non-URL characters percent-encoded as UTF-8.
 * </ul>
 *
 * <p>Every tag and path is checked before anything is sent (see {@link #validate(Invalidation)}):
 * an invalidation holding anything Cloudflare would refuse or never match fails as a whole, with a
 * {@link PurgeException} of kind {@link ErrorKind#REJECTED} naming the items, and no request is
 * sent. The API token goes in {@code Authorization: Bearer} and nowhere else: not in a URL, a log
 * line, an exception message or {@link #toString()}.
 *
 * <h2>Rate limits</h2>
 *
 * <p>Cloudflare limits purges per account with token buckets ({@link Plan}). Every purger of an
 * account in the JVM takes each request from one shared pair of buckets (requests, and URLs for
 * single-file purges), so together they stay inside the plan: a request waits for its token on the
 * scheduler, or fails as {@link ErrorKind#THROTTLED} without being sent when the wait would end
 * after the purge's {@linkplain Builder#deadline(Duration) deadline}. The buckets are keyed by the
 * {@linkplain Builder#accountId(String) account id}, which is therefore required.
 *
 * <h2>Failures and retries</h2>
 *
 * <p>Each attempt is bounded by the {@linkplain Builder#attemptTimeout(Duration) attempt timeout}
 * (applied on the scheduler, since on Java 17 {@code HttpRequest.timeout} does not cover a stalled
 * body). Connection failures, timeouts and every 5xx are retried with capped exponential backoff
 * and full jitter; 429 waits for {@code Retry-After} (or backs off when there is none) and empties
 * the account's bucket, so the other purgers of the account slow down too. No attempt starts after
 * the deadline. 401 and 403 stop the whole purge (no further request is sent) with a message naming
 * the zone and the permission to check; so does an unknown zone (errors 7003, 7000). Other 4xx and
 * {@code success:false} are not retried and are reported with Cloudflare's error codes. Redirects
 * are never followed.
 *
 * <p>The returned stage completes normally when at least one request succeeded: with a {@link
 * PurgeResult} that carries Cloudflare's ids ({@code result.id}), or, when some requests failed,
 * one whose {@link PurgeResult#notPurged()} lists the tags and paths still stale. It completes
 * exceptionally with a {@link PurgeException} when nothing was purged. Cancelling the returned
 * future (as the engine does at its deadline) cancels the requests in flight and the waits.
 *
 * <p>Instances are immutable (apart from the account's shared buckets) and safe for concurrent use.
 *
 * @since 0.1
 */
public final class CloudflarePurger implements Purger {

  /** Cloudflare's API endpoint; requests go to {@code /client/v4/zones/{zone_id}/purge_cache}. */
  public static final URI DEFAULT_BASE_URI = URI.create("https://api.cloudflare.com");

  /** Default connect timeout of the client the purger builds when none is given. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** Default bound on one attempt, from sending it to having read its whole response. */
  public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);

  /** Default time after the start of a purge past which no request or retry starts. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  /** Default number of requests one {@link #purge(Invalidation)} call has in flight. */
  public static final int DEFAULT_CONCURRENCY = 4;

  /** Largest response body read; purge answers are a few hundred bytes. */
  static final int MAX_RESPONSE_BYTES = 64 * 1024;

  /** Cloudflare zone and account ids: 32 hexadecimal digits. */
  private static final Pattern ID = Pattern.compile("[0-9a-fA-F]{32}");

  final String zoneId;
  final String accountId;
  final ApiToken token;
  final List<PurgePlanner.Host> hosts;
  final boolean purgePaths;
  final URI baseUri;
  final URI purgeUri;
  final HttpClient client;
  final Duration attemptTimeout;
  final Retry retry;
  final Duration deadline;
  final int concurrency;
  final Clock clock;
  final ScheduledExecutorService scheduler;
  final AccountLimiter limiter;
  /** Requests sent whose answer is not handled yet; tests wait for it to reach zero. */
  final AtomicInteger inFlight = new AtomicInteger();
  private final String name;
  private final PurgePlanner planner;

  private CloudflarePurger(Builder b, HttpClient client, PurgeLimits limits) {
    this.zoneId = b.zoneId;
    this.accountId = b.accountId;
    this.token = b.token;
    this.hosts = List.copyOf(b.hosts);
    this.purgePaths = b.purgePaths;
    this.baseUri = b.baseUri;
    this.purgeUri = URI.create(b.baseUri + "/client/v4/zones/" + zoneId + "/purge_cache");
    this.client = client;
    this.attemptTimeout = b.attemptTimeout;
    this.deadline = b.deadline;
    this.concurrency = b.concurrency;
    this.clock = b.clock != null ? b.clock : Clock.systemUTC();
    this.scheduler = b.scheduler != null ? b.scheduler : Schedulers.shared();
    this.limiter = AccountLimiter.forAccount(accountId, limits, clock);
    this.retry = new Retry(b.retry, b.random != null ? b.random : Retry.defaultRandom());
    this.name = "cloudflare:" + zoneId;
    this.planner = new PurgePlanner(zoneId, hosts, purgePaths, limits);
  }

  /**
   * Returns a new builder.
   *
   * @return a builder with the documented defaults; {@code zoneId}, {@code accountId}, {@code
   *     apiToken} and a plan or limits must be set
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Purges the invalidation's tags and paths. Returns at once; waits for the rate limit, requests
   * and retries happen on the scheduler and the HTTP client's threads.
   *
   * @param invalidation what to purge
   * @return a stage that completes with the result, or exceptionally with a {@link PurgeException}
   *     when nothing was purged: of kind {@link ErrorKind#REJECTED}, with the {@link
   *     IllegalArgumentException} of {@link #validate(Invalidation)} as its cause, when the
   *     invalidation holds a tag or path Cloudflare cannot purge (then no request is sent)
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
          new PurgeException(name, ErrorKind.REJECTED, e.getMessage(), e));
    }
    return new PurgeRun(this, invalidation.id(), ops).start();
  }

  /**
   * Checks that Cloudflare can purge every tag and path of the invalidation, without sending
   * anything. A coalesced flush ({@code Invalidator.submit}) merges many submissions, and one bad
   * tag fails the purge of all of them; calling this where submissions are accepted (a webhook
   * handler, say) refuses the bad one alone, at its source.
   *
   * <p>Refused: a tag longer than 1,024 characters, with a character outside printable ASCII, a
   * space or a comma; a path with {@code *} anywhere but at its end, with a {@code #} fragment;
   * a prefix path (ending in {@code *}) with a query string or more than 31 path separators.
   *
   * @param invalidation the invalidation
   * @throws IllegalArgumentException naming the zone, the invalidation and up to five offending
   *     tags or paths with the reason for each
   */
  public void validate(Invalidation invalidation) {
    planner.plan(Objects.requireNonNull(invalidation, "invalidation"));
  }

  /**
   * Returns {@code cloudflare:} followed by the zone id.
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
    return "CloudflarePurger[zone=" + zoneId + ", account=" + accountId + ", apiToken=" + token
        + ", limits=[" + limiter.limits() + "], hosts=" + hosts + ", purgePaths=" + purgePaths
        + ", baseUri=" + baseUri + ", attemptTimeout=" + attemptTimeout + ", deadline=" + deadline
        + ", retry=" + retry + ", concurrency=" + concurrency + "]";
  }

  /**
   * Builds a {@link CloudflarePurger}. Not thread-safe; {@link #build()} validates the settings and
   * may be called more than once.
   *
   * @since 0.1
   */
  public static final class Builder {
    private String zoneId;
    private String accountId;
    private ApiToken token;
    private final List<PurgePlanner.Host> hosts = new ArrayList<>();
    private boolean purgePaths = true;
    private Plan plan;
    private PurgeLimits limits;
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
     * Sets the zone to purge. Required.
     *
     * @param zoneId the zone id, 32 hexadecimal digits (dashboard: the zone's Overview page, "API"
     *     section); not the domain name
     * @return this builder
     * @throws NullPointerException if {@code zoneId} is null
     * @throws IllegalArgumentException if it is not 32 hexadecimal digits
     */
    public Builder zoneId(String zoneId) {
      this.zoneId = id(zoneId, "zoneId");
      return this;
    }

    /**
     * Sets the account the zone belongs to. Required: Cloudflare's purge limits apply per account,
     * so every purger of the account in this JVM shares one rate limit, keyed by this id. Purgers
     * of one account must be built with the same plan or limits (and clock).
     *
     * @param accountId the account id, 32 hexadecimal digits (dashboard: a zone's Overview page,
     *     "API" section, "Account ID")
     * @return this builder
     * @throws NullPointerException if {@code accountId} is null
     * @throws IllegalArgumentException if it is not 32 hexadecimal digits
     */
    public Builder accountId(String accountId) {
      this.accountId = id(accountId, "accountId");
      return this;
    }

    private static String id(String value, String what) {
      Objects.requireNonNull(value, what);
      if (!ID.matcher(value).matches()) {
        throw new IllegalArgumentException(what + " must be 32 hexadecimal digits (the id, not"
            + " a name): '" + Envelope.printable(value) + "'");
      }
      return value.toLowerCase(Locale.ROOT);
    }

    /**
     * Sets the API token, sent as {@code Authorization: Bearer <token>}. Required. The token needs
     * the Zone &gt; Cache Purge &gt; Purge permission on the zone.
     *
     * @param apiToken the token; it never appears in logs, messages or {@code toString()}
     * @return this builder
     * @throws NullPointerException if {@code apiToken} is null
     * @throws IllegalArgumentException if it is blank, not printable ASCII, or starts with
     *     {@code Bearer }
     */
    public Builder apiToken(String apiToken) {
      Objects.requireNonNull(apiToken, "apiToken");
      if (apiToken.strip().regionMatches(true, 0, "Bearer ", 0, 7)) {
        throw new IllegalArgumentException(
            "apiToken must be the token itself, without the 'Bearer ' prefix");
      }
      this.token = ApiToken.of(apiToken);
      return this;
    }

    /**
     * Adds a host whose URLs the invalidation's paths name; each path is purged once per host.
     * Needed when invalidations carry paths, unless {@link #purgePaths(boolean) purgePaths(false)}.
     *
     * @param host a host name with an optional port ({@code www.example.com}), purged as {@code
     *     https} URLs; or an origin URL ({@code http://www.example.com}) whose scheme single-file
     *     purges use (Cloudflare's default cache key includes the scheme: add both origins if the
     *     site is cached under both)
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
                + Envelope.printable(host) + "'");
      }
      PurgePlanner.Host parsed =
          new PurgePlanner.Host(origin.scheme(), origin.authority(), origin.hostName());
      if (!hosts.contains(parsed)) {
        hosts.add(parsed);
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
     * host}. With false, this purger ignores the invalidation's paths and purges only its tags.
     *
     * @param purgePaths whether to purge paths
     * @return this builder
     */
    public Builder purgePaths(boolean purgePaths) {
      this.purgePaths = purgePaths;
      return this;
    }

    /**
     * Sets the account's plan, whose documented purge limits apply ({@link Plan#limits()}). A
     * plan or {@link #limits(PurgeLimits) limits} is required: the limits differ 600-fold between
     * Free and Enterprise.
     *
     * @param plan the plan
     * @return this builder
     * @throws NullPointerException if {@code plan} is null
     */
    public Builder plan(Plan plan) {
      this.plan = Objects.requireNonNull(plan, "plan");
      return this;
    }

    /**
     * Sets the account's purge limits when they differ from the plan's documented ones; takes
     * precedence over {@link #plan(Plan)}.
     *
     * @param limits the limits
     * @return this builder
     * @throws NullPointerException if {@code limits} is null
     */
    public Builder limits(PurgeLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Sets the API base URI. Default {@link #DEFAULT_BASE_URI}. Plain {@code http} is accepted only
     * for literal loopback addresses such as {@code 127.0.0.1} (tests), so that the token never
     * crosses a network in clear text.
     *
     * @param baseUri the base URI, e.g. {@code http://127.0.0.1:8080}; {@code
     *     /client/v4/zones/...} is appended
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
     * fanout-cloudflare-http-N}. A caller's client should also never follow redirects and should
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
     * Sets the bound on one attempt, from sending it to having read its whole response; on expiry
     * the attempt is cancelled and counts as a retryable timeout. Default {@link
     * #DEFAULT_ATTEMPT_TIMEOUT}.
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
     * 5 s. A {@code Retry-After} replaces the backoff.
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
     * Sets how long after {@link CloudflarePurger#purge(Invalidation)} was called a request or
     * retry may still start, waits for the rate limit and {@code Retry-After} included: a request
     * whose wait would end later fails at once ({@link ErrorKind#THROTTLED}). Default {@link
     * #DEFAULT_DEADLINE}. On the Free plan (a token every 12 s) raise it, and the invalidator's
     * deadline with it (e.g. 90 s here, 2 minutes there). Keep it below what the engine leaves for
     * the purge stage, which cancels the purge at the invalidation's overall deadline: a request
     * sent just before that is cancelled in flight.
     *
     * @param deadline the limit, {@code > 0}
     * @return this builder
     * @throws NullPointerException if {@code deadline} is null
     * @throws IllegalArgumentException if it is not positive
     */
    public Builder deadline(Duration deadline) {
      this.deadline = positive(deadline, "deadline");
      return this;
    }

    /**
     * Sets how many requests one purge has in flight at most. Default {@link
     * #DEFAULT_CONCURRENCY}. The account's rate limit applies whatever this is.
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
     * Sets the clock for the rate limit, the deadline and {@code Retry-After} dates. Default
     * {@link Clock#systemUTC()}. Every purger of one account must use the same clock.
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
     * Sets the scheduler that runs rate-limit waits, retries and attempt timeouts; its tasks are
     * short and never block. Default: one daemon thread named {@code
     * fanout-timer-1}, shared by every component built without one. The purger never shuts a given scheduler down.
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
     * @throws IllegalStateException if {@code zoneId}, {@code accountId}, {@code apiToken}, or a
     *     plan or limits is missing; if paths are purged but no host is set; if both {@code
     *     httpClient} and {@code connectTimeout} are set; or if the account already has purgers
     *     in this JVM with other limits or another clock
     */
    public CloudflarePurger build() {
      if (zoneId == null) {
        throw new IllegalStateException("zoneId is required");
      }
      if (accountId == null) {
        throw new IllegalStateException("accountId is required: Cloudflare's purge limits apply"
            + " per account, and the purgers of an account share one rate limit keyed by it");
      }
      if (token == null) {
        throw new IllegalStateException("apiToken is required");
      }
      if (plan == null && limits == null) {
        throw new IllegalStateException("a plan is required: plan(Plan.FREE | PRO | BUSINESS |"
            + " ENTERPRISE), or limits(PurgeLimits) for an account with other limits");
      }
      if (purgePaths && hosts.isEmpty()) {
        throw new IllegalStateException(
            "host is required to purge paths: set host(...), or purgePaths(false) to purge tags"
                + " only");
      }
      PurgerSettings.checkClient(httpClient, connectTimeout);
      PurgeLimits l = limits != null ? limits : plan.limits();
      // Checked before a client (and its threads) exists.
      AccountLimiter.forAccount(accountId, l, clock != null ? clock : Clock.systemUTC());
      HttpClient c = PurgerSettings.client(httpClient, connectTimeout, DEFAULT_CONNECT_TIMEOUT,
          "fanout-cloudflare-http");
      return new CloudflarePurger(this, c, l);
    }
  }
}
