package dev.fanout.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.DiscoveryException;
import dev.fanout.Endpoint;
import dev.fanout.internal.Futures;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Tasks;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a live view of a Service's EndpointSlices: LIST, then WATCH from the list's resource
 * version with bookmarks, re-WATCH from the last version seen when a stream ends, re-LIST when the
 * version has expired (410, as an HTTP status or as an ERROR event inside a 200 stream). A stream
 * that delivers no byte for the idle deadline is dropped and re-watched (a proxy can leave a dead
 * stream open). Failures back off with full jitter; meanwhile the last good view stays available,
 * with its age.
 *
 * <p>All state is guarded by {@code lock}; callbacks from old streams or timers are recognised by
 * their generation number and ignored. Nothing blocks while holding the lock.
 *
 * <p>https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */
final class SliceWatcher {
  private static final Logger log = LoggerFactory.getLogger(KubernetesDiscovery.class);

  /** Clean closes with no event in a row after which the version is treated as expired. */
  static final int MAX_EMPTY_CLOSES = 3;

  /** A LIST and its consistent resource version. */
  record Listing(Map<String, List<Endpoint>> slices, String resourceVersion) {}

  private final ApiClient api;
  private final Supplier<CompletableFuture<Listing>> lister;
  private final EndpointSlices parser;
  private final Set<Endpoint.State> states;
  private final ObjectMapper json;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final RandomGenerator random;
  /** Reconnects never give up: only its backoff is used, the attempts are counted here. */
  private final Retry retry;
  private final Duration idleTimeout;
  private final Duration watchTimeout;

  private final Object lock = new Object();
  private final Map<String, List<Endpoint>> slices = new HashMap<>();
  private String resourceVersion;
  private long generation;
  private int failures;
  private int expiredInARow;
  private int emptyCloses;
  private int eventsThisStream;
  private Flow.Subscription subscription;
  private ScheduledFuture<?> timer;
  private Instant lastByte;
  private boolean closed;
  private CompletableFuture<List<Endpoint>> waiting = new CompletableFuture<>();
  private CompletableFuture<List<Endpoint>> toFail;
  private DiscoveryException toFailWith;
  private volatile List<Endpoint> view;
  /** Told every new view (catch-up membership watches); called with the lock held, so quick. */
  private final java.util.List<java.util.function.Consumer<List<Endpoint>>> listeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile Instant syncedAt;
  private volatile DiscoveryException lastError;

  SliceWatcher(ApiClient api, Supplier<CompletableFuture<Listing>> lister, EndpointSlices parser,
      Set<Endpoint.State> states, ObjectMapper json, Clock clock,
      ScheduledExecutorService scheduler, RandomGenerator random, Retry retry,
      Duration idleTimeout, Duration watchTimeout) {
    this.api = api;
    this.lister = lister;
    this.parser = parser;
    this.states = states;
    this.json = json;
    this.clock = clock;
    this.scheduler = scheduler;
    this.random = random;
    this.retry = retry;
    this.idleTimeout = idleTimeout;
    this.watchTimeout = watchTimeout;
  }

  void start() {
    relist();
  }

  /** Adds a listener of views, told the current one at once if there is one; returns its removal. */
  Runnable addListener(java.util.function.Consumer<List<Endpoint>> listener) {
    listeners.add(listener);
    List<Endpoint> v = view;
    if (v != null) {
      tell(listener, v);
    }
    return () -> listeners.remove(listener);
  }

  private void published(List<Endpoint> v) {
    for (java.util.function.Consumer<List<Endpoint>> l : listeners) {
      tell(l, v);
    }
  }

  private void tell(java.util.function.Consumer<List<Endpoint>> listener, List<Endpoint> v) {
    try {
      listener.accept(v);
    } catch (RuntimeException e) {
      log.debug("{}: a view listener threw; ignored", api.describe(), e);
    }
  }

  List<Endpoint> view() {
    return view;
  }

  Instant syncedAt() {
    return syncedAt;
  }

  DiscoveryException lastError() {
    return lastError;
  }

  /** Completes with the first view, or fails if the next attempt to get one fails. */
  CompletableFuture<List<Endpoint>> firstView() {
    synchronized (lock) {
      if (closed) {
        return CompletableFuture.failedFuture(
            new DiscoveryException("discovery of " + api.describe() + " is closed"));
      }
      List<Endpoint> v = view;
      return v != null ? CompletableFuture.completedFuture(v) : waiting.copy();
    }
  }

  String resourceVersion() {
    synchronized (lock) {
      return resourceVersion;
    }
  }

