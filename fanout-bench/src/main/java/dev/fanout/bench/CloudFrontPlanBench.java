package dev.fanout.bench;

import dev.fanout.Invalidation;
import dev.fanout.cloudfront.CloudFrontPlan;
import dev.fanout.cloudfront.CloudFrontPurger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudfront.CloudFrontAsyncClient;

/**
 * What a CloudFront purge of 10,000 changed paths costs: CreateInvalidation calls and billable
 * paths, with and without the collapse policy. {@code plan()} is a dry run; nothing is sent.
 */
public final class CloudFrontPlanBench {
  private CloudFrontPlanBench() {}

  /**
   * Prints the table.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    // plan() never calls the client; it only needs one to build the purger.
    try (CloudFrontAsyncClient client = CloudFrontAsyncClient.builder().region(Region.AWS_GLOBAL)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("plan", "only")))
        .build()) {
      List<String> wide = new ArrayList<>();
      for (int d = 0; d < 100; d++) {
        for (int i = 0; i < 100; i++) {
          wide.add("/products/cat-" + d + "/item-" + i);
        }
      }
      List<String> flat = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {
        flat.add("/articles/" + i);
      }
      System.out.println("| changed paths | policy | calls | billable paths | collapsed into |");
      System.out.println("|---|---|---|---|---|");
      for (List<String> paths : List.of(wide, flat)) {
        String shape = paths == wide ? "10,000 in 100 directories of 100" : "10,000 in one directory";
        Invalidation inv = Invalidation.builder().paths(paths).build();
        for (int collapse : new int[] {0, 200, 50}) {
          CloudFrontPurger.Builder b = CloudFrontPurger.builder().client(client).distributionId("E2QWRUHEXAMPLE");
          if (collapse > 0) {
            b.collapseAbove(collapse);
          }
          CloudFrontPlan plan = b.build().plan(inv);
          System.out.printf(Locale.ROOT, "| %s | %s | %d | %,d | %s |%n", shape,
              collapse == 0 ? "no collapse" : "collapseAbove(" + collapse + ")", plan.calls(),
              plan.billablePaths(), plan.collapsed().isEmpty() ? "-" : plan.collapsed().size() + " wildcards");
        }
      }
    }
  }
}
