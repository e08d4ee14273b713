// Over 500 lines for one job: the discovery's public face (discover, watch, the Builder and their documentation, about a third of the file); the resolver with its retries is in DnsClient.
package dev.fanout.k8s;

import static dev.fanout.internal.Checks.positive;

import dev.fanout.DiscoveryException;
import dev.fanout.Endpoint;
import dev.fanout.RetryPolicy;
import dev.fanout.internal.Futures;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Schedulers;
import dev.fanout.internal.Tasks;
import dev.fanout.spi.Discovery;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.xbill.DNS.Name;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Discovers the replicas behind a Kubernetes headless Service from DNS, with dnsjava.
 *
 * <p>A headless Service {@code <svc>.<ns>.svc.cluster.local} answers one A (or AAAA) record per
 * ready pod; every address becomes an {@link Endpoint} with the configured port. Alternatively the
 * port comes from the SRV records of a named Service port ({@code _http._tcp.<svc>.<ns>.svc...}),
 * one endpoint per record, so pods whose named port maps to different numbers are reached on the
 * right one. IPv4 and IPv6 are both asked for.
 *
 * <pre>{@code
 * Discovery web = DnsDiscovery.of("web-headless.shop.svc.cluster.local.", 3000);
 * Discovery varnish = DnsDiscovery.builder("varnish.shop.svc.cluster.local.")
 *     .srv("http")                 // port from _http._tcp.varnish.shop.svc.cluster.local.
 *     .allowCidr("10.0.0.0/8")     // only pod addresses
 *     .build();
 * }</pre>
 *
 * <h2>Behaviour</h2>
 *
 * <ul>
 *   <li><b>Not-ready pods are invisible.</b> DNS lists only ready pods (unless the Service sets
 *       {@code publishNotReadyAddresses}), so a pod whose readiness probe failed for a moment, and
 *       that still holds cached content, is not reached. Use {@link KubernetesDiscovery} when that
 *       matters.
 *   <li><b>NXDOMAIN is zero targets</b>: a headless Service with no ready pod answers NXDOMAIN, and
 *       so does a name that does not exist; both complete with an empty list (the stage's {@code
 *       minTargets} turns that into a failure). Because NXDOMAIN can be intermittent, it is asked
 *       once more before it is believed. NODATA (the name exists without such records) is also an
 *       empty list.
 *   <li><b>Failures are retried within the deadline</b>: SERVFAIL, REFUSED, a timeout or an I/O
 *       error is retried (with jittered backoff, rotating over the servers) as the {@code retry}
 *       policy says, each attempt bounded by {@code attemptTimeout}, all inside {@code deadline};
 *       then {@code discover()} completes exceptionally with a {@link
 *       DiscoveryException} naming the name, the record type and the servers.
 *   <li><b>Large Services</b>: a UDP answer with the TC bit is asked again over TCP, so every record
 *       arrives (a TCP answer holds about 4,000 A records). More targets than {@code maxTargets} is
 *       a failure, not a silent cut: a replica left out would stay stale.
 *   <li><b>Caching</b>: {@link #discover()} reuses an answer for its TTL, but never longer than
 *       {@code maxTtl} (default 5 s), so pods that come and go are seen quickly. Empty answers are
 *       not cached (and clear the cache). {@link #discoverFresh()}, which the engine's membership
 *       re-check calls, always asks DNS again and refreshes the cache with what it hears. The JVM's
 *       {@code InetAddress} cache and the hosts file are never used.
 *   <li><b>SSRF guard</b>: loopback, link-local (including 169.254.169.254), other cloud metadata
 *       addresses, unspecified and multicast addresses are dropped unless {@link
 *       Builder#allowCidr(String)} re-opens them; with an allowlist, every address outside it is
 *       dropped too.
 * </ul>
 *
 * <p>Instances are immutable (apart from the answer cache) and safe for concurrent use; concurrent
 * {@link #discover()} calls share one lookup. {@code discover()} never blocks.
 *
 * @since 0.1
 */
public final class DnsDiscovery implements Discovery {

  /** Default cap on the number of targets (a TCP answer holds about 4,000 A records). */
  public static final int DEFAULT_MAX_TARGETS = 4096;

  /** Default deadline of one query, retries included. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(5);

  /**
   * Default retries of one query: 3 attempts in all (rotating over the servers), full-jitter
   * backoff from 50 ms capped at 400 ms.
   */
  public static final RetryPolicy DEFAULT_RETRY =
      new RetryPolicy(3, Duration.ofMillis(50), Duration.ofMillis(400));

  /**
   * Default cap on how long an answer is reused. CoreDNS serves Service records with a 5 s TTL by
   * default and stock Corefiles use 30 s; pods come and go faster than 30 s, so the cap is the
   * smaller one. https://coredns.io/plugins/kubernetes/ (option {@code ttl}).
   */
  public static final Duration DEFAULT_MAX_TTL = Duration.ofSeconds(5);

  /** How often NXDOMAIN is asked again before it is believed (it can be intermittent). */
  static final int NXDOMAIN_RECHECKS = 1;

  /** Longest CNAME chain followed; longer is treated as a loop. */
  static final int MAX_CNAME_HOPS = 8;

  /** SRV targets whose addresses were not in the answer are looked up this many at a time. */
  static final int TARGET_LOOKUP_CONCURRENCY = 16;

  /** Shortest interval at which a membership watch asks DNS again, whatever the TTL. */
  public static final Duration MIN_REQUERY = Duration.ofSeconds(1);

  private final String name;
  private final List<Name> candidates;
  private final int port;
  private final String srvService;
  private final String srvProtocol;
  private final int maxTargets;
  private final Duration maxTtl;
  private final AddressFilter filter;
  private final Clock clock;
  private final DnsClient client;
  private final Object lock = new Object();
  private final AtomicBoolean warnedNotReady = new AtomicBoolean();
  private volatile Cached cached;
  private final ScheduledExecutorService scheduler;
  /** The TTL of the last answer, capped at maxTtl: when a membership watch asks again. */
  private volatile Duration lastTtl;
  private CompletableFuture<List<Endpoint>> inFlight;

  private record Cached(List<Endpoint> endpoints, Instant expires) {}

  private DnsDiscovery(Builder b) {
    this.name = b.name;
    this.port = b.port;
    this.srvService = b.srvService;
    this.srvProtocol = b.srvProtocol;
    this.maxTargets = b.maxTargets;
    this.maxTtl = b.maxTtl;
    this.filter = new AddressFilter(b.allow);
    this.clock = b.clock;
    ResolverConfig system = b.servers.isEmpty() || b.searchDomains == null || b.ndots < 0
        ? ResolverConfig.getCurrentConfig() : null;
    List<InetSocketAddress> servers = b.servers.isEmpty() ? system.servers() : b.servers;
    if (servers.isEmpty()) {
      throw new IllegalStateException("no DNS server configured and none found in resolv.conf");
    }
    List<Name> search = b.searchDomains != null ? b.searchDomains : system.searchPath();
    int ndots = b.ndots >= 0 ? b.ndots : system.ndots();
    this.candidates = candidates(b.parsedName, search, ndots);
    ScheduledExecutorService scheduler = b.scheduler != null ? b.scheduler : Schedulers.shared();
    this.scheduler = scheduler;
    Duration attemptTimeout = b.attemptTimeout != null ? b.attemptTimeout
        : b.deadline.dividedBy(Math.min(b.retry.maxAttempts(), 1_000));
    this.client = new DnsClient(servers, new Retry(b.retry, b.random), attemptTimeout, b.deadline,
        clock, scheduler);
  }

  /**
   * Returns a discovery for a headless Service name with a fixed port, using the system's resolver
   * configuration (resolv.conf) and the default address filter.
   *
   * @param name the Service's DNS name, ideally absolute with a trailing dot (e.g. {@code
   *     web.shop.svc.cluster.local.}), which skips the search list
   * @param port the port of every replica
   * @return the discovery
   * @throws IllegalArgumentException if the name or port is invalid
   * @throws IllegalStateException if no DNS server is configured on this system
   */
  public static DnsDiscovery of(String name, int port) {
    return builder(name).port(port).build();
  }

  /**
   * Returns a builder for the given Service name.
   *
   * @param name the Service's DNS name; relative names go through the search list
   * @return a new builder
   * @throws NullPointerException if the name is null
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * Looks the Service up (or answers from the TTL-capped cache) and completes with one endpoint per
   * accepted address. Never throws; completes exceptionally with a {@link DiscoveryException} when
   * DNS fails or the answer holds more than {@code maxTargets} targets.
   *
   * @return a stage with the endpoints, possibly empty
   */
  @Override
  public CompletionStage<List<Endpoint>> discover() {
    Cached c = cached;
    if (c != null && clock.instant().isBefore(c.expires)) {
      return CompletableFuture.completedFuture(c.endpoints);
    }
    CompletableFuture<List<Endpoint>> f;
    synchronized (lock) {
      if (inFlight != null) {
        return inFlight.copy();
      }
      f = new CompletableFuture<>();
      inFlight = f;
    }
    lookup(f);
    return f.copy();
  }

  /**
   * Looks the Service up now, bypassing the answer cache and any lookup already in flight (it may
   * have been asked before a change), and refreshes the cache with the answer. The engine calls this
   * for the membership re-check after a fan-out, so that a pod that became ready meanwhile is
   * served and one that left is excused. Never throws.
   *
   * @return a stage with the endpoints, possibly empty
   */
  @Override
  public CompletionStage<List<Endpoint>> discoverFresh() {
    CompletableFuture<List<Endpoint>> f = new CompletableFuture<>();
    lookup(f);
    return f.copy();
  }

  /**
   * Asks DNS again at the TTL of each answer (capped at {@code maxTtl}, at least {@link
   * #MIN_REQUERY}) and tells {@code onChange} every answer, the first at once. DNS lists only
   * ready pods unless the headless Service sets {@code publishNotReadyAddresses: true}, which a
   * replica that holds its readiness until caught up needs. A failed query is asked again after
   * {@code maxTtl} (at least {@link #MIN_REQUERY}); the last answer stands meanwhile.
   *
   * @param onChange receives the current endpoints
   * @return the registration; closing it stops the queries
   * @since 0.2
   */
  @Override
  public Watch watch(java.util.function.Consumer<List<Endpoint>> onChange) {
    AtomicBoolean stopped = new AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<java.util.concurrent.ScheduledFuture<?>> next =
        new java.util.concurrent.atomic.AtomicReference<>();
    Runnable[] query = new Runnable[1];
    query[0] = () -> {
      if (stopped.get()) {
        return;
      }
      discoverFresh().whenComplete((endpoints, error) -> {
        if (stopped.get()) {
          return;
        }
        if (error == null) {
          try {
            onChange.accept(endpoints);
          } catch (RuntimeException e) {
            DnsClient.log.debug("DNS discovery of {}: a membership listener threw; ignored", name, e);
          }
        }
        Duration ttl = error == null && lastTtl != null ? lastTtl : maxTtl;
        Duration delay = ttl.compareTo(MIN_REQUERY) < 0 ? MIN_REQUERY : ttl;
        // Null when the scheduler was shut down: the watch then ends, as its owner is closing.
        next.set(Tasks.schedule(scheduler, delay, query[0]));
      });
    };
    query[0].run();
    return () -> {
      stopped.set(true);
      java.util.concurrent.ScheduledFuture<?> f = next.get();
      if (f != null) {
        f.cancel(false);
      }
    };
  }

  /** Runs one lookup into {@code f}; clears the shared in-flight slot if {@code f} holds it. */
  private void lookup(CompletableFuture<List<Endpoint>> f) {
    CompletableFuture<Lookup> lookup;
    try {
      lookup = srvService == null ? lookupAddresses() : lookupSrv();
    } catch (RuntimeException e) {
      lookup = CompletableFuture.failedFuture(e);
    }
    lookup.whenComplete((result, error) -> {
      synchronized (lock) {
        if (inFlight == f) {
          inFlight = null;
        }
      }
      if (error != null) {
        Throwable cause = Futures.unwrap(error);
        f.completeExceptionally(cause instanceof DiscoveryException ? cause
            : new DiscoveryException("DNS discovery of " + name + " failed: " + cause, cause));
        return;
      }
      try {
        f.complete(finish(result));
      } catch (DiscoveryException e) {
        f.completeExceptionally(e);
      }
    });
  }

  /** The addresses and ports found, and the smallest TTL seen, before filtering. */
  private record Lookup(List<Target> targets, long minTtl, boolean nxdomain) {}

  private record Target(InetAddress address, int port, String label) {}

  private List<Endpoint> finish(Lookup result) {
    Map<String, Endpoint> unique = new LinkedHashMap<>();
    String source = "DNS " + name;
    for (Target t : result.targets) {
      if (!filter.acceptsLogged(t.address, source)) {
        continue;
      }
      Endpoint e = new Endpoint(t.address.getHostAddress(), t.port, t.label, Endpoint.State.READY);
      unique.putIfAbsent(e.authority(), e);
    }
    if (unique.size() > maxTargets) {
      throw new DiscoveryException("DNS discovery of " + name + " found " + unique.size()
          + " targets, more than maxTargets " + maxTargets + "; refusing to pick a subset");
    }
    List<Endpoint> endpoints = List.copyOf(unique.values());
    Duration answerTtl = Duration.ofSeconds(Math.max(0, result.minTtl));
    lastTtl = answerTtl.compareTo(maxTtl) < 0 ? answerTtl : maxTtl;
    if (endpoints.isEmpty()) {
      // The newest word is "none": an older non-empty answer must not be served from the cache.
      cached = null;
      if (warnedNotReady.compareAndSet(false, true)) {
        DnsClient.log.warn("DNS discovery of {} found no replica{}; note that DNS lists only ready"
            + " pods (not-ready pods that hold cached content are not reached)", name,
            result.nxdomain ? " (NXDOMAIN)" : "");
      } else {
        DnsClient.log.debug("DNS discovery of {} found no replica", name);
      }
    } else if (!maxTtl.isZero() && result.minTtl > 0) {
      Duration ttl = Duration.ofSeconds(result.minTtl);
      cached = new Cached(endpoints, clock.instant().plus(ttl.compareTo(maxTtl) < 0 ? ttl : maxTtl));
    }
    DnsClient.log.debug("DNS discovery of {}: {} targets", name, endpoints.size());
    return endpoints;
  }

  private CompletableFuture<Lookup> lookupAddresses() {
    CompletableFuture<DnsClient.Records> a = client.resolve(candidates, Type.A, NXDOMAIN_RECHECKS);
    CompletableFuture<DnsClient.Records> aaaa =
        client.resolve(candidates, Type.AAAA, NXDOMAIN_RECHECKS);
    return a.thenCombine(aaaa, (r4, r6) -> {
      List<Target> targets = new ArrayList<>();
      for (DnsClient.Address x : r4.addresses()) {
        targets.add(new Target(x.address(), port, null));
      }
      for (DnsClient.Address x : r6.addresses()) {
        targets.add(new Target(x.address(), port, null));
      }
      return new Lookup(targets, min(r4.minTtl(), r6.minTtl()), r4.nxdomain() && r6.nxdomain());
    });
  }

  private CompletableFuture<Lookup> lookupSrv() {
    List<Name> srvNames = new ArrayList<>();
    for (Name c : candidates) {
      srvNames.add(DnsClient.prefix("_" + srvService + "._" + srvProtocol, c));
    }
    return client.resolve(srvNames, Type.SRV, NXDOMAIN_RECHECKS).thenCompose(srv -> {
      List<DnsClient.Srv> records = srv.srv();
      if (records.size() > maxTargets) {
        return CompletableFuture.failedFuture(new DiscoveryException("DNS discovery of " + name
            + " found " + records.size() + " SRV records, more than maxTargets " + maxTargets
            + "; refusing to pick a subset"));
      }
      List<Name> missing = new ArrayList<>();
      for (DnsClient.Srv r : records) {
        if (!srv.additional().containsKey(r.target()) && !missing.contains(r.target())) {
          missing.add(r.target());
        }
      }
      return client.resolveTargets(missing, TARGET_LOOKUP_CONCURRENCY).thenApply(found -> {
        Map<Name, List<DnsClient.Address>> byName = new LinkedHashMap<>(srv.additional());
        byName.putAll(found);
        long ttl = srv.minTtl();
        List<Target> targets = new ArrayList<>();
        for (DnsClient.Srv r : records) {
          ttl = min(ttl, r.ttl());
          String label = r.target().labels() > 1 ? r.target().getLabelString(0) : null;
          for (DnsClient.Address x : byName.getOrDefault(r.target(), List.of())) {
            ttl = min(ttl, x.ttl());
            targets.add(new Target(x.address(), r.port(), label));
          }
        }
        return new Lookup(targets, ttl, srv.nxdomain());
      });
    });
  }

  private static long min(long a, long b) {
    if (a < 0) {
      return b;
    }
    return b < 0 ? a : Math.min(a, b);
  }

  static List<Name> candidates(Name name, List<Name> search, int ndots) {
    if (name.isAbsolute()) {
      return List.of(name);
    }
    Name absolute = DnsClient.absolute(name);
    List<Name> out = new ArrayList<>();
    boolean enoughDots = name.labels() - 1 >= ndots;
    if (enoughDots) {
      out.add(absolute);
    }
    for (Name s : search) {
      Name n = DnsClient.concat(name, s);
      if (n != null && !out.contains(n)) {
        out.add(n);
      }
    }
    if (!enoughDots && !out.contains(absolute)) {
      out.add(absolute);
    }
    return List.copyOf(out);
  }

  /** Returns the names that are asked, in order (search list applied). */
  List<Name> candidates() {
    return candidates;
  }

  /** Returns the servers that are asked. */
  List<InetSocketAddress> servers() {
    return client.servers();
  }

  /**
   * Returns a description: the name, the port or SRV service, and the servers asked.
   *
   * @return the description
   */
  @Override
  public String toString() {
    return "DnsDiscovery[" + name + (srvService == null ? " port " + port
        : " srv _" + srvService + "._" + srvProtocol) + " via " + client.describeServers() + "]";
  }

  /**
   * Builds a {@link DnsDiscovery}. Not thread-safe; {@link #build()} validates and copies, so one
   * builder can build several instances.
   *
   * @since 0.1
   */
  public static final class Builder {
    private final String name;
    private final Name parsedName;
    private int port;
    private String srvService;
    private String srvProtocol = "tcp";
    private final List<InetSocketAddress> servers = new ArrayList<>();
    private List<Name> searchDomains;
    private int ndots = -1;
    private Duration deadline = DEFAULT_DEADLINE;
    private Duration attemptTimeout;
    private RetryPolicy retry = DEFAULT_RETRY;
    private Duration maxTtl = DEFAULT_MAX_TTL;
    private int maxTargets = DEFAULT_MAX_TARGETS;
    private final List<AddressFilter.Cidr> allow = new ArrayList<>();
    private Clock clock = Clock.systemUTC();
    private ScheduledExecutorService scheduler;
    private RandomGenerator random = Retry.defaultRandom();

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name must not be blank");
      }
      try {
        this.parsedName = Name.fromString(name.trim());
      } catch (TextParseException e) {
        throw new IllegalArgumentException("not a DNS name: '" + AddressFilter.printable(name)
            + "': " + e.getMessage(), e);
      }
      this.name = name.trim();
    }

    /**
     * Uses a fixed port for every address of the Service's A and AAAA records.
     *
     * @param port 1 to 65535
     * @return this builder
     * @throws IllegalArgumentException if the port is out of range
     */
    public Builder port(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be 1..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Takes targets and ports from the SRV records of a named Service port over TCP: {@code
     * _<portName>._tcp.<name>}. Unnamed Service ports have no SRV records.
     *
     * @param portName the Service port's name, e.g. {@code http}
     * @return this builder
     * @throws IllegalArgumentException if the name is not a valid DNS label
     */
    public Builder srv(String portName) {
      return srv(portName, "tcp");
    }

    /**
     * Takes targets and ports from the SRV records {@code _<portName>._<protocol>.<name>}.
     *
     * @param portName the Service port's name, e.g. {@code http}
     * @param protocol {@code tcp}, {@code udp} or {@code sctp}
     * @return this builder
     * @throws IllegalArgumentException if either is not a valid DNS label
     */
    public Builder srv(String portName, String protocol) {
      this.srvService = label(portName, "portName");
      this.srvProtocol = label(protocol, "protocol").toLowerCase(java.util.Locale.ROOT);
      return this;
    }

    /**
     * Adds a DNS server to ask, given as an IP literal (never looked up). Repeatable; servers are
     * tried in turn on failure. Default: the servers of the system's resolv.conf (or the {@code
     * dns.server} system property, as dnsjava reads it).
     *
     * @param ipLiteral the server's IP address
     * @param port its port (53 normally)
     * @return this builder
     * @throws IllegalArgumentException if the address is not an IP literal or the port is invalid
     */
    public Builder server(String ipLiteral, int port) {
      InetAddress a = AddressFilter.parseLiteral(ipLiteral);
      if (a == null) {
        throw new IllegalArgumentException("DNS server must be an IP address: '"
            + AddressFilter.printable(String.valueOf(ipLiteral)) + "'");
      }
      return server(new InetSocketAddress(a, port));
    }

    /**
     * Adds a DNS server to ask. Repeatable.
     *
     * @param address the server's resolved address and port
     * @return this builder
     * @throws IllegalArgumentException if the address is unresolved or the port is 0
     */
    public Builder server(InetSocketAddress address) {
      Objects.requireNonNull(address, "address");
      if (address.isUnresolved() || address.getPort() == 0) {
        throw new IllegalArgumentException("DNS server needs an IP address and a port: " + address);
      }
      servers.add(address);
      return this;
    }

    /**
     * Sets the search domains tried for a relative name. Default: the system's (resolv.conf
     * {@code search}). An empty list means relative names are asked only as absolute names.
     *
     * @param domains the domains, e.g. {@code shop.svc.cluster.local}
     * @return this builder
     * @throws IllegalArgumentException if a domain is not a DNS name
     */
    public Builder searchDomains(List<String> domains) {
      List<Name> parsed = new ArrayList<>();
      for (String d : domains) {
        try {
          parsed.add(DnsClient.absolute(Name.fromString(Objects.requireNonNull(d, "domain"))));
        } catch (TextParseException e) {
          throw new IllegalArgumentException("not a DNS name: '" + AddressFilter.printable(d) + "'");
        }
      }
      this.searchDomains = List.copyOf(parsed);
      return this;
    }

    /**
     * Sets resolv.conf's {@code ndots}: a relative name with at least this many dots is asked as
     * absolute first. Default: the system's.
     *
     * @param ndots 0 to 15
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder ndots(int ndots) {
      if (ndots < 0 || ndots > 15) {
        throw new IllegalArgumentException("ndots must be 0..15: " + ndots);
      }
      this.ndots = ndots;
      return this;
    }

    /**
     * Sets the deadline of one query, retries included: no attempt starts after it, and the last
     * ends by it. Default {@link DnsDiscovery#DEFAULT_DEADLINE}.
     *
     * @param deadline positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder deadline(Duration deadline) {
      this.deadline = positive(deadline, "deadline");
      return this;
    }

    /**
     * Sets the bound on one attempt of a query (one server asked once). Default: the deadline
     * divided by the retry policy's attempts, so that every attempt fits.
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
     * Sets how a query is retried after SERVFAIL, REFUSED, a timeout or an I/O error, rotating
     * over the servers: {@link RetryPolicy#maxAttempts()} attempts in all, full-jitter backoff
     * between them, inside the {@link #deadline(Duration)}. Default {@link
     * DnsDiscovery#DEFAULT_RETRY}.
     *
     * @param retry the policy; {@link RetryPolicy#none()} asks once
     * @return this builder
     * @throws NullPointerException if {@code retry} is null
     */
    public Builder retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /**
     * Caps how long an answer is reused: the records' TTL, but no longer than this. {@link
     * Duration#ZERO} asks DNS on every {@code discover()}. Default {@link DnsDiscovery#DEFAULT_MAX_TTL}.
     *
     * @param maxTtl zero or positive
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder maxTtl(Duration maxTtl) {
      Objects.requireNonNull(maxTtl, "maxTtl");
      if (maxTtl.isNegative()) {
        throw new IllegalArgumentException("maxTtl must not be negative: " + maxTtl);
      }
      this.maxTtl = maxTtl;
      return this;
    }

    /**
     * Sets the most targets a lookup may produce; more fails the discovery. Default {@link
     * #DEFAULT_MAX_TARGETS}.
     *
     * @param maxTargets at least 1
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maxTargets(int maxTargets) {
      if (maxTargets < 1) {
        throw new IllegalArgumentException("maxTargets must be >= 1: " + maxTargets);
      }
      this.maxTargets = maxTargets;
      return this;
    }

    /**
     * Adds a CIDR to the address allowlist. Repeatable. Once one is added, only addresses inside
     * an allowlisted CIDR are targets. An allowlisted CIDR also re-opens a range that is dropped by
     * default (loopback, link-local, metadata), but only if it is no wider than that range: {@code
     * 127.0.0.0/8} allows loopback, {@code 0.0.0.0/0} does not.
     *
     * @param cidr e.g. {@code 10.0.0.0/8} or {@code fd00::/8}
     * @return this builder
     * @throws IllegalArgumentException if not a CIDR
     */
    public Builder allowCidr(String cidr) {
      allow.add(AddressFilter.Cidr.parse(cidr));
      return this;
    }

    /**
     * Sets the clock for TTLs and the query time budget. Default {@link Clock#systemUTC()}.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets the scheduler for per-attempt timeouts and retry delays. Default: one daemon thread
     * named {@code fanout-timer-1}, shared by every component built without one. The scheduler is not shut down by this class.
     *
     * @param scheduler the scheduler
     * @return this builder
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Sets the random source for retry jitter; it need not be thread-safe. Default: {@link
     * java.util.concurrent.ThreadLocalRandom} of the calling thread.
     *
     * @param random the generator
     * @return this builder
     */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Validates the settings and returns the discovery. Reads the system's resolver configuration
     * when servers, search domains or ndots were not given; sends nothing.
     *
     * @return the discovery
     * @throws IllegalStateException if neither a port nor an SRV service was set, or both were, or
     *     no DNS server is configured
     */
    public DnsDiscovery build() {
      if (port == 0 && srvService == null) {
        throw new IllegalStateException("set either port(int) or srv(portName) for " + name);
      }
      if (port != 0 && srvService != null) {
        throw new IllegalStateException("set port(int) or srv(portName), not both, for " + name);
      }
      return new DnsDiscovery(this);
    }

    private static String label(String s, String what) {
      Objects.requireNonNull(s, what);
      if (!s.matches("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")) {
        throw new IllegalArgumentException(what + " is not a DNS label: '"
            + AddressFilter.printable(s) + "'");
      }
      return s;
    }

  }
}
