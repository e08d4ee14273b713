package dev.fanout.http;

import dev.fanout.DeliveryException;
import dev.fanout.Endpoint;
import dev.fanout.internal.Futures;
import dev.fanout.internal.Limiter;
import dev.fanout.spi.Ack;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Delivers an invalidation that takes several requests to one target: only the parts the target
 * has not acknowledged yet ({@link PartProgress} remembers them across attempts), at most {@link
 * #PER_TARGET_WINDOW} at a time, the first failure failing the attempt. So the engine's retry, or a
 * timed-out attempt's retry, sends only what is missing.
 */
final class MultiPartDelivery {
  /** Most requests of one attempt in flight to one target at once. */
  static final int PER_TARGET_WINDOW = 4;

  /** How long partly acknowledged deliveries are remembered for a retry. */
  static final int PROGRESS_RETENTION_MINUTES = 10;

  /** Most partly acknowledged deliveries remembered at once. */
  static final int PROGRESS_MAX_ENTRIES = 65_536;

  private final PartProgress progress;
  private final Function<WireRequest, CompletableFuture<Ack>> send;

  /** @param send sends one request and reads its answer */
  MultiPartDelivery(Clock clock, Function<WireRequest, CompletableFuture<Ack>> send) {
    this.progress = new PartProgress(PROGRESS_MAX_ENTRIES,
        Duration.ofMinutes(PROGRESS_RETENTION_MINUTES), clock);
    this.send = send;
  }

  PartProgress progress() {
    return progress;
  }

  /**
   * Sends the parts of {@code plan} that the target has not acknowledged yet, and records each
   * acknowledgement as it arrives.
   *
   * @param requests the plan's requests addressed to the target, in part order
   * @return one acknowledgement for all parts; cancelling it abandons the requests in flight
   */
  CompletableFuture<Ack> deliver(Endpoint endpoint, RequestFactory.Plan plan, List<WireRequest> requests) {
    int n = requests.size();
    PartProgress.Entry entry = progress.open(plan.invalidation, endpoint.authority(), n);
    BitSet acked = progress.acked(entry);
    List<Integer> todo = new ArrayList<>(n - acked.cardinality());
    for (int i = acked.nextClearBit(0); i < n; i = acked.nextClearBit(i + 1)) {
      todo.add(i);
    }
    String unit = plan.chunked ? " chunks" : " requests";
    if (todo.isEmpty()) {
      progress.close(entry);
      return CompletableFuture.completedFuture(new Ack(0, n + unit + ", all acknowledged before"));
    }
    CompletableFuture<Ack> sent = sendWindowed(requests, todo, plan.chunked, i -> progress.ack(entry, i));
    CompletableFuture<Ack> result = new CompletableFuture<>();
    sent.whenComplete((ack, error) -> {
      Throwable cause = Futures.unwrap(error);
      // Done, or a failure the engine does not retry: nothing to resume. Forgotten before the
      // outcome is known, so that nobody sees the target finished and the record still there.
      if (error == null || (cause instanceof DeliveryException d && !d.kind().isRetryable())) {
        progress.close(entry);
      }
      if (error != null) {
        result.completeExceptionally(error);
      } else {
        result.complete(new Ack(ack.status(), n + unit
            + (todo.size() < n ? " (" + todo.size() + " sent in this attempt)" : "")));
      }
    });
    // The engine cancels the attempt on its timeout: that must abandon the requests in flight.
    return HttpTransport.cancelling(sent, result);
  }

  /**
   * Sends the requests at the given positions, at most {@link #PER_TARGET_WINDOW} at a time: the
   * stage's concurrency limit counts targets, and a flush of thousands of paths must not open
   * thousands of sockets to one replica. The first failure fails the attempt and nothing more is
   * sent.
   */
  private CompletableFuture<Ack> sendWindowed(List<WireRequest> requests, List<Integer> positions,
      boolean chunked, IntConsumer onAck) {
    CompletableFuture<Ack> result = new CompletableFuture<>();
    Set<CompletableFuture<Ack>> inFlight = ConcurrentHashMap.newKeySet();
    AtomicInteger done = new AtomicInteger();
    // The next request starts on the thread that saw the previous one answered.
    Limiter window = new Limiter(PER_TARGET_WINDOW, Runnable::run);
    for (int position : positions) {
      window.acquireHere(() -> {
        if (result.isDone()) {
          window.release();
          return;
        }
        CompletableFuture<Ack> f = send.apply(requests.get(position));
        inFlight.add(f);
        f.whenComplete((ack, error) -> {
          inFlight.remove(f);
          if (error != null) {
            result.completeExceptionally(chunked ? inChunk(error, position, requests.size()) : error);
          } else {
            onAck.accept(position);
            if (done.incrementAndGet() == positions.size()) {
              result.complete(ack);
            }
          }
          window.release();
        });
      });
    }
    // Cancelling or failing the attempt abandons every request of it still in flight.
    result.whenComplete((v, e) -> {
      if (e != null) {
        inFlight.forEach(f -> f.cancel(true));
      }
    });
    return result;
  }

  /** Names the chunk in an HTTP failure, so that a report says which request was refused. */
  private static Throwable inChunk(Throwable error, int index, int count) {
    if (Futures.unwrap(error) instanceof DeliveryException d) {
      return new DeliveryException(d.kind(), d.status(), d.retryAfter().orElse(null),
          "chunk " + (index + 1) + " of " + count + ": " + d.getMessage(), d);
    }
    return error;
  }
}
