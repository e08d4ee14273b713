package dev.fanout.examples.spring;

import dev.fanout.spring.receiver.CacheEvictingHandler;
import dev.fanout.spring.receiver.FanoutReceiverProperties;
import dev.fanout.spring.receiver.InvalidationHandler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.cache.CacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * How to plug in a handler of your own: this one keeps the starter's cache eviction and records
 * when it finished ({@link System#nanoTime()}), so the demo and its test can show that the CDN was
 * purged only after every replica's cache was evicted. Added as an extra source by {@link
 * ThreeReplicas}; the shop itself runs with the default handler.
 */
@Configuration(proxyBeanMethods = false)
public class EvictionLog {
  private final List<Long> evictedNanos = new CopyOnWriteArrayList<>();

  @Bean
  InvalidationHandler loggingEviction(CacheManager caches, FanoutReceiverProperties properties) {
    CacheEvictingHandler evict = new CacheEvictingHandler(caches, properties.cache());
    return invalidation -> {
      evict.handle(invalidation);
      evictedNanos.add(System.nanoTime());
    };
  }

  public List<Long> evictedNanos() {
    return List.copyOf(evictedNanos);
  }
}
