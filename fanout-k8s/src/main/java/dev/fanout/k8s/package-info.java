/** Replica discovery for Kubernetes: headless-Service DNS and the EndpointSlice API. */
package dev.fanout.k8s;
