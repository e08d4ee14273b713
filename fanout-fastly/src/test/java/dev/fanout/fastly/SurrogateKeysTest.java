package dev.fanout.fastly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests for {@link SurrogateKeys}. */
class SurrogateKeysTest {

  @Test
  void headerValueJoinsKeysBySpacesWithoutDuplicates() {
    assertThat(SurrogateKeys.headerValue(List.of("post:42", "author:7", "post:42")))
        .isEqualTo("post:42 author:7");
    assertThat(SurrogateKeys.builder().build()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "a b", "tab\t", "caf\u00e9", "\u007f", "nul\u0000"})
  void invalidKeysAreRejected(String key) {
    assertThat(SurrogateKeys.isValid(key)).isFalse();
    assertThatThrownBy(() -> SurrogateKeys.builder().add(key))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid Fastly surrogate key");
  }

  @Test
  void theByteLimitIsExact() {
    assertThat(SurrogateKeys.isValid("k".repeat(1024))).isTrue();
    assertThat(SurrogateKeys.isValid("k".repeat(1025))).isFalse();
    assertThat(SurrogateKeys.isValid("!~")).isTrue();
    assertThat(SurrogateKeys.isValid(null)).isFalse();
    assertThatThrownBy(() -> SurrogateKeys.requireValid("k".repeat(1025)))
        .hasMessageContaining("longer than 1024 bytes");
  }

  @Test
  void theHeaderNeverExceeds16KiB() {
    // Given: 16 keys of 1,023 bytes + 15 separators = 16,383 bytes
    SurrogateKeys.Builder b = SurrogateKeys.builder();
    for (int i = 0; i < 16; i++) {
      assertThat(b.tryAdd(String.format("%02d", i) + "k".repeat(1021))).isTrue();
    }
    assertThat(b.byteLength()).isEqualTo(16_383);

    // When / Then: one more byte fits, a separator plus a key does not
    assertThat(b.tryAdd("x")).isFalse();
    assertThat(b.size()).isEqualTo(16);
    assertThatThrownBy(() -> b.add("x"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("16384 bytes");
    assertThat(b.tryAdd("00" + "k".repeat(1021))).isTrue();
    assertThat(b.build()).hasSize(16_383);
  }

  @Test
  void printableEscapesAndTruncates() {
    assertThat(SurrogateKeys.printable("a\u00e9\n\u2028")).isEqualTo("a\\xe9\\x0a\\u2028");
    assertThat(SurrogateKeys.printable("x".repeat(100))).hasSize(83).endsWith("...");
  }
}
