/** Fastly purges by surrogate key and URL as a fanout purge stage. */
package dev.fanout.fastly;
