/**
 * Step 3 of the sending side, <em>purge</em>: Amazon CloudFront invalidations. {@link
 * dev.fanout.cloudfront.CloudFrontPurger} sends {@code CreateInvalidation} batches over a
 * caller-built {@code CloudFrontAsyncClient}, within CloudFront's in-flight limits and with
 * idempotent {@code CallerReference}s; {@link dev.fanout.cloudfront.CloudFrontPlan} is its dry run.
 */
package dev.fanout.cloudfront;
