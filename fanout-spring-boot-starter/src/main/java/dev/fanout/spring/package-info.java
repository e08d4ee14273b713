/**
 * Spring Boot auto-configuration for fanout: {@code fanout.*} properties ({@link
 * dev.fanout.spring.FanoutProperties}) build the application's {@link dev.fanout.Invalidator};
 * {@link dev.fanout.spring.TransactionalInvalidator} sends after a commit; {@link
 * dev.fanout.spring.FanoutShutdown} flushes at shutdown; {@link
 * dev.fanout.spring.FanoutConfigurationFailureAnalyzer} reports wrong properties at startup.
 */
package dev.fanout.spring;
