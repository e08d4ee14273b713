/**
 * The receiving side, apart from the sending pipeline: {@link
 * dev.fanout.receiver.InvalidationReceiver} verifies a signed invalidation sent by {@link
 * dev.fanout.http.HttpNotifier} (or any Standard Webhooks sender), runs the replica's own cache
 * invalidation, and answers 2xx only once that finished. It can also relay to the replica's peers
 * when the sender reaches only one replica through a load balancer. {@link
 * dev.fanout.receiver.ReceiverServer} serves it over HTTP.
 *
 * <p>Inside (package-private), in the order a request meets them: {@code RequestReader} (method and
 * body caps), {@code RequestVerifier} (headers, timestamp, signature, then the body), {@code
 * OnceApplier} (replay cache, one handler run per id), {@code PeerRelay} (the relay, once per id).
 * The receiver depends on public values and the wire contract; only {@code PeerRelay} uses the
 * sending side, through its public API.
 */
package dev.fanout.receiver;
