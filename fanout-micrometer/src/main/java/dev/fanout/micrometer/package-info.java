/**
 * Metrics and traces of every invalidation through Micrometer: {@link
 * dev.fanout.micrometer.FanoutObservability} is the {@link dev.fanout.FanoutListener} that records
 * them and computes the W3C trace context headers sent to replicas; {@link
 * dev.fanout.micrometer.ObservedReceiver} continues the trace on a replica that runs {@link
 * dev.fanout.receiver.InvalidationReceiver}. Names and tags are listed in {@link
 * dev.fanout.micrometer.FanoutObservationDocumentation} and in the module README.
 */
package dev.fanout.micrometer;
