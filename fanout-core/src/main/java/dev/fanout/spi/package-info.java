/**
 * The three extension points of fanout: {@link dev.fanout.spi.Discovery} finds replicas, {@link
 * dev.fanout.spi.Notifier} delivers an invalidation to one replica, {@link dev.fanout.spi.Purger}
 * purges a CDN.
 *
 * <p>Every implementation must be safe for concurrent use, must not block the calling thread, and
 * fails by completing its {@link java.util.concurrent.CompletionStage} exceptionally rather than by
 * throwing. Implementations are wired explicitly on a {@link dev.fanout.Stage}; nothing is loaded
 * from the class path.
 */
package dev.fanout.spi;
