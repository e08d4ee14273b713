package dev.fanout.fastly;

import dev.fanout.internal.UrlPaths;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of the batching, key validation and path encoding behind {@link FastlyPurger} (fault
 * matrix C6).
 */
class PurgePlannerPropertiesTest {

  @Provide
  Arbitrary<List<String>> validKeys() {
    Arbitrary<String> key = Arbitraries.strings().withCharRange((char) 0x21, (char) 0x7e)
        .ofMinLength(1).ofMaxLength(SurrogateKeys.MAX_KEY_BYTES);
    return key.list().ofMaxSize(700);
  }

  @Property(tries = 200)
  void batchesStayWithinBothLimitsAndKeepEveryKeyInOrder(
      @ForAll("validKeys") List<String> keys, @ForAll @IntRange(min = 1, max = 300) int maxKeys) {
    List<List<String>> batches =
        PurgePlanner.batches(keys, maxKeys, FastlyPurger.MAX_BATCH_HEADER_BYTES);

    List<String> flat = new ArrayList<>();
    for (List<String> b : batches) {
      assertThat(b).isNotEmpty().hasSizeLessThanOrEqualTo(maxKeys);
      assertThat(String.join(" ", b).length())
          .isLessThanOrEqualTo(FastlyPurger.MAX_BATCH_HEADER_BYTES);
      flat.addAll(b);
    }
    assertThat(flat).isEqualTo(keys);
  }

  @Property(tries = 500)
  void aKeyIsValidExactlyWhenItIsPrintableAsciiOfAtMost1024Bytes(@ForAll String key) {
    boolean expected = !key.isEmpty() && key.length() <= 1024
        && key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e);

    assertThat(SurrogateKeys.isValid(key)).isEqualTo(expected);
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.strings().all()
        .filter(s -> s.indexOf('%') < 0 && s.indexOf('?') < 0 && s.indexOf('#') < 0)
        .filter(s -> s.codePoints().allMatch(Character::isValidCodePoint))
        .filter(s -> !hasLoneSurrogate(s))
        .map(s -> "/" + s);
  }

  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return true;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  @Property(tries = 500)
  void anEncodedPathIsAValidUriThatDecodesToThePath(@ForAll("paths") String path) {
    String encoded = UrlPaths.encode(path);

    URI uri = URI.create("https://api.fastly.com/purge/www.example.com" + encoded);
    assertThat(encoded).matches("[\\x21-\\x7e]*");
    assertThat(uri.getPath()).isEqualTo("/purge/www.example.com" + path);
  }
}
