package dev.fanout.receiver;

import dev.fanout.catchup.CatchUpWire;
import dev.fanout.spi.CatchUpSignal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * A receiver's side of catch-up: since when its cache is fresh (answered to every signal), and
 * whether it holds its readiness until the first catch-up arrived.
 */
final class CatchUpState {
  /** When this class was loaded: the fallback for the process start. */
  private static final Instant LOADED = Instant.now();

  private final Instant freshSince;
  private final Instant holdUntil;
  private final Clock clock;
  private final AtomicBoolean caughtUp = new AtomicBoolean();

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

  InvalidationReceiver.Response answer(CatchUpWire.Signal signal, Logger log) {
    if (signal.signal() == CatchUpSignal.DONE && caughtUp.compareAndSet(false, true)) {
      log.info("caught up ({}); fresh since {}", signal.id(), freshSince);
    } else {
      log.debug("catch-up {} {}", signal.signal().wireName(), signal.id());
    }
    return new InvalidationReceiver.Response(200, CatchUpWire.answer(signal.id(), freshSince));
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
