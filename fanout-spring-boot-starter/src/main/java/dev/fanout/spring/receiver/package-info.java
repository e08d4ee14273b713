/**
 * The receiving side in Spring MVC: {@code fanout.receiver.*} ({@link
 * dev.fanout.spring.receiver.FanoutReceiverProperties}) serves fanout's {@code InvalidationReceiver}
 * and, by default, evicts the application's Spring caches ({@link
 * dev.fanout.spring.receiver.CacheEvictingHandler}); an {@link
 * dev.fanout.spring.receiver.InvalidationHandler} bean replaces that.
 */
package dev.fanout.spring.receiver;
