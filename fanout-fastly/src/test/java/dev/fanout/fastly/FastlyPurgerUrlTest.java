package dev.fanout.fastly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.PurgeException;
import dev.fanout.spi.PurgeResult;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Tests for {@link FastlyPurger}: URL purges and purge-all on the wire. */
class FastlyPurgerUrlTest {
  @AutoClose private final Harness h = new Harness();

  @Test
  void aPathIsPostedToPurgeHostPathOnTheApi() {
    // Given
    FastlyPurger purger = h.purger().build();

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.ofPaths("/blog/hello")));

    // Then: the shape Fastly's API clients use, POST /purge/{host}{path}, soft by default
    assertThat(h.server.requests()).singleElement().satisfies(r -> {
      assertThat(r.method()).isEqualTo("POST");
      assertThat(r.rawPath()).isEqualTo("/purge/www.example.com/blog/hello");
      assertThat(r.header("Fastly-Key")).isEqualTo(FakeFastly.TOKEN);
      assertThat(r.header("Fastly-Soft-Purge")).isEqualTo("1");
      assertThat(r.header("Surrogate-Key")).isNull();
    });
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(1);
    assertThat(result.requestIds()).containsExactly("3646-1492515326-19170046");
  }

  @Test
  void everyPathIsPurgedOnEveryHost() {
    // Given: a bare host and an origin URL (its scheme is dropped: not part of the cache key)
    FastlyPurger purger = h.purger().host("https://Example.org/").host("cdn.example.net:8443")
        .concurrency(1).build();

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.ofPaths("/a", "/b")));

    // Then
    assertThat(h.server.requests()).extracting(FakeFastly.Recorded::rawPath).containsExactly(
        "/purge/www.example.com/a", "/purge/example.org/a", "/purge/cdn.example.net:8443/a",
        "/purge/www.example.com/b", "/purge/example.org/b", "/purge/cdn.example.net:8443/b");
    assertThat(result.requests()).isEqualTo(6);
    assertThat(result.requestIds()).hasSize(6).doesNotHaveDuplicates();
  }

  static Stream<Arguments> encodings() {
    return Stream.of(
        Arguments.of("/caf\u00e9", "/purge/www.example.com/caf%C3%A9", null),
        Arguments.of("/a|b", "/purge/www.example.com/a%7Cb", null),
        Arguments.of("/already%7Cencoded", "/purge/www.example.com/already%7Cencoded", null),
        Arguments.of("/100%25", "/purge/www.example.com/100%25", null),
        Arguments.of("/x[1]\"<>^`{|}",
            "/purge/www.example.com/x%5B1%5D%22%3C%3E%5E%60%7B%7C%7D", null),
        Arguments.of("/search?q=a|b&p=1", "/purge/www.example.com/search", "q=a%7Cb&p=1"),
        Arguments.of("/keep/:@!$&'()*+,;=", "/purge/www.example.com/keep/:@!$&'()*+,;=", null));
  }

  @ParameterizedTest
  @MethodSource("encodings")
  void pathsArePercentEncodedLikeTheUrlABrowserRequests(
      String path, String expectedPath, String expectedQuery) {
    // Given
    FastlyPurger purger = h.purger().build();

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.ofPaths(path)));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(h.server.requests()).singleElement().satisfies(r -> {
      assertThat(r.rawPath()).isEqualTo(expectedPath);
      assertThat(r.rawQuery()).isEqualTo(expectedQuery);
    });
  }

  @Test
  void tagsAndPathsAreBothPurged() {
    // Given
    FastlyPurger purger = h.purger().concurrency(1).build();

    // When
    PurgeResult result = Harness.join(
        purger.purge(Invalidation.builder().path("/blog/hello").tag("post:42").build()));

    // Then: key batches first, then URLs
    assertThat(h.server.requests()).extracting(FakeFastly.Recorded::rawPath)
        .containsExactly("/service/SU1Z0isx/purge", "/purge/www.example.com/blog/hello");
    assertThat(result.requests()).isEqualTo(2);
    assertThat(result.requestIds()).hasSize(2);
  }

  @Test
  void wildcardPathsAreRejectedBeforeAnyRequest() {
    // Given: even with purge-all enabled, only /* means everything
    FastlyPurger purger = h.purger().purgeAll(true).build();

    // When
    PurgeException e = Harness.failure(
        purger.purge(Invalidation.builder().path("/blog/*").path("/ok").tag("t").build()));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.getMessage()).contains("path '/blog/*'").contains("no wildcard URL purge");
    assertThat(h.server.requests()).isEmpty();
  }

  @Test
  void purgeAllIsRejectedUnlessEnabled() {
    // Given
    FastlyPurger purger = h.purger().build();

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofPaths("/*")));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.getMessage()).contains("purge-all is not enabled");
    assertThat(h.server.requests()).isEmpty();
  }

  @Test
  void aFragmentIsRejected() {
    // The wire grammar refuses it before any purger sees it; the purger's own check stays as a
    // second line.
    assertThatThrownBy(() -> Invalidation.ofPaths("/a#top")).hasMessageContaining("fragment");
    assertThat(h.server.requests()).isEmpty();
  }

  @Test
  void purgeAllWhenEnabledSendsOneHardPurgeAll() {
    // Given: soft purge is on, but purge_all is always hard
    FastlyPurger purger = h.purger().purgeAll(true).build();

    // When
    PurgeResult result = Harness.join(
        purger.purge(Invalidation.builder().path("/*").path("/a").tag("t").build()));

    // Then
    assertThat(h.server.requests()).singleElement().satisfies(r -> {
      assertThat(r.method()).isEqualTo("POST");
      assertThat(r.rawPath()).isEqualTo("/service/SU1Z0isx/purge_all");
      assertThat(r.header("Fastly-Soft-Purge")).isNull();
      assertThat(r.header("Fastly-Key")).isEqualTo(FakeFastly.TOKEN);
    });
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requestIds()).isEmpty();
  }

  @Test
  void aFailedPurgeAllListsEverythingAsNotPurged() {
    // Given
    FastlyPurger purger = h.purger().purgeAll(true).build();
    h.server.enqueue(FakeFastly.status(400, "{\"msg\":\"Bad request\"}"));

    // When
    PurgeException e = Harness.failure(
        purger.purge(Invalidation.builder().path("/*").tag("t").build()));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.getMessage()).contains("purge_all").contains("HTTP 400 Bad request");
  }

  @Test
  void aPartialUrlFailureListsThePathOnce() {
    // Given: the second host's request for /a fails
    FastlyPurger purger = h.purger().host("example.org").concurrency(1).build();
    h.server.enqueue(FakeFastly.fastly(), FakeFastly.status(404, "{\"msg\":\"Not found\"}"));

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.ofPaths("/a", "/b")));

    // Then
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.notPurged()).containsExactly("/a");
    assertThat(result.errorKind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(result.detail()).contains("1 of 4 requests failed")
        .contains("URL example.org/a").contains("HTTP 404 Not found");
    assertThat(result.requests()).isEqualTo(4);
    assertThat(result.requestIds()).hasSize(3);
    assertThat(List.copyOf(h.server.requests())).hasSize(4);
  }
}
