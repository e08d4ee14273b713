/**
 * Delivery over HTTP: {@link dev.fanout.http.HttpNotifier} and the Standard Webhooks {@link
 * dev.fanout.http.WebhookSigner}.
 */
package dev.fanout.http;
