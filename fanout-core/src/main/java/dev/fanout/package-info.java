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
 *
 * <h2>The pipeline, by package</h2>
 *
 * <p>The sending side is <em>discover &rarr; deliver &rarr; purge</em>, run stage by stage by the
 * engine in this package ({@link dev.fanout.Invalidator}, {@link dev.fanout.Stage}, {@link
 * dev.fanout.Gate}). Each step has its extension point in {@link dev.fanout.spi}: discover with a
 * {@link dev.fanout.spi.Discovery} ({@code fanout-k8s}), deliver with a {@link
 * dev.fanout.spi.Notifier} ({@link dev.fanout.http}), purge with a {@link dev.fanout.spi.Purger}
 * ({@code fanout-cloudfront}, {@code fanout-fastly}, {@code fanout-cloudflare}); accepted
 * invalidations are logged in a {@link dev.fanout.spi.Journal} ({@link dev.fanout.journal}, {@code
 * fanout-jdbc}). The receiving side, which runs in each replica, is {@link dev.fanout.receiver},
 * apart from all of these. {@code dev.fanout.internal} is the modules' shared kernel, not API. The
 * repository's ARCHITECTURE.md draws the same picture.
 */
package dev.fanout;