  void close() {
    CompletableFuture<List<Endpoint>> w;
    synchronized (lock) {
      closed = true;
      generation++;
      stopLocked();
      w = waiting;
    }
    w.completeExceptionally(new DiscoveryException("discovery of " + api.describe() + " is closed"));
  }

  private void stopLocked() {
    if (subscription != null) {
      subscription.cancel();
      subscription = null;
    }
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void relist() {
    long gen;
    synchronized (lock) {
      if (closed) {
        return;
      }
      gen = ++generation;
      stopLocked();
    }
    CompletableFuture<Listing> listing;
    try {
      listing = lister.get();
    } catch (RuntimeException e) {
      listing = CompletableFuture.failedFuture(e);
    }
    listing.whenComplete((r, e) -> {
      CompletableFuture<List<Endpoint>> done;
      synchronized (lock) {
        if (closed || gen != generation) {
          return;
        }
        if (e != null) {
          failedLocked(e, "list", this::relist);
          done = null;
        } else {
          slices.clear();
          slices.putAll(r.slices());
          resourceVersion = r.resourceVersion();
          failures = 0;
          emptyCloses = 0;
          lastError = null;
          syncedAt = clock.instant();
          view = parser.merge(slices.values(), states);
          published(view);
          done = waiting;
          log.debug("{}: listed {} slices, {} targets, resourceVersion {}", api.describe(),
              slices.size(), view.size(), resourceVersion);
        }
      }
      if (done == null) {
        failWaiters();
        return;
      }
      done.complete(view);
      watch();
    });
  }

  private void watch() {
    long gen;
    String rv;
    long timeoutSeconds;
    synchronized (lock) {
      if (closed) {
        return;
      }
      gen = ++generation;
      stopLocked();
      rv = resourceVersion;
      eventsThisStream = 0;
      // The server ends the watch itself after timeoutSeconds; jitter spreads the reconnects.
      long base = Math.max(1, watchTimeout.toSeconds());
      timeoutSeconds = base + random.nextLong(base + 1);
    }
    CompletableFuture<Void> opened;
    try {
      opened = api.watch(rv, timeoutSeconds, new Stream(gen));
    } catch (RuntimeException e) {
      opened = CompletableFuture.failedFuture(e);
    }
    opened.whenComplete((v, e) -> {
      synchronized (lock) {
        if (closed || gen != generation) {
          return;
        }
        if (e == null) {
          syncedAt = clock.instant();
          lastByte = clock.instant();
          lastError = null;
          timer = Tasks.schedule(scheduler, idleTimeout, () -> idleCheck(gen));
          return;
        }
        Throwable cause = Futures.unwrap(e);
        if (cause instanceof ApiClient.ApiException api && api.status == 410) {
          expiredLocked("watch answered 410 Gone");
          return;
        }
        failedLocked(cause, "watch", this::watch);
      }
      failWaiters();
    });
  }

  private void idleCheck(long gen) {
    synchronized (lock) {
      if (closed || gen != generation) {
        return;
      }
      Duration idle = Duration.between(lastByte, clock.instant());
      if (idle.compareTo(idleTimeout) < 0) {
        timer = Tasks.schedule(scheduler, idleTimeout.minus(idle), () -> idleCheck(gen));
        return;
      }
      log.debug("{}: no data on the watch for {} s; reconnecting", api.describe(),
          idle.toSeconds());
      generation++;
      stopLocked();
    }
    watch();
  }

  /** Relists after a jittered pause that grows while versions keep expiring without events. */
  private void expiredLocked(String why) {
    generation++;
    stopLocked();
    Duration delay = retry.backoff(++expiredInARow);
    log.debug("{}: {}; relisting in {} ms", api.describe(), why, delay.toMillis());
    timer = Tasks.schedule(scheduler, delay, this::relist);
  }

  private void failedLocked(Throwable e, String verb, Runnable next) {
    generation++;
    stopLocked();
    Throwable cause = Futures.unwrap(e);
    DiscoveryException error = cause instanceof DiscoveryException d ? d
        : new DiscoveryException("cannot " + verb + " " + api.describe() + ": "
            + (cause instanceof ApiClient.ApiException ? cause.getMessage() : cause.toString()),
            cause);
    Duration delay = retry.backoff(failures + 1);
    if (cause instanceof ApiClient.ApiException api && api.retryAfter.isPresent()) {
      Duration cap = retry.policy().maxDelay();
      Duration asked = api.retryAfter.get().compareTo(cap) > 0 ? cap : api.retryAfter.get();
      delay = asked.compareTo(delay) > 0 ? asked : delay;
    }
    if (failures++ == 0) {
      log.warn("{}; retrying in {} ms, the last good view is kept", error.getMessage(),
          delay.toMillis());
    } else {
      log.debug("{} (failure {} in a row); retrying in {} ms", error.getMessage(), failures,
          delay.toMillis());
    }
    timer = Tasks.schedule(scheduler, delay, next);
    // Published after the retry is scheduled, so whoever sees the error also sees the retry.
    lastError = error;
    if (view == null) {
      // Callers waiting for the first view learn about the failure now rather than hang; they are
      // completed by failWaiters(), outside the lock, so their callbacks never run under it.
      toFail = waiting;
      toFailWith = error;
      waiting = new CompletableFuture<>();
    }
  }

  /** Completes, outside the lock, the callers that a failure under the lock released. */
  private void failWaiters() {
    CompletableFuture<List<Endpoint>> f;
    DiscoveryException e;
    synchronized (lock) {
      f = toFail;
      e = toFailWith;
      toFail = null;
      toFailWith = null;
    }
    if (f != null) {
      f.completeExceptionally(e);
    }
  }

  /** Returns true when the caller should re-watch at once (after releasing the lock). */
  private boolean endedLocked(Throwable error) {
    subscription = null;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    if (error != null) {
      failedLocked(new IOException("watch stream broke: " + Futures.unwrap(error), error),
          "watch", this::watch);
      return false;
    }
    if (eventsThisStream == 0 && ++emptyCloses >= MAX_EMPTY_CLOSES) {
      // Some API servers end a watch on an expired version with a bare close instead of a 410.
      emptyCloses = 0;
      expiredLocked(MAX_EMPTY_CLOSES + " watches in a row closed without any event");
      return false;
    }
    log.debug("{}: watch ended; re-watching from {}", api.describe(), resourceVersion);
    generation++;
    return true;
  }

  private void eventLocked(String line) {
    JsonNode event;
    try {
      event = json.readTree(line);
    } catch (IOException e) {
      event = null;
    }
    if (event == null || !event.isObject() || !event.path("type").isTextual()) {
      failedLocked(new IOException("watch sent a line that is not an event"), "watch",
          this::watch);
      return;
    }
    String type = event.path("type").asText();
    JsonNode object = event.path("object");
    if (type.equals("ERROR")) {
      int code = object.path("code").asInt(0);
      if (code == 410) {
        expiredLocked("watch sent ERROR 410 (" + AddressFilter.printable(
            object.path("reason").asText("Expired")) + ")");
      } else {
        failedLocked(new ApiClient.ApiException(code, "watch sent ERROR " + code + ": "
            + AddressFilter.printable(object.path("message").asText(""), 300),
            java.util.Optional.empty()), "watch", this::watch);
      }
      return;
    }
    String rv = object.path("metadata").path("resourceVersion").asText("");
    String name = object.path("metadata").path("name").asText("");
    switch (type) {
      case "ADDED", "MODIFIED" -> {
        if (!name.isEmpty()) {
          slices.put(name, parser.endpoints(object));
        }
      }
      case "DELETED" -> slices.remove(name);
      case "BOOKMARK" -> { }
      default -> log.debug("{}: ignoring watch event type {}", api.describe(),
          AddressFilter.printable(type));
    }
    if (!rv.isEmpty()) {
      resourceVersion = rv;
    }
    eventsThisStream++;
    emptyCloses = 0;
    failures = 0;
    expiredInARow = 0;
    lastError = null;
    syncedAt = clock.instant();
    if (!type.equals("BOOKMARK")) {
      view = parser.merge(slices.values(), states);
      published(view);
      log.debug("{}: {} {} -> {} targets", api.describe(), type, AddressFilter.printable(name),
          view.size());
    }
  }

  /** One watch stream's callbacks; ignored once the stream is no longer the current one. */
  private final class Stream implements ApiClient.WatchHandler {
    private final long gen;

    Stream(long gen) {
      this.gen = gen;
    }

    @Override
    public void opened(Flow.Subscription s) {
      synchronized (lock) {
        if (closed || gen != generation) {
          s.cancel();
          return;
        }
        subscription = s;
      }
    }

    @Override
    public void line(String line) {
      synchronized (lock) {
        if (closed || gen != generation) {
          return;
        }
        lastByte = clock.instant();
        if (!line.isBlank()) {
          eventLocked(line);
        }
      }
      failWaiters();
    }

    @Override
    public void ended(Throwable error) {
      boolean again;
      synchronized (lock) {
        if (closed || gen != generation) {
          return;
        }
        again = endedLocked(error);
      }
      failWaiters();
      if (again) {
        watch();
      }
    }
  }
}
