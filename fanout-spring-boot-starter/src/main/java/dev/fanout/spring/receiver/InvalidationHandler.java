package dev.fanout.spring.receiver;

import dev.fanout.Invalidation;

/**
 * What this replica does with a verified invalidation. A bean of this type replaces the starter's
 * default, {@link CacheEvictingHandler}.
 *
 * <p>Contract: called on the request's thread once the request was verified (signature, timestamp,
 * body) and is not a replay; the endpoint answers 200 only after it returned, so return only once
 * this replica's caches are fresh. Throwing answers 500 (no detail leaves the process) and the
 * sender retries; the same {@code webhook-id} then runs the handler again. It may be called
 * concurrently for different invalidations, never twice at once for one id. A large invalidation
 * arrives as several chunks, each a call with its own id.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface InvalidationHandler {

  /**
   * Makes this replica's caches fresh for the invalidation's paths and tags.
   *
   * @param invalidation the verified invalidation
   * @throws Exception if the caches could not be made fresh; the sender will retry
   */
  void handle(Invalidation invalidation) throws Exception;
}
