/**
 * fanout: make every replica of every cache tier fresh, in order, then purge the CDN, and report what
 * happened.
 *
 * <pre>{@code
 * Invalidator invalidator = Invalidator.builder()
 *     .stage(Stage.fanout("web", Discovery.of(Endpoint.of("10.0.0.7", 3000)),
 *         HttpNotifier.builder().path("/api/revalidate").signingSecret(secret).build()))
 *     .stage(Stage.purge("cdn", purger))
 *     .build();
 * InvalidationReport report = invalidator.invalidate(Invalidation.ofPaths("/blog/hello")).join();
 * }</pre>
 *
 * <p>The entry point is {@link dev.fanout.Invalidator}; the values it works on are {@link
 * dev.fanout.Invalidation}, {@link dev.fanout.Endpoint} and {@link dev.fanout.InvalidationReport}.
 */
package dev.fanout;
