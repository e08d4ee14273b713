/**
 * The extension points of fanout, one per step of the sending side: {@link dev.fanout.spi.Discovery}
 * finds replicas (discover), {@link
 * dev.fanout.spi.Notifier} delivers an invalidation to one replica (deliver), {@link
 * dev.fanout.spi.Purger} purges a CDN (purge), and {@link dev.fanout.spi.Journal} keeps the log of accepted invalidations (in
 * memory by default, in a database with {@code fanout-jdbc}).
 *
 * <p>Every discovery, notifier and purger must be safe for concurrent use, must not block the
 * calling thread, and fails by completing its {@link java.util.concurrent.CompletionStage}
 * exceptionally rather than by throwing. A journal is the exception to "non-blocking": its calls
 * block until the store answered, and fail with a {@link dev.fanout.JournalException} (see its
 * contract). Implementations are wired explicitly on a {@link dev.fanout.Stage}; nothing is loaded
 * from the class path.
 */
package dev.fanout.spi;
