/**
 * Step 1 of the sending side, <em>discover</em>, for Kubernetes: headless-Service DNS and the
 * EndpointSlice API.
 */
package dev.fanout.k8s;
