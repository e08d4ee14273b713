/**
 * fanout-gateway: fanout as a service for CMSs that are not on the JVM. CMS webhooks (the WordPress
 * plugin's, Strapi's, any JSON mapped by configuration) come in, are authenticated and mapped to
 * invalidations, and go to the Spring Boot starter's {@link dev.fanout.Invalidator} through {@link
 * dev.fanout.gateway.InvalidationSink}; {@code GET /v1/invalidations/{id}} answers where each
 * stands.
 */
package dev.fanout.gateway;
