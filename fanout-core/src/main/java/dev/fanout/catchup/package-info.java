/**
 * Catch-up: a fan-out stage with {@code Stage.Fanout#catchUp} watches its membership and sends each
 * replica that joins, or comes back after being unreachable or not ready, the compacted history of
 * a window ({@link dev.fanout.catchup.History}), so that a restarted or new replica never keeps
 * serving content older than the last invalidation. See {@link dev.fanout.catchup.CatchUpPolicy}.
 */
package dev.fanout.catchup;
