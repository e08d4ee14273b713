package dev.fanout.fastly;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.PurgeException;
import dev.fanout.spi.PurgeResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests for {@link FastlyPurger}: surrogate-key batch purges on the wire (fault matrix C6). */
class FastlyPurgerKeysTest {
  @AutoClose private final Harness h = new Harness();

  private static List<String> tags(int n) {
    return IntStream.range(0, n).mapToObj(i -> "product:" + i).collect(Collectors.toList());
  }

  @Test
  void sixHundredTagsArriveAsThreeBatchesWithTheRightHeaders() {
    // Given
    FastlyPurger purger = h.purger().purgePaths(false).build();
    List<String> tags = tags(600);

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.builder().tags(tags).build()));

    // Then
    List<FakeFastly.Recorded> requests = h.server.requests();
    assertThat(requests).hasSize(3);
    assertThat(requests).allSatisfy(r -> {
      assertThat(r.method()).isEqualTo("POST");
      assertThat(r.rawPath()).isEqualTo("/service/SU1Z0isx/purge");
      assertThat(r.rawQuery()).isNull();
      assertThat(r.protocol()).isEqualTo("HTTP/1.1");
      assertThat(r.header("Fastly-Key")).isEqualTo(FakeFastly.TOKEN);
      assertThat(r.header("Fastly-Soft-Purge")).isEqualTo("1");
      assertThat(r.header("Accept")).isEqualTo("application/json");
      assertThat(r.header("Upgrade")).isNull();
      assertThat(r.header("Content-Length")).isEqualTo("0");
      assertThat(r.header("Surrogate-Key")).doesNotContain("  ").doesNotStartWith(" ");
      assertThat(r.body()).isEmpty();
    });
    assertThat(requests.stream().map(r -> r.surrogateKeys().size()).sorted())
        .containsExactly(88, 256, 256);
    assertThat(new HashSet<>(h.server.allKeys())).isEqualTo(new HashSet<>(tags));
    assertThat(h.server.allKeys()).hasSize(600);

    assertThat(result.isSuccess()).isTrue();
    assertThat(result.target()).isEqualTo("fastly:SU1Z0isx");
    assertThat(result.requests()).isEqualTo(3);
    assertThat(result.notPurged()).isEmpty();
    // Fastly answers each batch with a map of key to purge id; every id is reported.
    assertThat(result.requestIds()).hasSize(600).allMatch(id -> id.startsWith("3646-1492515326-"));
  }

  @Test
  void batchesFollowTheInvalidationsTagOrder() {
    // Given: one request at a time, so arrival order is batch order
    FastlyPurger purger = h.purger().purgePaths(false).concurrency(1).build();
    List<String> tags = tags(513);

    // When
    Harness.join(purger.purge(Invalidation.builder().tags(tags).build()));

    // Then
    assertThat(h.server.requests()).extracting(r -> r.surrogateKeys().size())
        .containsExactly(256, 256, 1);
    assertThat(h.server.allKeys()).isEqualTo(tags);
  }

  @Test
  void hundredThousandTagsNeverExceedTheBatchLimits() {
    // Given
    FastlyPurger purger = h.purger().purgePaths(false).concurrency(4).build();
    List<String> tags = tags(100_000);

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.builder().tags(tags).build()));

    // Then: ceil(100000 / 256) = 391 requests, each within both limits, each key exactly once
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(391);
    assertThat(h.server.requests()).hasSize(391).allSatisfy(r -> {
      assertThat(r.surrogateKeys()).hasSizeLessThanOrEqualTo(FastlyPurger.MAX_KEYS_PER_BATCH);
      assertThat(r.header("Surrogate-Key").length())
          .isLessThanOrEqualTo(FastlyPurger.MAX_BATCH_HEADER_BYTES);
    });
    List<String> sent = h.server.allKeys();
    assertThat(sent).hasSize(100_000);
    assertThat(new HashSet<>(sent)).hasSize(100_000).isEqualTo(new HashSet<>(tags));
    assertThat(h.server.maxInFlight()).isBetween(1, 4);
  }

  @Test
  void longKeysAreSplitToKeepTheHeaderWithin16KiB() {
    // Given: 150 keys of 256 bytes, the longest tag an invalidation carries: 63 fit in 16,384
    // bytes with their separators
    FastlyPurger purger = h.purger().purgePaths(false).concurrency(1).build();
    List<String> tags = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      tags.add(String.format("%04d", i) + "k".repeat(252));
    }

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.builder().tags(tags).build()));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(h.server.requests()).extracting(r -> r.surrogateKeys().size())
        .containsExactly(63, 63, 24);
    assertThat(h.server.allKeys()).isEqualTo(tags);
  }

  @ParameterizedTest
  @ValueSource(strings = {"caf\u00e9", "\u00ff", "post:\u4e2d", "emoji:\uD83D\uDE00"})
  void anInvalidKeyRejectsTheWholeInvalidationBeforeAnyRequest(String bad) {
    // Given: valid keys around an invalid one
    FastlyPurger purger = h.purger().purgePaths(false).build();
    Invalidation inv = Invalidation.builder().tag("ok:1").tag(bad).tag("ok:2").build();

    // When
    PurgeException e = Harness.failure(purger.purge(inv));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.target()).isEqualTo("fastly:SU1Z0isx");
    assertThat(e.getMessage())
        .contains("SU1Z0isx")
        .contains(inv.id())
        .contains("surrogate key '" + SurrogateKeys.printable(bad) + "'")
        .contains("not printable ASCII");
    assertThat(h.server.requests()).isEmpty();
    assertThat(h.scheduler.pending()).isZero();
  }

  @Test
  void manyInvalidKeysAreCountedAndTheFirstFewNamed() {
    // Given
    FastlyPurger purger = h.purger().purgePaths(false).build();
    List<String> bad = IntStream.range(0, 8).mapToObj(i -> "bad-\u00e9-" + i).toList();

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.builder().tags(bad).build()));

    // Then
    assertThat(e.getMessage()).contains("8 problems").contains("'bad-\\xe9-0'")
        .contains("'bad-\\xe9-4'").doesNotContain("'bad-\\xe9-5'").contains("and 3 more");
    assertThat(h.server.requests()).isEmpty();
  }

  @Test
  void theLongestKeyAnInvalidationCarriesIsSent() {
    // Given: the wire grammar's longest tag, well within Fastly's 1,024 bytes
    FastlyPurger purger = h.purger().purgePaths(false).build();
    String key = "k".repeat(dev.fanout.WireContract.MAX_TAG_LENGTH);

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.ofTags(key)));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(h.server.allKeys()).containsExactly(key);
  }

  @Test
  void softPurgeOffSendsNoSoftPurgeHeader() {
    // Given
    FastlyPurger purger = h.purger().softPurge(false).build();

    // When
    Harness.join(purger.purge(Invalidation.builder().tag("post:42").path("/a").build()));

    // Then: neither the key purge nor the URL purge is soft
    assertThat(h.server.requests()).hasSize(2)
        .allSatisfy(r -> assertThat(r.header("Fastly-Soft-Purge")).isNull());
  }

  @Test
  void pathsAreIgnoredWhenPathPurgesAreOff() {
    // Given
    FastlyPurger purger = h.purger().purgePaths(false).build();

    // When
    PurgeResult onlyPaths = Harness.join(purger.purge(Invalidation.ofPaths("/a", "/b/*")));
    PurgeResult mixed =
        Harness.join(purger.purge(Invalidation.builder().path("/a").tag("t").build()));

    // Then
    assertThat(onlyPaths.isSuccess()).isTrue();
    assertThat(onlyPaths.requests()).isZero();
    assertThat(mixed.requests()).isEqualTo(1);
    Set<String> paths = new HashSet<>();
    h.server.requests().forEach(r -> paths.add(r.rawPath()));
    assertThat(paths).containsExactly("/service/SU1Z0isx/purge");
  }

  @Test
  void theDefaultClientSchedulerAndClockWorkEndToEnd() {
    // Given: only what a user sets, plus the loopback base URI; the first answer is a 503
    FastlyPurger purger = FastlyPurger.builder()
        .serviceId(FakeFastly.SERVICE_ID)
        .apiToken(FakeFastly.TOKEN)
        .host("www.example.com")
        .baseUri(h.server.baseUri())
        .build();
    h.server.enqueue(FakeFastly.status(503, ""));

    // When: retried on the default scheduler after a real (at most 100 ms) backoff
    PurgeResult result = Harness.join(
        purger.purge(Invalidation.builder().tag("post:42").path("/blog/hello").build()));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(3);
    assertThat(h.server.requests()).allSatisfy(r -> {
      assertThat(r.protocol()).isEqualTo("HTTP/1.1");
      assertThat(r.header("Upgrade")).isNull();
    });
  }
}
