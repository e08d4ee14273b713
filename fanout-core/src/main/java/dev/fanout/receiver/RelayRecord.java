package dev.fanout.receiver;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a relaying receiver knows about one {@code webhook-id}: the relay in flight, if any; the
 * answer of the last relay that finished; and the peers that acknowledged it. A replay is answered
 * from this record instead of starting a relay; a retry after a failed relay goes only to the peers
 * not in {@link #acked}. Guarded by the receiver's relay lock, except {@link #acked}, which the
 * relay's notifier reads concurrently.
 */
final class RelayRecord {
  /** The answer of the relay in flight, or null when none is. */
  CompletableFuture<InvalidationReceiver.Response> inFlight;
  /** The answer of the last relay that finished, or null. */
  InvalidationReceiver.Response last;
  /** Peers ({@code address:port}) that acknowledged this id. */
  final Set<String> acked = ConcurrentHashMap.newKeySet();
}
