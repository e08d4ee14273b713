/**
 * Actuator support: the {@code fanout} health indicator ({@link
 * dev.fanout.spring.actuate.FanoutHealthIndicator}) and the {@code fanout} endpoint ({@link
 * dev.fanout.spring.actuate.FanoutEndpoint}).
 */
package dev.fanout.spring.actuate;
