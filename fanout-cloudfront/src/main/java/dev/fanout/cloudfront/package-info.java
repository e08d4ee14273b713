/** Amazon CloudFront invalidations as a fanout purge stage. */
package dev.fanout.cloudfront;
