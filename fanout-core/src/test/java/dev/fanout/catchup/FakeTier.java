package dev.fanout.catchup;

import dev.fanout.DeliveryException;
import dev.fanout.Endpoint;
import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.spi.Ack;
import dev.fanout.spi.CatchUpAnswer;
import dev.fanout.spi.CatchUpSignal;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.Notifier;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A tier of replicas for catch-up tests: a discovery whose membership the test sets (reported
 * through {@link Discovery#watch}), and a notifier that records every call, fails for replicas
 * that are down, answers each replica's fresh-since moment, and can hold catch-ups open.
 */
final class FakeTier implements Discovery, Notifier {
  /** One call the notifier got; {@code nonce} is what a signal carried, or a start's answer gave. */
  record Call(String authority, String kind, Invalidation invalidation, String nonce) {
    Call(String authority, String kind, Invalidation invalidation) {
      this(authority, kind, invalidation, null);
    }
  }

  final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
  final Set<String> down = ConcurrentHashMap.newKeySet();
  final Map<String, Integer> refuse = new ConcurrentHashMap<>();
  final Map<String, Instant> freshSince = new ConcurrentHashMap<>();
  /** How many more dones each replica answers as not counted (it did not hold their nonce). */
  final Map<String, Integer> uncountedDones = new ConcurrentHashMap<>();
  final List<CompletableFuture<Optional<Instant>>> held = Collections.synchronizedList(new ArrayList<>());
  volatile boolean hold;
  volatile boolean speaksCatchUp = true;
  private volatile List<Endpoint> members = List.of();
  private volatile Consumer<List<Endpoint>> watcher;

  void set(Endpoint... endpoints) {
    members = List.of(endpoints);
    Consumer<List<Endpoint>> w = watcher;
    if (w != null) {
      w.accept(members);
    }
  }

  @Override
  public CompletionStage<List<Endpoint>> discover() {
    return CompletableFuture.completedFuture(members);
  }

  @Override
  public Watch watch(Consumer<List<Endpoint>> onChange) {
    watcher = onChange;
    onChange.accept(members);
    return () -> watcher = null;
  }

  @Override
  public CompletionStage<Ack> deliver(Endpoint endpoint, Invalidation invalidation) {
    calls.add(new Call(endpoint.authority(), "deliver", invalidation));
    if (down.contains(endpoint.authority())) {
      return CompletableFuture.failedFuture(new DeliveryException(ErrorKind.CONNECT, "connection refused"));
    }
    Integer status = refuse.get(endpoint.authority());
    if (status != null) {
      return CompletableFuture.failedFuture(DeliveryException.ofStatus(status, null, "refused"));
    }
    return CompletableFuture.completedFuture(Ack.of(200));
  }

  @Override
  public CompletionStage<CatchUpAnswer> catchUp(
      Endpoint endpoint, String id, CatchUpSignal signal, String nonce) {
    // A start's answer gives a nonce made from the signal's id; the call records it.
    String issued = signal == CatchUpSignal.START ? "nonce-" + id.replace(':', '-') : null;
    calls.add(new Call(endpoint.authority(), signal.wireName(), null, issued != null ? issued : nonce));
    if (down.contains(endpoint.authority())) {
      return CompletableFuture.failedFuture(new DeliveryException(ErrorKind.CONNECT, "connection refused"));
    }
    if (!speaksCatchUp) {
      return CompletableFuture.failedFuture(DeliveryException.ofStatus(400, null, "bad body"));
    }
    boolean uncounted = signal == CatchUpSignal.DONE && uncountedDones.getOrDefault(endpoint.authority(), 0) > 0;
    if (uncounted) {
      uncountedDones.merge(endpoint.authority(), -1, Integer::sum);
    }
    CatchUpAnswer answer = new CatchUpAnswer(freshSince.get(endpoint.authority()), issued, uncounted);
    if (hold && signal == CatchUpSignal.START) {
      CompletableFuture<Optional<Instant>> f = new CompletableFuture<>();
      held.add(f);
      return f.thenApply(x -> answer);
    }
    return CompletableFuture.completedFuture(answer);
  }

  /** The calls of one kind to one replica. */
  List<Call> calls(Endpoint e, String kind) {
    synchronized (calls) {
      return calls.stream().filter(c -> c.authority().equals(e.authority()) && c.kind().equals(kind)).toList();
    }
  }

  /** The catch-up history deliveries (ids starting with catchup_) to one replica. */
  List<Invalidation> histories(Endpoint e) {
    return calls(e, "deliver").stream().map(Call::invalidation)
        .filter(i -> i.id().startsWith("catchup_")).toList();
  }
}
