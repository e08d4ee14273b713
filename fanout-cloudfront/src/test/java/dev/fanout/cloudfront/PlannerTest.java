package dev.fanout.cloudfront;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.Invalidation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Tests for {@link Planner}: normalisation, tags, collapse, batching and CallerReferences. */
class PlannerTest {

  private static Planner planner() {
    return new Planner("E123", false, 0, 3_000, 15);
  }

  private static Planner withTags() {
    return new Planner("E123", true, 0, 3_000, 15);
  }

  private static Planner collapsing(int above) {
    return new Planner("E123", false, above, 3_000, 15);
  }

  private static List<String> items(CloudFrontPlan plan) {
    List<String> out = new ArrayList<>();
    plan.batches().forEach(b -> out.addAll(b.items()));
    return out;
  }

  // ---- paths (fault matrix C4)

  @Test
  void encodesNonAsciiAndUnsafeCharactersOnly() {
    Planner p = planner();
    assertThat(p.normalisePath("/caf\u00e9/na\u00efve")).isEqualTo("/caf%C3%A9/na%C3%AFve");
    assertThat(p.normalisePath("/\uD83D\uDE00")).isEqualTo("/%F0%9F%98%80");
    assertThat(p.normalisePath("/a b\"c<d>e{f}g|h\\i^j[k]l`m"))
        .isEqualTo("/a%20b%22c%3Cd%3Ee%7Bf%7Dg%7Ch%5Ci%5Ej%5Bk%5Dl%60m");
    assertThat(p.normalisePath("/x#frag")).isEqualTo("/x%23frag");
    // reserved and unreserved characters stay as viewers send them
    assertThat(p.normalisePath("/q?a=1&b=2;c=3+4:5@6,7!8$9'(0)~_-.*"))
        .isEqualTo("/q?a=1&b=2;c=3+4:5@6,7!8$9'(0)~_-.*");
  }

  @Test
  void keepsExistingEscapesAndEncodesALonePercent() {
    Planner p = planner();
    assertThat(p.normalisePath("/a%20b/%c3%a9")).isEqualTo("/a%20b/%c3%a9");
    assertThat(p.normalisePath("/100%/x%2")).isEqualTo("/100%25/x%252");
  }

  @Test
  void normalisingIsIdempotent() {
    Planner p = planner();
    for (String raw : List.of("/a b/caf\u00e9", "/100%", "/x|y/*", "/~u/%41")) {
      String once = p.normalisePath(raw);
      assertThat(p.normalisePath(once)).isEqualTo(once);
    }
  }

