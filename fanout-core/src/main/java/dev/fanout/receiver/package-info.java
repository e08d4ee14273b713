/**
 * The receiving side: {@link dev.fanout.receiver.InvalidationReceiver} verifies a signed
 * invalidation sent by {@link dev.fanout.http.HttpNotifier} (or any Standard Webhooks sender), runs
 * the replica's own cache invalidation, and answers 2xx only once that finished. It can also relay
 * to the replica's peers when the sender reaches only one replica through a load balancer.
 */
package dev.fanout.receiver;
