package dev.fanout.receiver;

import dev.fanout.catchup.CatchUpWire;
import dev.fanout.spi.CatchUpSignal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * A receiver's side of catch-up: since when its cache is fresh (answered to every signal), and
 * whether it holds its readiness until the first catch-up arrived.
 *
 * <p>Each start is answered with a fresh nonce, and only a done that carries one of the nonces
 * issued in this process's life counts as caught up. The signature's timestamp tolerance is
 * minutes and a restarted replica's replay cache starts empty, so without the nonce a signed done
 * captured before a restart could be replayed to release the readiness of a replica that was never
 * caught up.
 *
 * <p>Nonces are kept by the start's {@code webhook-id}: a start replayed inside the tolerance (the
 * replay cache holds only applied invalidations) is answered with the nonce its first delivery got
 * and takes no new place, so replaying one captured start cannot push the sender's nonce out. A
 * done that does not count answers {@code "caughtUp":false}, which a sender takes as "not caught
 * up" and tries again from a fresh start.
 */
final class CatchUpState {
  /** How many outstanding nonces are kept: more than the catch-ups that run at once for one replica. */
  static final int NONCES_KEPT = 64;

  /** When this class was loaded: the fallback for the process start. */
  private static final Instant LOADED = Instant.now();

  private final Instant freshSince;
  private final Instant holdUntil;
  private final Clock clock;
  private final AtomicBoolean caughtUp = new AtomicBoolean();
  /** The nonces answered to starts and not yet used by a done, by the start's webhook-id, oldest first. */
  private final Map<String, String> issued = new LinkedHashMap<>();

  CatchUpState(Instant freshSince, Duration holdReadiness, Clock clock) {
    this.freshSince = freshSince != null ? freshSince : processStart();
    this.clock = clock;
    this.holdUntil = holdReadiness == null ? null : clock.instant().plus(holdReadiness);
  }

  /** The process's start, as the operating system says; the class's load time otherwise. */
  static Instant processStart() {
    return ProcessHandle.current().info().startInstant().orElse(LOADED);
  }

  Instant freshSince() {
    return freshSince;
  }

  /**
   * Answers a verified signal.
   *
   * @param webhookId the request's {@code webhook-id}, which a replay repeats
   */
  InvalidationReceiver.Response answer(String webhookId, CatchUpWire.Signal signal, Logger log) {
    if (signal.signal() == CatchUpSignal.START) {
      String nonce = issue(webhookId);
      log.debug("catch-up start {}", signal.id());
      return new InvalidationReceiver.Response(200, CatchUpWire.answer(signal.id(), freshSince, nonce));
    }
    boolean counted = redeem(signal.nonce());
    if (!counted) {
      log.warn("catch-up done {} does not carry a nonce this receiver holds (replayed, from a sender that"
          + " sends none, or begun before a restart); it does not count as caught up", signal.id());
    } else if (caughtUp.compareAndSet(false, true)) {
      log.info("caught up ({}); fresh since {}", signal.id(), freshSince);
    } else {
      log.debug("catch-up done {}", signal.id());
    }
    return new InvalidationReceiver.Response(200, CatchUpWire.doneAnswer(signal.id(), freshSince, counted));
  }

  /** The nonce for a start: the one already answered to this webhook-id, or a fresh one. */
  private String issue(String webhookId) {
    synchronized (issued) {
      String nonce = issued.get(webhookId);
      if (nonce != null) {
        return nonce;
      }
      nonce = CatchUpWire.newNonce();
      issued.put(webhookId, nonce);
      if (issued.size() > NONCES_KEPT) {
        Iterator<String> oldest = issued.keySet().iterator();
        oldest.next();
        oldest.remove();
      }
      return nonce;
    }
  }

  private boolean redeem(String nonce) {
    if (nonce == null) {
      return false;
    }
    synchronized (issued) {
      return issued.values().remove(nonce);
    }
  }

  boolean isCaughtUp() {
    return caughtUp.get();
  }

  /** Ready unless readiness is held, no catch-up arrived yet and the hold has not timed out. */
  boolean isReady() {
    return holdUntil == null || caughtUp.get() || !clock.instant().isBefore(holdUntil);
  }

  InvalidationReceiver.Response readiness() {
    if (isReady()) {
      return new InvalidationReceiver.Response(200,
          "{\"ready\":true,\"caughtUp\":" + caughtUp.get() + "}");
    }
    return new InvalidationReceiver.Response(503, "{\"ready\":false,\"reason\":\"waiting for catch-up\"}");
  }
}
