package dev.fanout.spring;

import static dev.fanout.spring.internal.Settings.get;
import static dev.fanout.spring.internal.Settings.required;
import static dev.fanout.spring.internal.Settings.set;

import dev.fanout.cloudfront.CloudFrontPurger;
import dev.fanout.spi.Purger;
import java.util.List;
import org.springframework.beans.factory.BeanFactory;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudfront.CloudFrontAsyncClient;
import software.amazon.awssdk.services.cloudfront.CloudFrontAsyncClientBuilder;

/**
 * Builds a {@link CloudFrontPurger}; loaded only when fanout-cloudfront is on the class path. The
 * client is the application's {@link CloudFrontAsyncClient} bean when it has one; otherwise one is
 * built here (region {@code aws-global}, or {@code us-east-1} with an endpoint override; the SDK's
 * default credentials chain) and closed with the invalidator.
 */
final class CloudFrontPurgers {
  private CloudFrontPurgers() {}

  static Purger build(String p, StageProperties.CloudFront c, BeanFactory beans,
      List<AutoCloseable> resources) {
    String distribution = required(p + ".distribution-id", c.distributionId(),
        "Set the CloudFront distribution id, e.g. E2QWRUHEXAMPLE.");
    CloudFrontAsyncClient client = beans.getBeanProvider(CloudFrontAsyncClient.class).getIfAvailable();
    if (client == null) {
      // CloudFront signs for us-east-1. aws-global resolves to it through the SDK's endpoint rules,
      // but with an endpoint override the SDK signs for the client's own region.
      CloudFrontAsyncClientBuilder cb = CloudFrontAsyncClient.builder()
          .region(c.endpointOverride() == null ? Region.AWS_GLOBAL : Region.US_EAST_1);
      if (c.endpointOverride() != null) {
        cb.endpointOverride(c.endpointOverride());
      }
      client = get(p, "A CloudFront client the AWS SDK can build here.", cb::build);
      resources.add(client);
    } else if (c.endpointOverride() != null) {
      throw new FanoutConfigurationException(p + ".endpoint-override",
          "applies only to a client the starter builds, and the application has a CloudFrontAsyncClient bean",
          "Set the endpoint on your CloudFrontAsyncClient bean, or remove the property.");
    }
    CloudFrontPurger.Builder b = CloudFrontPurger.builder().client(client);
    set(p + ".distribution-id", "CloudFront's distribution id.", () -> b.distributionId(distribution));
    if (c.tagInvalidation() != null) {
      b.tagInvalidation(c.tagInvalidation());
    }
    if (c.collapseAbove() != null) {
      set(p + ".collapse-above", "A positive number of paths.", () -> b.collapseAbove(c.collapseAbove()));
    }
    if (c.waitForCompletion() != null) {
      set(p + ".wait-for-completion", "Zero or a positive duration.",
          () -> b.waitForCompletion(c.waitForCompletion()));
    }
    return get(p, "A complete CloudFront purger configuration.", b::build);
  }
}
