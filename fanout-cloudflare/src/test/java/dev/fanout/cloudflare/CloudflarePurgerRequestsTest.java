package dev.fanout.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.PurgeException;
import dev.fanout.spi.PurgeResult;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link CloudflarePurger}: what it sends for tags and paths, how it batches within the
 * plan's per-request limits, and what it refuses to send, against the loopback stand-in.
 */
class CloudflarePurgerRequestsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Each test builds its own, for the plan it needs. */
  @AutoClose private Harness h;

  private static List<String> tags(int n) {
    return IntStream.range(0, n).mapToObj(i -> "post:" + i).toList();
  }

  @Test
  void aThousandTagsGoAsTenRequestsOfAHundred() throws Exception {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    List<String> tags = tags(1_000);

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.builder().tags(tags).build()));

    // Then: ten POSTs to the zone's purge_cache, 100 tags each, every tag once, in order
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(10);
    List<FakeCloudflare.Recorded> requests = h.server.requests();
    assertThat(requests).hasSize(10).allSatisfy(r -> {
      assertThat(r.method()).isEqualTo("POST");
      assertThat(r.rawPath()).isEqualTo(FakeCloudflare.PATH);
      assertThat(r.header("Authorization")).isEqualTo("Bearer " + FakeCloudflare.TOKEN);
      assertThat(r.header("Content-Type")).isEqualTo("application/json");
      assertThat(r.kind()).isEqualTo("tags");
      assertThat(r.items()).hasSize(100);
      assertThat(r.status()).isEqualTo(200);
    });
    assertThat(h.server.purged("tags")).containsExactlyInAnyOrderElementsOf(tags);
    // and Cloudflare's id of each request is in the result
    assertThat(result.requestIds()).hasSize(10).doesNotHaveDuplicates()
        .allMatch(id -> id.matches("[0-9a-f]{32}"));
  }

  @Test
  void oneConcurrentRequestSendsBatchesInOrder() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().concurrency(1).build();
    List<String> tags = tags(250);

    // When
    Harness.join(purger.purge(Invalidation.builder().tags(tags).build()));

    // Then
    assertThat(h.server.requests()).extracting(r -> r.items().size()).containsExactly(100, 100, 50);
    assertThat(h.server.purged("tags")).containsExactlyElementsOf(tags);
  }

  @Test
  void tagsDifferingOnlyInCaseAreSentOnce() {
    // Given: Cloudflare compares tags case-insensitively
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();

    // When
    PurgeResult result = Harness.join(purger.purge(
        Invalidation.builder().tag("Post:1").tag("post:1").tag("post:2").build()));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(h.server.requests()).singleElement()
        .satisfies(r -> assertThat(r.items()).containsExactly("Post:1", "post:2"));
  }

  @Test
  void pathsBecomeFullUrlsOnEveryHost() {
    // Given: one host as a name (https), one as an http origin
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().host("http://Static.Example.com/").build();

    // When
    PurgeResult result = Harness.join(purger.purge(
        Invalidation.builder().path("/blog/hello").path("/café?x=1&y=%41").build()));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(h.server.requests()).singleElement().satisfies(r -> {
      assertThat(r.kind()).isEqualTo("files");
      assertThat(r.items()).containsExactly(
          "https://www.example.com/blog/hello",
          "http://static.example.com/blog/hello",
          "https://www.example.com/caf%C3%A9?x=1&y=%41",
          "http://static.example.com/caf%C3%A9?x=1&y=%41");
    });
  }

  @Test
  void urlsAreBatchedByThePlansUrlsPerRequest() {
    // Given: 1,200 paths on one host
    List<String> paths = IntStream.range(0, 1_200).mapToObj(i -> "/p/" + i).toList();

    // When: Enterprise takes 500 URLs per request, the other plans 100
    h = new Harness(Plan.ENTERPRISE);
    Harness.join(h.purger().build().purge(Invalidation.builder().paths(paths).build()));
    List<Integer> enterprise = h.server.requests().stream().map(r -> r.items().size()).toList();
    h.close();
    h = new Harness(Plan.BUSINESS);
    Harness.join(h.purger().concurrency(1).build()
        .purge(Invalidation.builder().paths(paths.subList(0, 250)).build()));
    List<Integer> business = h.server.requests().stream().map(r -> r.items().size()).toList();

    // Then
    assertThat(enterprise).containsExactlyInAnyOrder(500, 500, 200);
    assertThat(business).containsExactly(100, 100, 50);
  }

  @Test
  void wildcardPathsBecomePrefixesAndSlashStarHosts() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().host("static.example.com:8443").concurrency(1).build();

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.builder()
        .tag("post:1").path("/blog/*").path("/docs*").path("/*").path("/a").build()));

    // Then: tags, hosts, prefixes, files, one kind per request
    assertThat(result.isSuccess()).isTrue();
    assertThat(h.server.requests()).extracting(FakeCloudflare.Recorded::kind)
        .containsExactly("tags", "hosts", "prefixes", "files");
    assertThat(h.server.purged("hosts")).containsExactly("www.example.com", "static.example.com");
    assertThat(h.server.purged("prefixes")).containsExactly("www.example.com/blog",
        "static.example.com:8443/blog", "www.example.com/docs", "static.example.com:8443/docs");
    assertThat(h.server.purged("files"))
        .containsExactly("https://www.example.com/a", "https://static.example.com:8443/a");
  }

  @Test
  void purgePathsFalsePurgesTagsOnly() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().purgePaths(false).build();

    // When: the path would even be refused, but it is ignored
    Harness.join(purger.purge(Invalidation.builder().tag("post:1").path("/a*b").build()));

    // Then
    assertThat(h.server.requests()).singleElement()
        .satisfies(r -> assertThat(r.kind()).isEqualTo("tags"));
  }

  @Test
  void anInvalidTagIsRejectedBeforeAnyRequest() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    Invalidation inv = Invalidation.builder().tags(tags(300)).tag("a,b")
        .tag("caf\u00e9").path("/ok").build();

    // When
    PurgeException e = Harness.failure(purger.purge(inv));

    // Then: nothing was sent, and the message names every bad tag and why
    assertThat(h.server.requests()).isEmpty();
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.target()).isEqualTo("cloudflare:" + FakeCloudflare.ZONE);
    assertThat(e.getMessage())
        .contains(FakeCloudflare.ZONE).contains(inv.id()).contains("2 problems")
        .contains("tag 'a,b': a comma separates tags")
        .contains("tag 'caf\\u00e9': Cache-Tag values are printable ASCII").contains("U+00E9");
    assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> purger.validate(inv))
        .isInstanceOf(IllegalArgumentException.class).hasMessage(e.getMessage());
  }

  @Test
  void aTagOfTheLongestLengthTheWireContractAllowsIsAccepted() {
    // Given: core caps tags below Cloudflare's 1,024 characters, so the longest tag an
    // invalidation can carry always fits
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    String tag = "k".repeat(Invalidation.MAX_TAG_LENGTH);

    // When
    purger.validate(Invalidation.ofTags(tag));
    PurgeResult result = Harness.join(purger.purge(Invalidation.ofTags(tag)));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(h.server.purged("tags")).containsExactly(tag);
  }

  @Test
  void pathsCloudflareCannotPurgeAreRejectedBeforeAnyRequest() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    String deep = "/" + IntStream.range(0, 32).mapToObj(i -> "d").collect(Collectors.joining("/"))
        + "/*";
    Invalidation inv = Invalidation.builder().path("/a*b").path("/search?q=*").path(deep)
        .path("/ok").build();

    // When
    PurgeException e = Harness.failure(purger.purge(inv));

    // Then
    assertThat(h.server.requests()).isEmpty();
    assertThat(e.getMessage()).contains("3 problems")
        .contains("path '/a*b': '*' is only understood at the end of a path")
        .contains("path '/search?q=*': a prefix purge cannot include a query string")
        .contains("at most 31 path separators, this one 32");
  }

  @Test
  void prefixesWithThirtyOneSeparatorsAreAccepted() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    String path = "/" + IntStream.range(0, 31).mapToObj(i -> "d").collect(Collectors.joining("/"))
        + "/*";

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.ofPaths(path)));

    // Then: the stand-in, which refuses more than 31, accepted it
    assertThat(result.isSuccess()).isTrue();
    assertThat(h.server.accepted()).hasSize(1);
  }

  @Test
  void anInvalidationWithNothingForCloudflareSucceedsWithoutRequests() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().purgePaths(false).build();

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.ofPaths("/a")));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isZero();
    assertThat(h.server.requests()).isEmpty();
  }

  @Test
  void theBodyIsTheDocumentedShape() throws Exception {
    // Given
    h = new Harness(Plan.PRO);

    // When
    Harness.join(h.purger().build().purge(Invalidation.ofTags("post:42", "author:7")));

    // Then
    JsonNode body = JSON.readTree(h.server.requests().get(0).body());
    assertThat(body.toString()).isEqualTo("{\"tags\":[\"post:42\",\"author:7\"]}");
  }
}