  @Test
  void rejectsAWildcardBeforeTheEnd() {
    assertThatThrownBy(() -> planner().plan(Invalidation.ofPaths("/a/*/b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'E123'")
        .hasMessageContaining("/a/*/b")
        .hasMessageContaining("last character");
  }

  @Test
  void rejectsAPathLongerThanCloudFrontAllowsOnceEncoded() {
    // 701 characters (within the wire grammar's 1,024), but 4,201 once each is encoded as six
    String raw = "/" + "\u00e9".repeat(700);
    assertThatThrownBy(() -> planner().plan(Invalidation.ofPaths(raw)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'E123'")
        .hasMessageContaining("4201 characters")
        .hasMessageContaining("at most 4000");
    assertThat(planner().plan(Invalidation.ofPaths("/" + "\u00e9".repeat(666) + "aaa")).billablePaths())
        .isOne();
  }

  @Test
  void rejectsAnUnpairedSurrogate() {
    assertThatThrownBy(() -> planner().normalisePath("/a\uD800b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate");
  }

  @Test
  void pathsThatEncodeTheSameAreSentOnce() {
    CloudFrontPlan plan = planner().plan(Invalidation.ofPaths("/a|b", "/a%7Cb"));
    assertThat(items(plan)).containsExactly("/a%7Cb");
    assertThat(plan.requestedItems()).isOne();
  }

  // ---- tags

  @Test
  void tagsBecomeHashItemsDeduplicatedCaseInsensitively() {
    CloudFrontPlan plan =
        withTags()
            .plan(Invalidation.builder().tag("Post:42").tag("post:42").tag("a-b_c.d/e").build());
    assertThat(items(plan)).containsExactly("#Post:42", "#a-b_c.d/e");
    assertThat(plan.tagItems()).isEqualTo(2);
    assertThat(plan.billablePaths()).isEqualTo(2);
  }

  @Test
  void rejectsTagsCloudFrontWouldNotAccept() {
    Planner p = withTags();
    assertThatThrownBy(() -> p.plan(Invalidation.ofTags("a,b")))
        .hasMessageContaining("'E123'")
        .hasMessageContaining("tag 'a,b'")
        .hasMessageContaining("no comma");
    assertThatThrownBy(() -> p.plan(Invalidation.ofTags("\u4e2d")))
        .hasMessageContaining("visible ASCII");
    assertThatThrownBy(() -> p.plan(Invalidation.ofTags("caf\u00e9")))
        .hasMessageContaining("visible ASCII");
    assertThatThrownBy(() -> p.plan(Invalidation.ofTags("post:*")))
        .hasMessageContaining("wildcard");
    // CloudFront's 256-character limit is the wire grammar's too: a longer tag is never built.
    assertThatThrownBy(() -> Invalidation.ofTags("t".repeat(257)))
        .hasMessageContaining("longer than 256");
    assertThat(p.plan(Invalidation.ofTags("t".repeat(256))).billablePaths()).isOne();
  }

  @Test
  void withTagsOffTagsAreListedAsIgnored() {
    CloudFrontPlan plan = planner().plan(Invalidation.builder().path("/a").tag("post:1").build());
    assertThat(items(plan)).containsExactly("/a");
    assertThat(plan.ignoredTags()).containsExactly("post:1");
  }

  // ---- batching (fault matrix C4)

  @Test
  void splitsSevenThousandFiveHundredPathsIntoThreeBatches() {
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < 7_500; i++) {
      paths.add("/p/" + i);
    }
    CloudFrontPlan plan = planner().plan(Invalidation.builder().id("big").paths(paths).build());

    assertThat(plan.calls()).isEqualTo(3);
    assertThat(plan.batches())
        .extracting(b -> b.items().size())
        .containsExactly(3_000, 3_000, 1_500);
    assertThat(plan.billablePaths()).isEqualTo(7_500);
    assertThat(new HashSet<>(items(plan))).isEqualTo(new HashSet<>(paths));
    assertThat(plan.batches())
        .extracting(CloudFrontPlan.Batch::callerReference)
        .doesNotHaveDuplicates();
  }

  @Test
  void splitsWildcardsFifteenPerBatchAndSpreadsPathsAlongside() {
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      paths.add("/w" + i + "/*");
    }
    for (int i = 0; i < 4_000; i++) {
      paths.add("/f" + i);
    }
    CloudFrontPlan plan = planner().plan(Invalidation.builder().paths(paths).build());

    assertThat(plan.calls()).isEqualTo(2);
    assertThat(plan.batches()).extracting(CloudFrontPlan.Batch::wildcards).containsExactly(15, 5);
    assertThat(plan.batches())
        .extracting(CloudFrontPlan.Batch::nonWildcards)
        .containsExactly(3_000, 1_000);
    assertThat(plan.wildcardPaths()).isEqualTo(20);
  }

  @Test
  void lowerInFlightLimitsMakeSmallerBatches() {
    CloudFrontPlan plan =
        new Planner("E123", false, 0, 2, 1)
            .plan(Invalidation.ofPaths("/a", "/b", "/c", "/x/*", "/y/*"));
    assertThat(plan.batches())
        .extracting(CloudFrontPlan.Batch::items)
        .containsExactly(List.of("/a", "/b", "/x/*"), List.of("/c", "/y/*"));
  }

  // ---- CallerReference (fault matrix C3)

  @Test
  void callerReferencesAreDeterministicAndDifferWhenTheBatchDiffers() {
    Invalidation inv = Invalidation.builder().id("inv_7").path("/a").path("/b").build();
    String ref = planner().plan(inv).batches().get(0).callerReference();

    assertThat(planner().plan(inv).batches().get(0).callerReference()).isEqualTo(ref);
    // same paths in another order: same batch, same reference
    assertThat(
            planner()
                .plan(Invalidation.builder().id("inv_7").path("/b").path("/a").build())
                .batches()
                .get(0)
                .callerReference())
        .isEqualTo(ref);
    assertThat(ref).startsWith("fanout-inv_7-1-").hasSize("fanout-inv_7-1-".length() + 16);
    assertThat(planner().plan(inv.withId("inv_8")).batches().get(0).callerReference())
        .isNotEqualTo(ref);
    assertThat(
            planner()
                .plan(Invalidation.builder().id("inv_7").path("/a").build())
                .batches()
                .get(0)
                .callerReference())
        .isNotEqualTo(ref);
    assertThat(Planner.callerReference("inv_7", 0, List.of("/a", "/b"), true))
        .startsWith("fanout-inv_7-1-")
        .hasSize("fanout-inv_7-1-".length() + 64);
  }

  @Test
  void callerReferencesStayShortForLongIds() {
    String id = "x".repeat(Invalidation.MAX_ID_LENGTH);
    String a = Planner.callerReference(id, 0, List.of("/a"), false);
    String b = Planner.callerReference(id.substring(0, 127) + "y", 0, List.of("/a"), false);
    assertThat(a).hasSizeLessThanOrEqualTo(100).isNotEqualTo(b);
  }

  // ---- collapse and coverage (cost control)

  @Test
  void pathsAWildcardAlreadyCoversAreNotSentOrBilledAgain() {
    CloudFrontPlan plan =
        planner()
            .plan(Invalidation.ofPaths("/blog/*", "/blog/a", "/blog/b/c*", "/blog", "/blogs/x"));
    assertThat(items(plan)).containsExactly("/blog", "/blog/*", "/blogs/x");
    assertThat(plan.collapsed()).isEqualTo(Map.of("/blog/*", 3));
    assertThat(plan.requestedItems()).isEqualTo(5);
    assertThat(plan.billablePaths()).isEqualTo(3);
  }

  @Test
  void collapsesMoreThanNPathsInOneDirectoryIntoAWildcard() {
    CloudFrontPlan plan =
        collapsing(2).plan(Invalidation.ofPaths("/a/1", "/a/2", "/a/3", "/b/1", "/b/2", "/c"));
    assertThat(items(plan)).containsExactly("/a/*", "/b/1", "/b/2", "/c");
    assertThat(plan.collapsed()).isEqualTo(Map.of("/a/*", 3));
  }

  @Test
  void collapsesLevelByLevelButNeverToTheWholeDistribution() {
    List<String> paths = new ArrayList<>();
    for (int d = 0; d < 3; d++) {
      for (int f = 0; f < 3; f++) {
        paths.add("/shop/d" + d + "/f" + f);
      }
    }
    paths.addAll(List.of("/x", "/y", "/z"));
    CloudFrontPlan plan = collapsing(2).plan(Invalidation.builder().paths(paths).build());

    assertThat(items(plan)).containsExactly("/shop/*", "/x", "/y", "/z");
    assertThat(plan.collapsed()).isEqualTo(Map.of("/shop/*", 9));
  }

  @Test
  void measuresTenThousandChangedPathsWithAndWithoutCollapse() {
    // 100 categories of 100 products each
    List<String> paths = new ArrayList<>();
    for (int c = 0; c < 100; c++) {
      for (int i = 0; i < 100; i++) {
        paths.add("/products/c" + c + "/item-" + i);
      }
    }
    Invalidation inv = Invalidation.builder().paths(paths).build();

    CloudFrontPlan plain = planner().plan(inv);
    CloudFrontPlan above200 = collapsing(200).plan(inv);
    CloudFrontPlan above50 = collapsing(50).plan(inv);
    CloudFrontPlan twentyCategories =
        collapsing(50).plan(Invalidation.builder().paths(paths.subList(0, 2_000)).build());

    assertThat(plain.calls()).isEqualTo(4);
    assertThat(plain.billablePaths()).isEqualTo(10_000);
    assertThat(above200.billablePaths()).isEqualTo(10_000);
    assertThat(above50.calls()).isOne();
    assertThat(above50.batches().get(0).items()).containsExactly("/products/*");
    // 20 categories: each collapses, the parent (20 <= 50) does not
    assertThat(twentyCategories.billablePaths()).isEqualTo(20);
    assertThat(twentyCategories.calls()).isEqualTo(2);
  }

  // ---- properties over random input (fault matrix C4)

  @Test
  void randomInvalidationsAlwaysYieldPlansWithinTheLimitsThatCoverEveryPath() {
    SplittableRandom random = new SplittableRandom(20_260_101L);
    String alphabet = "abc/\"<>^?&=~*|\u00e9\u4e2d";
    for (int round = 0; round < 300; round++) {
      int maxPaths = 1 + random.nextInt(50);
      int maxWildcards = 1 + random.nextInt(15);
      int collapse = random.nextInt(4);
      Planner p = new Planner("E123", true, collapse, maxPaths, maxWildcards);
      List<String> raw = new ArrayList<>();
      int n = 1 + random.nextInt(200);
      for (int i = 0; i < n; i++) {
        StringBuilder sb = new StringBuilder("/");
        int len = random.nextInt(12);
        for (int j = 0; j < len; j++) {
          char c = alphabet.charAt(random.nextInt(alphabet.length()));
          if (c != '*') {
            sb.append(c);
          }
        }
        if (random.nextInt(5) == 0) {
          sb.append('*');
        }
        // Only what the wire grammar lets an invalidation carry ("//host" is not a path).
        if (dev.fanout.WireContract.pathProblem(sb.toString()) == null) {
          raw.add(sb.toString());
        }
      }
      Invalidation inv = Invalidation.builder().paths(raw).tag("t" + random.nextInt(3)).build();

      CloudFrontPlan plan = p.plan(inv);

      List<String> sent = items(plan);
      List<String> problems = new ArrayList<>();
      if (new HashSet<>(sent).size() != sent.size()) {
        problems.add("duplicates in " + sent);
      }
      if (plan.billablePaths() != sent.size() || plan.billablePaths() > plan.requestedItems()) {
        problems.add("billable " + plan.billablePaths() + " of " + plan.requestedItems());
      }
      for (CloudFrontPlan.Batch b : plan.batches()) {
        if (b.nonWildcards() > maxPaths || b.wildcards() > maxWildcards) {
          problems.add("batch over the limits: " + b);
        }
      }
      Set<String> wildcardPrefixes = new HashSet<>();
      for (String item : sent) {
        boolean printable = item.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        int star = item.indexOf('*');
        boolean starAtEnd = star == -1 || star == item.length() - 1;
        boolean path = item.startsWith("/");
        boolean unsafeLeft =
            path && (item.contains("|") || item.contains("#") || item.contains("\""));
        if (!printable
            || !starAtEnd
            || unsafeLeft
            || (path && !p.normalisePath(item).equals(item))) {
          problems.add("bad item " + item);
        }
        if (item.endsWith("*")) {
          wildcardPrefixes.add(item.substring(0, item.length() - 1));
        }
      }
      Set<String> sentSet = new HashSet<>(sent);
      for (String raw0 : raw) {
        String norm = p.normalisePath(raw0);
        String base = norm.endsWith("*") ? norm.substring(0, norm.length() - 1) : norm;
        if (!sentSet.contains(norm) && wildcardPrefixes.stream().noneMatch(base::startsWith)) {
          problems.add(raw0 + " (sent as " + norm + ") is not purged by " + sent);
        }
      }
      assertThat(problems).as("round %d", round).isEmpty();
      assertThat(p.plan(inv)).isEqualTo(plan);
    }
  }
}
