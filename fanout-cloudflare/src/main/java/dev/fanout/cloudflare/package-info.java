/**
 * Step 3 of the sending side, <em>purge</em>: Cloudflare cache purges by tag, host, prefix and URL.
 */
package dev.fanout.cloudflare;
