package dev.fanout.receiver;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.InvalidatorClosedException;
import dev.fanout.Stage;
import dev.fanout.TargetResult;
import dev.fanout.http.HttpNotifier;
import dev.fanout.internal.Futures;
import dev.fanout.spi.Ack;
import dev.fanout.spi.Discovery;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;

/**
 * Relays a direct request to this replica's peers, once per id, through the library's public
 * surface only: an {@link Invalidator} with one fan-out stage and an {@link HttpNotifier} that
 * marks its bodies as relayed ({@code "hop":1}). A request whose id has a relay in flight shares its
 * answer; a replay of an id whose relay succeeded gets that answer again from its {@link
 * RelayRecord} (a replay must not make every peer a target again); after a failed relay a new
 * request starts another, which skips the peers that acknowledged before. Thread-safe.
 */
final class PeerRelay implements AutoCloseable {
  private final RelaySettings settings;
  /** Each relayed id's record. Compound updates hold {@link #lock}. */
  private final ReplayCache<RelayRecord> records;
  private final Object lock = new Object();
  private final HttpNotifier notifier;
  private final Invalidator invalidator;
  private final Logger log;

  /**
   * @param secret signs what is relayed (the receiver's first secret)
   * @param retention how long a relayed id's record is kept, like an applied id
   */
  PeerRelay(RelaySettings settings, String secret, int capacity, Duration retention, Clock clock,
      Logger log) {
    this.settings = settings;
    this.log = log;
    this.records = new ReplayCache<>(capacity, retention, clock);
    HttpNotifier.Builder nb = HttpNotifier.builder().path(settings.path()).https(settings.https())
        .clock(clock).signingSecret(secret).relayHop(1);
    if (settings.port() > 0) {
      nb.port(settings.port());
    }
    this.notifier = nb.build();
    Discovery others = new SelfExcludingDiscovery(settings.peers(), settings.self());
    this.invalidator = Invalidator.builder()
        .stage(Stage.fanout("peers", others, this::deliverOnce)
            .minTargets(settings.minPeers())
            .attemptTimeout(settings.attemptTimeout())
            .retry(settings.retry()))
        .deadline(settings.deadline())
        .listener(settings.listener())
        .build();
  }

  /**
   * Relays a request that was applied locally with the answer {@code local}.
   *
   * @return the answer: 200 once every peer acknowledged, 502 when the relay failed, 503 once
   *     closed; never completes exceptionally
   */
  CompletableFuture<InvalidationReceiver.Response> relay(VerifiedRequest request, String local) {
    RelayRecord record;
    CompletableFuture<InvalidationReceiver.Response> mine = new CompletableFuture<>();
    synchronized (lock) {
      record = records.get(request.id());
      if (record != null && record.inFlight != null) {
        return record.inFlight.copy();
      }
      if (record != null && record.last != null && record.last.isSuccess()) {
        return CompletableFuture.completedFuture(record.last);
      }
      if (record == null) {
        record = new RelayRecord();
      }
      record.inFlight = mine;
      records.put(request.id(), record);
    }
    RelayRecord rec = record;
    CompletableFuture<InvalidationReport> report;
    try {
      report = invalidator.invalidate(request.invalidation());
    } catch (RuntimeException e) {
      report = CompletableFuture.failedFuture(e);
    }
    report.handle((r, e) -> {
      InvalidationReceiver.Response response = e != null ? failed(request, local, e) : relayed(request, local, r, rec);
      synchronized (lock) {
        rec.inFlight = null;
        rec.last = response;
        records.put(request.id(), rec);
      }
      mine.complete(response);
      return null;
    });
    return mine;
  }

  private InvalidationReceiver.Response failed(VerifiedRequest request, String local, Throwable e) {
    Throwable cause = Futures.unwrap(e);
    if (cause instanceof InvalidatorClosedException) {
      return new InvalidationReceiver.Response(503, Answers.error("relay closed"));
    }
    log.warn("invalidation {}: relay did not finish: {}", request.id(), cause.toString());
    return new InvalidationReceiver.Response(502, Answers.relayFailed(request.id(), local));
  }

  private InvalidationReceiver.Response relayed(VerifiedRequest request, String local,
      InvalidationReport report, RelayRecord record) {
    for (TargetResult t : report.stages().get(0).targets()) {
      if (t.outcome() == TargetResult.Outcome.ACKED) {
        record.acked.add(t.endpoint().authority());
      }
    }
    if (!report.isComplete()) {
      log.warn("invalidation {}: relay incomplete: {}", request.id(), report.stages().get(0).summary());
    }
    return new InvalidationReceiver.Response(report.isComplete() ? 200 : 502,
        Answers.relayed(request.id(), local, report));
  }

  /** The relay's notifier: a peer that acknowledged this id in an earlier relay is not sent it again. */
  private CompletionStage<Ack> deliverOnce(Endpoint peer, Invalidation invalidation) {
    RelayRecord record = records.get(invalidation.id());
    if (record != null && record.acked.contains(peer.authority())) {
      return CompletableFuture.completedFuture(new Ack(0, "acknowledged an earlier relay"));
    }
    return notifier.deliver(peer, invalidation);
  }

  /** Waits up to the relay's deadline for relays in flight, then releases its threads. */
  @Override
  public void close() {
    invalidator.close();
    notifier.close();
  }

  @Override
  public String toString() {
    return settings.describe();
  }
}
