package dev.fanout.cloudfront;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link CloudFrontPurger} would send to CloudFront for one invalidation, and what it costs:
 * the {@code CreateInvalidation} batches in order, each with its {@code CallerReference} and items,
 * and the number of billable paths. Returned by {@link
 * CloudFrontPurger#plan(dev.fanout.Invalidation)} without any network call; {@link
 * CloudFrontPurger#purge(dev.fanout.Invalidation)} sends exactly this plan.
 *
 * <p>CloudFront bills per item sent, whatever it matches: a path, a wildcard path such as {@code
 * /blog/*} and a tag item such as {@code #post:42} each count as one path, and the first 1,000
 * paths a month are free across the whole AWS account
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PayingForInvalidation.html).
 *
 * @param distributionId the CloudFront distribution id
 * @param invalidationId the id of the invalidation the plan was made for
 * @param batches the {@code CreateInvalidation} calls, in the order they are sent, unmodifiable
 * @param requestedItems how many distinct items the invalidation asked for after normalisation
 *     (paths, plus tags when tag invalidation is on), before collapsing
 * @param billablePaths how many items are sent in total, each billed as one invalidation path
 * @param collapsed the wildcard paths that stand for more than one requested path (made by the
 *     collapse policy, or given and covering other requested paths), each with the number of
 *     requested paths it stands for, unmodifiable, in sorted order
 * @param ignoredTags the invalidation's tags that are not sent because tag invalidation is off,
 *     unmodifiable
 * @since 0.1
 */
public record CloudFrontPlan(
    String distributionId,
    String invalidationId,
    List<Batch> batches,
    int requestedItems,
    int billablePaths,
    Map<String, Integer> collapsed,
    List<String> ignoredTags) {

  /**
   * Validates and copies the components.
   *
   * @param distributionId the CloudFront distribution id
   * @param invalidationId the id of the invalidation the plan was made for
   * @param batches the batches, in sending order
   * @param requestedItems distinct requested items before collapsing
   * @param billablePaths items sent in total
   * @param collapsed wildcard paths standing for more than one requested path, with their counts
   * @param ignoredTags tags not sent because tag invalidation is off
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException if a count is negative
   */
  public CloudFrontPlan {
    Objects.requireNonNull(distributionId, "distributionId");
    Objects.requireNonNull(invalidationId, "invalidationId");
    batches = List.copyOf(batches);
    collapsed = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(collapsed));
    ignoredTags = List.copyOf(ignoredTags);
    if (requestedItems < 0 || billablePaths < 0) {
      throw new IllegalArgumentException(
          "counts must be >= 0: requestedItems "
              + requestedItems
              + ", billablePaths "
              + billablePaths);
    }
  }

  /**
   * Returns the number of {@code CreateInvalidation} calls the plan makes (without retries).
   *
   * @return the number of batches
   */
  public int calls() {
    return batches.size();
  }

  /**
   * Returns how many of the billable paths are wildcard paths (ending in {@code *}).
   *
   * @return the number of wildcard paths
   */
  public int wildcardPaths() {
    return batches.stream().mapToInt(Batch::wildcards).sum();
  }

  /**
   * Returns how many of the billable paths are tag items ({@code #tag}).
   *
   * @return the number of tag items
   */
  public int tagItems() {
    return batches.stream().mapToInt(Batch::tags).sum();
  }

  /**
   * Returns whether the plan sends nothing (for example, only tags were given and tag invalidation
   * is off).
   *
   * @return true if there are no batches
   */
  public boolean isEmpty() {
    return batches.isEmpty();
  }

  /**
   * One {@code CreateInvalidation} call: at most {@value CloudFrontPurger#MAX_IN_FLIGHT_PATHS}
   * non-wildcard items (paths and tags) and at most {@value
   * CloudFrontPurger#MAX_IN_FLIGHT_WILDCARDS} wildcard paths, or the lower in-flight limits the
   * purger was built with.
   *
   * @param index the position of the batch in the plan, from 0
   * @param callerReference the idempotency key sent with the batch: derived from the invalidation
   *     id, the batch index and the batch's items, so resending the same batch returns the
   *     invalidation CloudFront already created instead of creating (and billing) another one
   * @param items the paths, wildcard paths and {@code #tag} items, sorted, unmodifiable
   * @since 0.1
   */
  public record Batch(int index, String callerReference, List<String> items) {

    /**
     * Validates and copies the components.
     *
     * @param index the position of the batch in the plan, from 0
     * @param callerReference the idempotency key sent with the batch
     * @param items the items, sorted
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if the index is negative or there are no items
     */
    public Batch {
      Objects.requireNonNull(callerReference, "callerReference");
      items = List.copyOf(items);
      if (index < 0) {
        throw new IllegalArgumentException("index must be >= 0: " + index);
      }
      if (items.isEmpty()) {
        throw new IllegalArgumentException("a batch needs at least one item");
      }
    }

    /**
     * Returns the number of wildcard paths in the batch; they count against CloudFront's separate
     * budget of {@value CloudFrontPurger#MAX_IN_FLIGHT_WILDCARDS} wildcard paths in progress.
     *
     * @return the number of items ending in {@code *}
     */
    public int wildcards() {
      return (int) items.stream().filter(Planner::isWildcard).count();
    }

    /**
     * Returns the number of tag items ({@code #tag}) in the batch.
     *
     * @return the number of tag items
     */
    public int tags() {
      return (int) items.stream().filter(Planner::isTag).count();
    }

    /**
     * Returns the number of non-wildcard items (paths and tags); they count against CloudFront's
     * budget of {@value CloudFrontPurger#MAX_IN_FLIGHT_PATHS} paths in progress.
     *
     * @return the number of items that are not wildcard paths
     */
    public int nonWildcards() {
      return items.size() - wildcards();
    }
  }
}
