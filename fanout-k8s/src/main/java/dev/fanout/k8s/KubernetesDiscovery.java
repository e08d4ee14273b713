// Over 500 lines for one job: the discovery's public face (discover, watch, the Builder and their documentation, about a third of the file); the API calls are in ApiClient, the watch in SliceWatcher, parsing in EndpointSlices.
package dev.fanout.k8s;

import static dev.fanout.internal.Checks.positive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.DiscoveryException;
import dev.fanout.Endpoint;
import dev.fanout.RetryPolicy;
import dev.fanout.internal.Futures;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Schedulers;
import dev.fanout.spi.Discovery;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Discovers the replicas behind a Kubernetes Service from its EndpointSlices ({@code
 * discovery.k8s.io/v1}), over {@code java.net.http} and Jackson, without a Kubernetes client
 * library.
 *
 * <pre>{@code
 * // In a pod: API server, token, CA and namespace from the service account; keeps a live view.
 * try (KubernetesDiscovery web = KubernetesDiscovery.inCluster("web", "http")) {
 *   ...Stage.fanout("web", web, notifier)...
 * }
 *
 * KubernetesDiscovery listing = KubernetesDiscovery.builder()
 *     .apiServer(URI.create("https://10.96.0.1")).tokenFile(token).caCertificate(ca)
 *     .service("web").namespace("shop").portName("http")
 *     .build();                       // lists on every discover()
 * }</pre>
 *
 * <h2>What is a target</h2>
 *
 * <p>Every slice labelled {@code kubernetes.io/service-name=<service>} is listed (following {@code
 * continue} pages), the slices are merged and each address appears once, with the port named
 * {@code portName} in its slice (pods may map a named port to different numbers). The endpoint's
 * name is the pod's name. Conditions map to {@link Endpoint.State}: ready (or unset) is {@code
 * READY}; not ready and not terminating is {@code NOT_READY}; terminating and serving is {@code
 * SERVING}; terminating and not serving is {@code TERMINATING}. By default {@code READY}, {@code
 * NOT_READY} (a starting pod may already cache) and {@code SERVING} endpoints are targets; {@link
 * Builder#states(Set)} changes that. Unlike DNS, this sees pods that are not ready.
 *
 * <h2>List mode and watch mode</h2>
 *
 * <p>In list mode (the builder's default) every {@link #discover()} lists the slices. In watch mode
 * ({@link Builder#watch(boolean)}, and {@link #inCluster(String, String)}) the instance lists once,
 * then watches from the list's resource version with bookmarks and keeps a live view; {@code
 * discover()} answers from it without an API call, and so does the engine's membership re-check
 * ({@link #discoverFresh()}) while the watch is healthy; while the watch is failing the re-check
 * lists. The watch:
 *
 * <ul>
 *   <li>re-watches from the last resource version seen when the server ends a stream;
 *   <li>relists when that version has expired, whether the server says so with HTTP 410 or with an
 *       {@code ERROR} event inside a 200 stream, or closes three watches in a row without an event;
 *   <li>drops a stream on which no byte arrived for {@code idleTimeout} (an idle deadline, not a
 *       total timeout) and re-watches, and asks the server to end streams after about {@code
 *       watchTimeout} itself;
 *   <li>backs off with full jitter on 429, 5xx, refused connections and broken streams (honouring
 *       {@code Retry-After} up to the backoff cap), keeping the last good view; {@link #viewAge()}
 *       says how old it is, and {@code discover()} fails once it is older than {@code
 *       maxStaleness};
 *   <li>owns a stream and a timer thread: {@link #close()} stops them.
 * </ul>
 *
 * <h2>Credentials and errors</h2>
 *
 * <p>The service-account token is read from its file, read again every minute and after a 401
 * (bound tokens rotate), and sent only in the {@code Authorization} header: never in a URL, a log
 * line, an exception message or {@link #toString()}. A 403 fails with a message naming the missing
 * verb ({@code list} or {@code watch}) and resource. Plain {@code http://} is accepted only for a
 * loopback API server (tests, {@code kubectl proxy}).
 *
 * <p>Addresses pass the same SSRF guard as {@link DnsDiscovery}: loopback, link-local and metadata
 * addresses are dropped unless {@link Builder#allowCidr(String)} re-opens them.
 *
 * <p>Thread-safe. {@code discover()} never blocks and fails by completing exceptionally with a
 * {@link DiscoveryException}.
 *
 * @since 0.1
 */
public final class KubernetesDiscovery implements Discovery, AutoCloseable {

  /**
   * Default LIST page size ({@code limit}). The controller puts at most 100 endpoints in a slice,
   * so one page covers up to 50,000 endpoints.
   * https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/
   */
  public static final int DEFAULT_PAGE_SIZE = 500;

  /** Default bound on one attempt of a LIST request, body included. */
  public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Default idle deadline of a watch stream: twice the interval at which the API server sends
   * bookmarks (about a minute). https://github.com/kubernetes/kubernetes/pull/90249
   */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);

  /**
   * Default {@code timeoutSeconds} asked of the server for a watch; each watch adds a random part
   * up to the same again, so replicas do not reconnect together.
   */
  public static final Duration DEFAULT_WATCH_TIMEOUT = Duration.ofMinutes(5);

  /**
   * Default retry after a failed LIST or watch: full-jitter backoff from 1 s capped at 30 s, for as
   * long as the discovery is open.
   */
  public static final RetryPolicy DEFAULT_RETRY =
      new RetryPolicy(Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ofSeconds(30));

  /** Default age after which a watch-mode view is no longer served. */
  public static final Duration DEFAULT_MAX_STALENESS = Duration.ofMinutes(5);

  /** Default targets: ready pods, starting pods and draining pods that still serve. */
  public static final Set<Endpoint.State> DEFAULT_STATES = Set.copyOf(
      EnumSet.of(Endpoint.State.READY, Endpoint.State.NOT_READY, Endpoint.State.SERVING));

  /** Most LIST pages followed; a longer chain of {@code continue} tokens is a server bug. */
  static final int MAX_PAGES = 10_000;

  private final ApiClient api;
  private final EndpointSlices parser;
  private final Set<Endpoint.State> states;
  private final int pageSize;
  private final Clock clock;
  private final Duration maxStaleness;
  private final ObjectMapper json = new ObjectMapper();
  private final SliceWatcher watcher;
  private final ExecutorService ownedHttpExecutor;
  private final ScheduledExecutorService ownedScheduler;
  private final String description;
  private volatile List<Endpoint> lastListed;
  private volatile Instant lastListedAt;
  private volatile DiscoveryException lastListError;
  private volatile boolean closed;

  private KubernetesDiscovery(Builder b, HttpClient http, ExecutorService ownedHttpExecutor,
      ScheduledExecutorService scheduler, ScheduledExecutorService ownedScheduler) {
    this.states = b.states;
    this.pageSize = b.pageSize;
    this.clock = b.clock;
    this.maxStaleness = b.maxStaleness;
    this.ownedHttpExecutor = ownedHttpExecutor;
    this.ownedScheduler = ownedScheduler;
    TokenSource token = b.tokenFile == null ? null : new TokenSource(b.tokenFile, b.clock);
    this.api = new ApiClient(http, b.apiServer, b.namespace, b.service, token, json, scheduler,
        b.attemptTimeout);
    this.parser = new EndpointSlices(b.portName, b.port, new AddressFilter(b.allow),
        "Service " + b.namespace + "/" + b.service);
    this.description = "KubernetesDiscovery[" + b.namespace + "/" + b.service + " port "
        + (b.port > 0 ? String.valueOf(b.port) : "'" + b.portName + "'") + " at " + b.apiServer
        + (b.watch ? ", watch" : ", list") + "]";
    this.watcher = b.watch ? new SliceWatcher(api, this::listAll, parser, states, json, clock,
        scheduler, b.random,
        new Retry(b.retry, b.random),
        b.idleTimeout,
        b.watchTimeout) : null;
  }

  /**
   * Returns a watching discovery configured from the pod it runs in: the API server from {@code
   * KUBERNETES_SERVICE_HOST} and {@code KUBERNETES_SERVICE_PORT}, the token, CA and namespace from
   * {@code /var/run/secrets/kubernetes.io/serviceaccount}. It starts listing at once; close it to
   * stop the watch.
   *
   * @param service the Service's name
   * @param portName the name of the Service port to use
   * @return the running discovery
   * @throws IllegalStateException if this is not a Kubernetes pod (naming what is missing)
   * @throws IllegalArgumentException if a name is invalid
   */
  public static KubernetesDiscovery inCluster(String service, String portName) {
    return builder().inCluster().service(service).portName(portName).watch(true).build();
  }

  /**
   * Returns a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the current targets. In watch mode answers from the live view without an API call
   * (waiting for the first LIST if it has not completed); fails if the view is older than {@code
   * maxStaleness}, or if there is no view and the last attempt to get one failed. In list mode
   * lists the slices.
   *
   * @return a stage with the endpoints, possibly empty
   */
  @Override
  public CompletionStage<List<Endpoint>> discover() {
    if (closed) {
      return CompletableFuture.failedFuture(
          new DiscoveryException("discovery of " + api.describe() + " is closed"));
    }
    if (watcher == null) {
      return listAll().handle((listing, error) -> {
        if (error != null) {
          DiscoveryException e = toDiscovery(error, "list");
          lastListError = e;
          throw e;
        }
        List<Endpoint> endpoints = parser.merge(listing.slices().values(), states);
        lastListed = endpoints;
        lastListedAt = clock.instant();
        lastListError = null;
        return endpoints;
      });
    }
    List<Endpoint> view = watcher.view();
    if (view == null) {
      DiscoveryException error = watcher.lastError();
      return error != null ? CompletableFuture.failedFuture(error) : watcher.firstView();
    }
    Duration age = Duration.between(watcher.syncedAt(), clock.instant());
    if (maxStaleness != null && age.compareTo(maxStaleness) > 0) {
      DiscoveryException last = watcher.lastError();
      return CompletableFuture.failedFuture(new DiscoveryException("the view of "
          + api.describe() + " is " + age.toSeconds() + " s old, more than maxStaleness "
          + maxStaleness.toSeconds() + " s" + (last == null ? "" : "; last error: "
          + last.getMessage()), last));
    }
    return CompletableFuture.completedFuture(view);
  }

  /**
   * Discovers the current targets for the engine's membership re-check, without a stale answer.
   * In list mode this lists, as {@link #discover()} does (list mode keeps no cache). In watch mode
   * the view is live: the watch applies every change as the API server streams it, so while the
   * watch is healthy this answers from the view without an API call, like {@code discover()}; while
   * it is failing (reconnecting with backoff, {@link #lastError()} present) or before the first
   * view, it lists once instead, leaving the view to the watch.
   *
   * @return a stage with the endpoints, possibly empty
   */
  @Override
  public CompletionStage<List<Endpoint>> discoverFresh() {
    if (closed || watcher == null
        || (watcher.view() != null && watcher.lastError() == null)) {
      return discover();
    }
    return listAll().handle((listing, error) -> {
      if (error != null) {
        throw toDiscovery(error, "list");
      }
      return parser.merge(listing.slices().values(), states);
    });
  }

  /**
   * Returns how long ago the view was last known to be in sync with the API server (the last LIST,
   * watch event, bookmark or watch (re)connection), or empty before the first successful LIST.
   *
   * @return the age of the last known good view
   */
  public Optional<Duration> viewAge() {
    Instant at = watcher != null ? watcher.syncedAt() : lastListedAt;
    return at == null ? Optional.empty() : Optional.of(Duration.between(at, clock.instant()));
  }

  /**
   * In watch mode, tells {@code onChange} the live view at once and then after every watch event
   * as it arrives (pods that are not ready yet included, when the discovery's states include
   * {@code NOT_READY}, the default), so that a catch-up stage reaches a new pod before it takes
   * traffic. In list mode the discovery cannot report changes: {@link Watch#UNSUPPORTED}.
   *
   * @param onChange receives the current targets
   * @return the registration
   * @since 0.2
   */
  @Override
  public Watch watch(java.util.function.Consumer<List<Endpoint>> onChange) {
    if (watcher == null) {
      return Watch.UNSUPPORTED;
    }
    Runnable remove = watcher.addListener(onChange);
    return remove::run;
  }

  /**
   * Returns the last known good targets (the live view in watch mode, the last LIST's result in
   * list mode), or an empty list before the first success.
   *
   * @return the endpoints
   */
  public List<Endpoint> lastKnownGood() {
    List<Endpoint> v = watcher != null ? watcher.view() : lastListed;
    return v == null ? List.of() : v;
  }

  /**
   * Returns the error of the last failed API call, cleared by the next success. Never contains the
   * token.
   *
   * @return the last error, if the last call failed
   */
  public Optional<DiscoveryException> lastError() {
    return Optional.ofNullable(watcher != null ? watcher.lastError() : lastListError);
  }

  /**
   * Stops the watch (if any) and the threads this instance created. Idempotent; afterwards {@code
   * discover()} fails.
   */
  @Override
  public void close() {
    closed = true;
    if (watcher != null) {
      watcher.close();
    }
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
    if (ownedHttpExecutor != null) {
      ownedHttpExecutor.shutdownNow();
    }
  }

  /**
   * Returns a description naming the Service, the port, the API server and the mode; never the
   * token.
   *
   * @return the description
   */
  @Override
  public String toString() {
    return description;
  }

  /** The resource version the watch resumes from (tests). */
  String resourceVersion() {
    return watcher == null ? null : watcher.resourceVersion();
  }

  private DiscoveryException toDiscovery(Throwable error, String verb) {
    Throwable cause = Futures.unwrap(error);
    if (cause instanceof DiscoveryException d) {
      return d;
    }
    return new DiscoveryException("cannot " + verb + " " + api.describe() + ": "
        + (cause instanceof ApiClient.ApiException ? cause.getMessage() : cause.toString()), cause);
  }

  private CompletableFuture<SliceWatcher.Listing> listAll() {
    return page(null, new LinkedHashMap<>(), null, 0, false);
  }

  private CompletableFuture<SliceWatcher.Listing> page(String continueToken,
      Map<String, List<Endpoint>> acc, String firstVersion, int pages, boolean restarted) {
    return api.list(pageSize, continueToken).handle((list, error) -> {
      if (error != null) {
        Throwable cause = Futures.unwrap(error);
        if (continueToken != null && !restarted && cause instanceof ApiClient.ApiException api
            && api.status == 410) {
          // The continue token expired between pages: start over from a fresh snapshot.
          return page(null, new LinkedHashMap<>(), null, 0, true);
        }
        return CompletableFuture.<SliceWatcher.Listing>failedFuture(cause);
      }
      JsonNode items = list.path("items");
      if (items.isArray()) {
        for (JsonNode slice : items) {
          String name = slice.path("metadata").path("name").asText("");
          if (!name.isEmpty()) {
            acc.put(name, parser.endpoints(slice));
          }
        }
      }
      String version = firstVersion != null ? firstVersion
          : list.path("metadata").path("resourceVersion").asText("");
      String next = list.path("metadata").path("continue").asText("");
      if (next.isEmpty()) {
        return CompletableFuture.completedFuture(new SliceWatcher.Listing(acc, version));
      }
      if (pages + 1 >= MAX_PAGES) {
        return CompletableFuture.<SliceWatcher.Listing>failedFuture(
            new IOException("more than " + MAX_PAGES + " pages"));
      }
      return page(next, acc, version, pages + 1, restarted);
    }).thenCompose(f -> f);
  }

  /**
   * Builds a {@link KubernetesDiscovery}. Not thread-safe. Required: the API server (or {@link
   * #inCluster()}), {@link #service(String)}, {@link #namespace(String)} (in-cluster: the pod's)
   * and {@link #portName(String)} or {@link #port(int)}.
   *
   * @since 0.1
   */
  public static final class Builder {
    private URI apiServer;
    private Path tokenFile;
    private Path caFile;
    private HttpClient httpClient;
    private String namespace;
    private String service;
    private String portName;
    private int port;
    private boolean watch;
    private Set<Endpoint.State> states = DEFAULT_STATES;
    private final List<AddressFilter.Cidr> allow = new ArrayList<>();
    private int pageSize = DEFAULT_PAGE_SIZE;
    private Duration attemptTimeout = DEFAULT_ATTEMPT_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private Duration watchTimeout = DEFAULT_WATCH_TIMEOUT;
    private RetryPolicy retry = DEFAULT_RETRY;
    private Duration maxStaleness = DEFAULT_MAX_STALENESS;
    private Clock clock = Clock.systemUTC();
    private ScheduledExecutorService scheduler;
    private RandomGenerator random = Retry.defaultRandom();

    private Builder() {}

    /**
     * Takes the API server, token file, CA certificate and (unless set) namespace from the pod
     * this runs in.
     *
     * @return this builder
     * @throws IllegalStateException if this is not a Kubernetes pod (naming what is missing)
     */
    public Builder inCluster() {
      return config(InClusterConfig.detect());
    }

    Builder config(InClusterConfig config) {
      this.apiServer = config.apiServer();
      this.tokenFile = config.tokenFile();
      this.caFile = config.caFile();
      if (namespace == null) {
        namespace(config.namespace());
      }
      return this;
    }

    /**
     * Sets the API server's base URI, e.g. {@code https://10.96.0.1:443}. Plain {@code http} is
     * accepted only for a loopback host.
     *
     * @param uri the base URI
     * @return this builder
     * @throws IllegalArgumentException if it is not an absolute http(s) URI without a query
     */
    public Builder apiServer(URI uri) {
      Objects.requireNonNull(uri, "uri");
      if (!uri.isAbsolute() || uri.getHost() == null || uri.getRawQuery() != null
          || !(uri.getScheme().equals("https") || uri.getScheme().equals("http"))) {
        throw new IllegalArgumentException("apiServer must be an http(s) URI with a host and no"
            + " query: " + uri.getScheme() + "://" + uri.getRawAuthority());
      }
      this.apiServer = uri;
      return this;
    }

    /**
     * Sets the file holding the bearer token (re-read every minute and after a 401). Default: none
     * (no {@code Authorization} header, as through {@code kubectl proxy}).
     *
     * @param file the token file
     * @return this builder
     */
    public Builder tokenFile(Path file) {
      this.tokenFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * Sets the PEM file of the CA that signed the API server's certificate. Default: the JVM's
     * trust store. Not combinable with {@link #httpClient(HttpClient)}.
     *
     * @param file the CA bundle
     * @return this builder
     */
    public Builder caCertificate(Path file) {
      this.caFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * Uses a caller-built HTTP client (its TLS settings, proxy and executor). It should not follow
     * redirects. Default: a client built here, with daemon threads named {@code fanout-k8s-http-N}
     * that {@link KubernetesDiscovery#close()} stops.
     *
     * @param client the client
     * @return this builder
     */
    public Builder httpClient(HttpClient client) {
      this.httpClient = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Sets the Service's namespace.
     *
     * @param namespace a DNS label
     * @return this builder
     * @throws IllegalArgumentException if it is not a DNS label
     */
    public Builder namespace(String namespace) {
      this.namespace = dnsLabel(namespace, "namespace");
      return this;
    }

    /**
     * Sets the Service's name.
     *
     * @param service a DNS label
     * @return this builder
     * @throws IllegalArgumentException if it is not a DNS label
     */
    public Builder service(String service) {
      this.service = dnsLabel(service, "service");
      return this;
    }

    /**
     * Uses the port with this name in each slice ({@code ""} for the unnamed port of a single-port
     * Service).
     *
     * @param portName the Service port's name
     * @return this builder
     * @throws IllegalArgumentException if longer than 63 characters
     */
    public Builder portName(String portName) {
      Objects.requireNonNull(portName, "portName");
      if (portName.length() > 63) {
        throw new IllegalArgumentException("portName is longer than 63 characters");
      }
      this.portName = portName;
      return this;
    }

    /**
     * Uses this port on every endpoint, whatever the slices say (e.g. a sidecar's port).
     *
     * @param port 1 to 65535
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder port(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be 1..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Chooses watch mode (a live view, {@code discover()} without API calls; {@link
     * KubernetesDiscovery#close()} stops it) or list mode (a LIST per {@code discover()}). Default
     * false. In watch mode {@link #build()} starts the first LIST.
     *
     * @param watch true for watch mode
     * @return this builder
     */
    public Builder watch(boolean watch) {
      this.watch = watch;
      return this;
    }

    /**
     * Sets which endpoint states are targets. Default {@link KubernetesDiscovery#DEFAULT_STATES}.
     *
     * @param states at least one state
     * @return this builder
     * @throws IllegalArgumentException if empty
     */
    public Builder states(Set<Endpoint.State> states) {
      if (states.isEmpty()) {
        throw new IllegalArgumentException("states must not be empty");
      }
      this.states = Set.copyOf(states);
      return this;
    }

    /**
     * Adds a CIDR to the address allowlist, with the rules of {@link
     * DnsDiscovery.Builder#allowCidr(String)}.
     *
     * @param cidr e.g. {@code 10.0.0.0/8}
     * @return this builder
     * @throws IllegalArgumentException if not a CIDR
     */
    public Builder allowCidr(String cidr) {
      allow.add(AddressFilter.Cidr.parse(cidr));
      return this;
    }

    /**
     * Sets the LIST page size. Default {@link KubernetesDiscovery#DEFAULT_PAGE_SIZE}.
     *
     * @param pageSize 1 to 10,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder pageSize(int pageSize) {
      if (pageSize < 1 || pageSize > 10_000) {
        throw new IllegalArgumentException("pageSize must be 1..10000: " + pageSize);
      }
      this.pageSize = pageSize;
      return this;
    }

    /**
     * Bounds one attempt of a LIST request, body included, and each connect. Default {@link
     * KubernetesDiscovery#DEFAULT_ATTEMPT_TIMEOUT}.
     *
     * @param attemptTimeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder attemptTimeout(Duration attemptTimeout) {
      this.attemptTimeout = positive(attemptTimeout, "attemptTimeout");
      return this;
    }

    /**
     * Sets the watch's idle deadline: a stream on which nothing arrived for this long is dropped
     * and re-watched. Default {@link KubernetesDiscovery#DEFAULT_IDLE_TIMEOUT}.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = positive(timeout, "idleTimeout");
      return this;
    }

    /**
     * Sets the base of the {@code timeoutSeconds} asked of the server per watch (a random part up
     * to the same again is added). Default {@link KubernetesDiscovery#DEFAULT_WATCH_TIMEOUT}.
     *
     * @param timeout at least one second
     * @return this builder
     * @throws IllegalArgumentException if shorter than a second
     */
    public Builder watchTimeout(Duration timeout) {
      if (positive(timeout, "watchTimeout").toSeconds() < 1) {
        throw new IllegalArgumentException("watchTimeout must be at least 1 s: " + timeout);
      }
      this.watchTimeout = timeout;
      return this;
    }

    /**
     * Sets how a failed LIST or watch is retried: the n-th delay is uniform in {@code [0,
     * min(maxDelay, baseDelay * 2^(n-1))]}, or the server's {@code Retry-After} when it is longer
     * (capped at {@code maxDelay}). A watch keeps retrying for as long as the discovery is open, so
     * {@link RetryPolicy#maxAttempts()} is not used. Default {@link
     * KubernetesDiscovery#DEFAULT_RETRY}.
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
     * Sets the age after which a watch-mode view is no longer served ({@code discover()} fails
     * with the last error). {@code null} serves it however old. Default {@link
     * KubernetesDiscovery#DEFAULT_MAX_STALENESS}.
     *
     * @param maxStaleness positive, or null
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxStaleness(Duration maxStaleness) {
      this.maxStaleness = maxStaleness == null ? null : positive(maxStaleness, "maxStaleness");
      return this;
    }

    /**
     * Sets the clock for token re-reads, idle deadlines and view ages. Default {@link
     * Clock#systemUTC()}.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets the scheduler for backoff delays, idle deadlines and LIST timeouts; it is not shut down
     * by {@link KubernetesDiscovery#close()}. Default: a daemon thread named {@code
     * fanout-k8s-timer-N} per instance, stopped by {@code close()}.
     *
     * @param scheduler the scheduler
     * @return this builder
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Sets the random source for backoff jitter and watch timeouts; it need not be thread-safe.
     * Default: {@link java.util.concurrent.ThreadLocalRandom} of the calling thread.
     *
     * @param random the generator
     * @return this builder
     */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Validates the settings and returns the discovery; in watch mode the first LIST starts now.
     *
     * @return the discovery
     * @throws IllegalStateException if a required setting is missing, settings conflict, plain
     *     http is aimed at a host that is not loopback, or the CA file cannot be loaded
     */
    public KubernetesDiscovery build() {
      if (apiServer == null) {
        throw new IllegalStateException("set apiServer(URI) or inCluster()");
      }
      if (service == null) {
        throw new IllegalStateException("set service(name)");
      }
      if (namespace == null) {
        throw new IllegalStateException("set namespace(name) for service '" + service + "'");
      }
      if (portName == null && port == 0) {
        throw new IllegalStateException("set portName(name) or port(number) for service '"
            + service + "'");
      }
      if (portName != null && port != 0) {
        throw new IllegalStateException("set portName(name) or port(number), not both");
      }
      if (httpClient != null && caFile != null) {
        throw new IllegalStateException("caCertificate(path) cannot be combined with"
            + " httpClient(client); configure TLS on the client");
      }
      if (apiServer.getScheme().equals("http") && !isLoopback(apiServer.getHost())) {
        throw new IllegalStateException("refusing plain http to " + apiServer.getHost()
            + ": the API server is reached over https (http only for a loopback proxy)");
      }
      ExecutorService ownedHttp = null;
      HttpClient http = httpClient;
      if (http == null) {
        ownedHttp = Executors.newCachedThreadPool(Schedulers.daemonThreads("fanout-k8s-http"));
        HttpClient.Builder hb = HttpClient.newBuilder().executor(ownedHttp)
            .connectTimeout(attemptTimeout).followRedirects(HttpClient.Redirect.NEVER);
        if (caFile != null) {
          hb.sslContext(sslContext(caFile));
        }
        if (apiServer.getScheme().equals("http")) {
          hb.version(HttpClient.Version.HTTP_1_1);
        }
        http = hb.build();
      }
      ScheduledExecutorService ownedScheduler = scheduler == null
          ? Schedulers.newTimer("fanout-k8s-timer")
          : null;
      KubernetesDiscovery d = new KubernetesDiscovery(this, http, ownedHttp,
          scheduler != null ? scheduler : ownedScheduler, ownedScheduler);
      if (d.watcher != null) {
        d.watcher.start();
      }
      return d;
    }

    private static boolean isLoopback(String host) {
      if (host.equalsIgnoreCase("localhost")) {
        return true;
      }
      java.net.InetAddress a = AddressFilter.parseLiteral(host);
      return a != null && a.isLoopbackAddress();
    }

    private static SSLContext sslContext(Path caFile) {
      try (InputStream in = Files.newInputStream(caFile)) {
        Collection<? extends Certificate> certs =
            CertificateFactory.getInstance("X.509").generateCertificates(in);
        if (certs.isEmpty()) {
          throw new IllegalStateException("no certificate in CA file " + caFile);
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate c : certs) {
          store.setCertificateEntry("ca-" + i++, c);
        }
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException("cannot load CA file " + caFile + ": " + e.getMessage(), e);
      }
    }

    private static String dnsLabel(String s, String what) {
      Objects.requireNonNull(s, what);
      if (!s.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
        throw new IllegalArgumentException(what + " must be a lower-case DNS label: '"
            + AddressFilter.printable(s) + "'");
      }
      return s;
    }

  }
}
