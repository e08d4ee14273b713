/** Cloudflare cache purges by tag, host, prefix and URL as a fanout purge stage. */
package dev.fanout.cloudflare;
