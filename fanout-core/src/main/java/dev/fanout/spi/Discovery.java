package dev.fanout.spi;

import dev.fanout.Endpoint;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Finds every replica of one tier.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>Safe for concurrent use: the engine may call {@link #discover()} from several invalidations
 *       at once, and calls {@link #discoverFresh()} after a fan-out to re-check membership.
 *   <li>Fresh means fresh: {@code discover()} may answer from a cache (a DNS answer within its TTL),
 *       {@code discoverFresh()} must not. It asks the source again (DNS, the API server), or
 *       answers from a view that the source keeps current (a watch). The re-check runs
 *       milliseconds after the first lookup; a cached answer would neither serve a replica that
 *       joined meanwhile nor excuse one that left. A discovery that caches must override it; the
 *       default calls {@code discover()}, which is right for one that does not.
 *   <li>Non-blocking: {@code discover()} returns promptly; slow work completes the stage later.
 *   <li>Fails by completing exceptionally (preferably with a {@link dev.fanout.DiscoveryException}
 *       that names what was looked up), never by throwing. If it throws anyway, the engine treats the
 *       exception as a failed discovery.
 *   <li>"No replica right now" is an empty list, not an error; the stage's {@code minTargets}
 *       decides whether that is acceptable.
 *   <li>The list may contain duplicates; the engine contacts each {@link Endpoint#authority()} once.
 * </ul>
 *
 * @since 0.1
 */
@FunctionalInterface
public interface Discovery {

  /**
   * Discovers the current replicas.
   *
   * @return a stage that completes with the replicas, possibly empty, or exceptionally
   */
  CompletionStage<List<Endpoint>> discover();

  /**
   * Discovers the current replicas without answering from a cache: the engine's membership
   * re-check after a fan-out calls this. Same contract as {@link #discover()} otherwise
   * (non-blocking, fails by completing exceptionally). The default calls {@code discover()}; a
   * discovery that caches answers overrides it.
   *
   * @return a stage that completes with the replicas, possibly empty, or exceptionally
   * @since 0.1
   */
  default CompletionStage<List<Endpoint>> discoverFresh() {
    return discover();
  }

  /**
   * Asks to be told the membership as it changes: a catch-up stage ({@code
   * Stage.Fanout#catchUp}) learns from it which replicas joined or came back. {@code onChange}
   * gets the whole current list (same contents as {@link #discoverFresh()}, including replicas
   * that are not ready yet when the discovery reports them), first as soon as it is known and then
   * after every change; it may also be called with an unchanged list. It runs on a discovery
   * thread, must return quickly and must not throw.
   *
   * <p>The default returns {@link Watch#UNSUPPORTED}: the discovery cannot report changes, and a
   * catch-up stage then calls {@link #discoverFresh()} at its poll interval instead.
   *
   * @param onChange receives the current list
   * @return a handle whose {@code close()} stops the calls
   * @since 0.2
   */
  default Watch watch(Consumer<List<Endpoint>> onChange) {
    return Watch.UNSUPPORTED;
  }

  /**
   * A {@link #watch} registration.
   *
   * @since 0.2
   */
  @FunctionalInterface
  interface Watch extends AutoCloseable {
    /** Returned by a discovery that cannot report changes; closing it does nothing. */
    Watch UNSUPPORTED = () -> {};

    /** Stops the calls; idempotent. */
    @Override
    void close();
  }

  /**
   * Returns a discovery that always answers the given endpoints.
   *
   * @param endpoints the endpoints
   * @return the static discovery
   */
  static Discovery of(Endpoint... endpoints) {
    return of(Arrays.asList(endpoints));
  }

  /**
   * Returns a discovery that always answers the given endpoints.
   *
   * @param endpoints the endpoints (copied)
   * @return the static discovery
   */
  static Discovery of(List<Endpoint> endpoints) {
    List<Endpoint> copy = List.copyOf(endpoints);
    return new Discovery() {
      @Override
      public CompletionStage<List<Endpoint>> discover() {
        return CompletableFuture.completedFuture(copy);
      }

      @Override
      public Watch watch(Consumer<List<Endpoint>> onChange) {
        // A static list never changes: told once.
        onChange.accept(copy);
        return () -> {};
      }

      @Override
      public String toString() {
        return "Discovery.of" + copy;
      }
    };
  }
}
