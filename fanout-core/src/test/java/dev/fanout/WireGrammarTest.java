package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * What a receiver refuses, the builder refuses: {@link Invalidation} follows {@link WireContract}'s
 * grammar, and says which value was wrong.
 */
class WireGrammarTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "/sale/50%off", "/docs/../intro", "/docs/./intro", "/a/%2e%2e/b", "/a%2F..%2Fb", "/a/..;/b",
      "/a b", "/a\tb", "/a#frag", "/a\\b", "//evil.example/x", "/\\evil", "/a\u0000", "/a\u007f",
      "/a\u0085b", "/a\u200bb", "/a\u202eb", "/a\u2028b", "/a\u00a0b", "/a\u3000b", "/a\ufeffb",
      "/a\u0890b", "/a\ud80d\udc3fb", "/\ud800x", "/x\udc00", "/%zz", "/a%", "/a%2", "/%c0%ae",
      "/%ED%A0%80", "/a%20b", "/a%23b", "/a%5Cb", "/%2F%2Fevil", "relative", "", "/a?q=a b",
      "/a?q=#x"})
  void pathsAReceiverWouldRefuseAreRefusedAtTheSenderNamingThePath(String path) {
    assertThat(WireContract.pathProblem(path)).as(path).isNotNull();
    assertThatThrownBy(() -> Invalidation.builder().path("/fine").path(path).build())
        .as(path)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(WireContract.pathProblem(path))
        .hasMessageContaining("'" + Invalidation.printable(path) + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/", "/blog/hello", "/blog/caf%C3%A9", "/blog/caf\u00e9", "/search?q=a/../b", "/posts/*",
      "/a..b/c.d", "/.well-known/x", "/a/b/", "/\ud83d\ude00", "/a:b@c;d=e,f", "/50%25off",
      "/a?q=%zz", "/a|b\"c'd<e>{f}^`[g]", "/\u4e2d\u6587"})
  void plainPathsAreAccepted(String path) {
    assertThat(WireContract.pathProblem(path)).as(path).isNull();
    assertThat(Invalidation.ofPaths(path).paths()).containsExactly(path);
  }

  @Test
  void messagesEscapeWhatCannotBePrinted() {
    assertThatThrownBy(() -> Invalidation.ofPaths("/a\u202eb"))
        .hasMessage("path has a format character: '/a\\u202eb'");
    assertThatThrownBy(() -> Invalidation.ofPaths("/sale/50%off"))
        .hasMessage("path has a malformed percent escape: '/sale/50%off'");
    assertThatThrownBy(() -> Invalidation.ofPaths("/docs/../intro"))
        .hasMessage("path has a dot segment: '/docs/../intro'");
    assertThatThrownBy(() -> Invalidation.ofPaths("/a\r\nX: 1"))
        .hasMessage("path has a control character: '/a\\x0d\\x0aX: 1'");
    assertThatThrownBy(() -> Invalidation.ofPaths("/\ud800x"))
        .hasMessage("path has an unpaired surrogate: '/\\ud800x'");
    assertThat(Invalidation.printable("/\ud83d\ude00")).isEqualTo("/\ud83d\ude00");
  }

  @Test
  void pathsAreAtMostTheLengthNextJsRevalidates() {
    String longest = "/" + "a".repeat(WireContract.MAX_PATH_LENGTH - 1);
    assertThat(Invalidation.ofPaths(longest).paths()).containsExactly(longest);
    assertThatThrownBy(() -> Invalidation.ofPaths(longest + "a"))
        .hasMessageStartingWith("path is longer than 1024 characters: '/aaa");
    assertThat(Invalidation.MAX_PATH_LENGTH).isEqualTo(1_024);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a b", " ", "", "a\tb", "a\u0000", "a\u0085", "a\u00a0", "a\u200b",
      "a\u202e", "\ud800", "a\u2028b"})
  void tagsAReceiverWouldRefuseAreRefused(String tag) {
    assertThat(WireContract.tagProblem(tag)).as(tag).isNotNull();
    assertThatThrownBy(() -> Invalidation.builder().tag("fine").tag(tag).build())
        .as(tag).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("tag ");
    assertThatThrownBy(() -> Invalidation.builder().tag("fine").entity(tag).build())
        .as(tag).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("entity key ");
  }

  @Test
  void tagsAreAtMost256Characters() {
    String longest = "t".repeat(256);
    assertThat(Invalidation.ofTags(longest, "post:42", "caf\u00e9", "#a\\b%zz", "/a/../b").tags())
        .hasSize(5);
    assertThatThrownBy(() -> Invalidation.ofTags(longest + "t"))
        .hasMessageStartingWith("tag is longer than 256 characters");
    assertThat(Invalidation.MAX_TAG_LENGTH).isEqualTo(WireContract.MAX_TAG_LENGTH).isEqualTo(256);
  }

  @Test
  void chunkIdsAreDistinctValidInvalidationIds() {
    assertThat(WireContract.chunkId("inv_1", 0, 3)).isEqualTo("inv_1:0of3");
    String longest = "x".repeat(WireContract.MAX_ID_LENGTH);
    String a = WireContract.chunkId(longest, 10, 11);
    String b = WireContract.chunkId(longest.substring(1) + "y", 10, 11);
    assertThat(a).hasSize(WireContract.MAX_ID_LENGTH).endsWith(":10of11").isNotEqualTo(b);
    assertThat(Invalidation.ofPaths("/").withId(a).id()).isEqualTo(a);
    assertThat(WireContract.chunkId(longest, 10, 11)).isEqualTo(a);
    assertThatThrownBy(() -> WireContract.chunkId("inv_1", 3, 3)).isInstanceOf(IllegalArgumentException.class);
  }
}
