package dev.fanout.spi;

import java.time.Instant;
import java.util.Optional;

/**
 * A replica's answer to a catch-up signal ({@link Notifier#catchUp}).
 *
 * <p>The nonce binds a catch-up's {@link CatchUpSignal#DONE} to its {@link CatchUpSignal#START}:
 * a receiver that holds its readiness until caught up answers {@code START} with a fresh random
 * nonce, remembers it, and becomes ready only on a {@code DONE} that carries a nonce it issued in
 * this process's life. A signed {@code DONE} captured earlier and replayed to a restarted replica
 * (inside the signature's timestamp tolerance, and past a replay cache that restarted empty) carries
 * an old nonce and releases nothing.
 *
 * <p>A {@code DONE} whose nonce the replica does not hold (it restarted since the {@code START}, or
 * dropped the nonce) is answered with {@link #notCounted()}: the replica is not caught up, and the
 * catch-up is tried again from a fresh {@code START}.
 *
 * @param freshSince since when the replica's cache is fresh, or null when it did not say
 * @param nonce the nonce a {@code START} answer carried, or null (an answer to {@code DONE}, or a
 *     receiver that does not hold its readiness)
 * @param notCounted true when the replica answered a {@code DONE} with {@code "caughtUp":false}:
 *     the {@code DONE} did not count, so the replica is not caught up
 * @since 0.2
 */
public record CatchUpAnswer(Instant freshSince, String nonce, boolean notCounted) {

  /** An answer that says nothing: the receiver cannot narrow the window nor hold its readiness. */
  public static final CatchUpAnswer NONE = new CatchUpAnswer(null, null);

  /**
   * An answer that does not refuse a {@code DONE}: a {@code START}'s, or a counted {@code DONE}'s.
   *
   * @param freshSince since when the replica's cache is fresh, or null when it did not say
   * @param nonce the nonce a {@code START} answer carried, or null
   */
  public CatchUpAnswer(Instant freshSince, String nonce) {
    this(freshSince, nonce, false);
  }

  /**
   * Returns since when the replica is fresh, if it said.
   *
   * @return the moment, or empty
   */
  public Optional<Instant> freshSinceIfKnown() {
    return Optional.ofNullable(freshSince);
  }
}
