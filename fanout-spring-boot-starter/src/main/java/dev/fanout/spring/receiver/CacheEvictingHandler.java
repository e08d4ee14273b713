package dev.fanout.spring.receiver;

import dev.fanout.Invalidation;
import java.util.Collection;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;

/**
 * The default {@link InvalidationHandler}: evicts the entries of the application's Spring {@link
 * CacheManager} that an invalidation names, as {@link FanoutReceiverProperties.Cache} describes.
 *
 * <table>
 *   <caption>From an invalidation to cache operations (separator {@code :})</caption>
 *   <tr><th>in the invalidation</th><th>what happens</th></tr>
 *   <tr><td>tag {@code posts:42}, a cache {@code posts} exists</td>
 *       <td>{@code posts.evictIfPresent(42)}, the key converted to {@code key-types.posts}</td></tr>
 *   <tr><td>tag {@code posts}</td><td>{@code posts.invalidate()} (when {@code clear-on-name})</td></tr>
 *   <tr><td>tag {@code post:42}, no cache {@code post}</td><td>nothing</td></tr>
 *   <tr><td>path {@code /posts/42}</td>
 *       <td>{@code pages.evictIfPresent("/posts/42")} with {@code path-cache: pages}; nothing
 *       otherwise</td></tr>
 * </table>
 *
 * <p>It uses {@link Cache#evictIfPresent(Object)} and {@link Cache#invalidate()}, which Spring
 * specifies as immediate (unlike {@code evict}, which a transactional or asynchronous cache may
 * defer), so the answer 200 means the entries are gone. A key that cannot be converted to the
 * cache's key type cannot be in the cache and is skipped. Caches are looked up among {@link
 * CacheManager#getCacheNames()} only, so an invalidation never creates a cache.
 *
 * @since 0.1
 */
public final class CacheEvictingHandler implements InvalidationHandler {
  private static final Logger LOG = LoggerFactory.getLogger(CacheEvictingHandler.class);

  private final CacheManager caches;
  private final FanoutReceiverProperties.Cache mapping;

  /**
   * Creates the handler.
   *
   * @param caches the application's cache manager
   * @param mapping how tags and paths map to caches and keys
   */
  public CacheEvictingHandler(CacheManager caches, FanoutReceiverProperties.Cache mapping) {
    this.caches = Objects.requireNonNull(caches, "caches");
    this.mapping = Objects.requireNonNull(mapping, "mapping");
  }

  @Override
  public void handle(Invalidation invalidation) {
    Collection<String> known = caches.getCacheNames();
    for (String tag : invalidation.tags()) {
      int sep = tag.indexOf(mapping.separator());
      if (sep < 0) {
        if (mapping.clearOnName()) {
          Cache cache = cache(tag, known);
          if (cache != null) {
            cache.invalidate();
          }
        }
        continue;
      }
      String name = tag.substring(0, sep);
      Cache cache = cache(name, known);
      if (cache != null) {
        Object key = key(name, tag.substring(sep + mapping.separator().length()));
        if (key != null) {
          cache.evictIfPresent(key);
        }
      }
    }
    if (mapping.pathCache() != null && !mapping.pathCache().isBlank()) {
      Cache pages = cache(mapping.pathCache(), known);
      if (pages != null) {
        for (String path : invalidation.paths()) {
          pages.evictIfPresent(path);
        }
      }
    }
  }

  private Cache cache(String name, Collection<String> known) {
    if (!known.contains(name) || (!mapping.names().isEmpty() && !mapping.names().contains(name))) {
      return null;
    }
    return caches.getCache(name);
  }

  private Object key(String cache, String raw) {
    FanoutReceiverProperties.KeyType type =
        mapping.keyTypes().getOrDefault(cache, FanoutReceiverProperties.KeyType.STRING);
    try {
      switch (type) {
        case LONG:
          return Long.valueOf(raw);
        case INTEGER:
          return Integer.valueOf(raw);
        case UUID:
          return UUID.fromString(raw);
        default:
          return raw;
      }
    } catch (IllegalArgumentException e) {
      // Not of the cache's key type, so no entry can have it.
      LOG.debug("tag key for cache {} is not a {}; nothing to evict", cache, type);
      return null;
    }
  }

  @Override
  public String toString() {
    return "CacheEvictingHandler[" + mapping + "]";
  }
}
