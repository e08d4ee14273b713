package dev.fanout.spring.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Invalidation;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.cache.concurrent.ConcurrentMapCacheManager;

/** The mapping from tags and paths to cache operations, on a real Spring cache manager. */
class CacheEvictingHandlerTest {
  private static FanoutReceiverProperties.Cache mapping(boolean clearOnName, String pathCache, Set<String> names,
      Map<String, FanoutReceiverProperties.KeyType> types) {
    return new FanoutReceiverProperties.Cache(true, ":", clearOnName, pathCache, names, types);
  }

  private static ConcurrentMapCacheManager caches() {
    ConcurrentMapCacheManager m = new ConcurrentMapCacheManager("posts", "users", "pages");
    m.getCache("posts").put(42L, "post 42");
    m.getCache("posts").put(7L, "post 7");
    m.getCache("users").put(UUID.fromString("00000000-0000-0000-0000-000000000001"), "ann");
    m.getCache("users").put("plain", "bob");
    m.getCache("pages").put("/posts/42", "<html>");
    return m;
  }

  @Test
  void keysAreConvertedToTheCachesKeyType() {
    ConcurrentMapCacheManager m = caches();
    new CacheEvictingHandler(m, mapping(true, null, Set.of(), Map.of(
        "posts", FanoutReceiverProperties.KeyType.LONG, "users", FanoutReceiverProperties.KeyType.UUID)))
        .handle(Invalidation.builder().tag("posts:42").tag("users:00000000-0000-0000-0000-000000000001")
            .tag("posts:not-a-number").build());
    assertThat(m.getCache("posts").get(42L)).isNull();
    assertThat(m.getCache("posts").get(7L)).isNotNull();
    assertThat(m.getCache("users").get(UUID.fromString("00000000-0000-0000-0000-000000000001"))).isNull();
    assertThat(m.getCache("users").get("plain")).isNotNull();
  }

  @Test
  void aStringKeyDoesNotMatchALongKey() {
    ConcurrentMapCacheManager m = caches();
    new CacheEvictingHandler(m, mapping(true, null, Set.of(), Map.of()))
        .handle(Invalidation.builder().tag("posts:42").build());
    assertThat(m.getCache("posts").get(42L)).as("why key-types exists").isNotNull();
  }

  @Test
  void aCacheNameClearsOnlyWhenAllowedAndPathsOnlyWithAPathCache() {
    ConcurrentMapCacheManager m = caches();
    new CacheEvictingHandler(m, mapping(false, null, Set.of(), Map.of()))
        .handle(Invalidation.builder().tag("posts").path("/posts/42").build());
    assertThat(m.getCache("posts").get(42L)).isNotNull();
    assertThat(m.getCache("pages").get("/posts/42")).isNotNull();

    new CacheEvictingHandler(m, mapping(true, "pages", Set.of(), Map.of()))
        .handle(Invalidation.builder().tag("posts").path("/posts/42").build());
    assertThat(m.getCache("posts").get(42L)).isNull();
    assertThat(m.getCache("posts").get(7L)).isNull();
    assertThat(m.getCache("pages").get("/posts/42")).isNull();
  }

  @Test
  void onlyTheNamedCachesAndOnlyExistingOnesAreTouched() {
    ConcurrentMapCacheManager m = caches();
    new CacheEvictingHandler(m, mapping(true, null, Set.of("users"), Map.of()))
        .handle(Invalidation.builder().tag("posts").tag("users:plain").tag("orders").tag("orders:1").build());
    assertThat(m.getCache("posts").get(42L)).isNotNull();
    assertThat(m.getCache("users").get("plain")).isNull();
    assertThat(m.getCacheNames()).containsExactlyInAnyOrder("posts", "users", "pages");
  }
}
