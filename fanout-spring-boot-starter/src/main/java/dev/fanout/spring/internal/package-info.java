/** Internal helpers of the starter; not an API, may change in any release. */
package dev.fanout.spring.internal;
