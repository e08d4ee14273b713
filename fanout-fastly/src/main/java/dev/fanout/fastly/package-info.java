/** Step 3 of the sending side, <em>purge</em>: Fastly purges by surrogate key and URL. */
package dev.fanout.fastly;
