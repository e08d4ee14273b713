package dev.fanout.receiver;

import dev.fanout.Invalidation;

/**
 * A request that passed every check of {@link RequestVerifier}.
 *
 * @param id the {@code webhook-id}, the key for applying once and relaying once
 * @param invalidation the decoded body (a chunk's invalidation under the chunk's own id)
 * @param hop how many relays the request went through; 0 for one straight from the sender
 * @param signal a catch-up signal instead of an invalidation (then {@code invalidation} is null),
 *     or null
 */
record VerifiedRequest(String id, Invalidation invalidation, int hop,
    dev.fanout.catchup.CatchUpWire.Signal signal) {

  VerifiedRequest(String id, Invalidation invalidation, int hop) {
    this(id, invalidation, hop, null);
  }
}
