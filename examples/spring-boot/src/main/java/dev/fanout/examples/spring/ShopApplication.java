package dev.fanout.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cache.annotation.EnableCaching;

/**
 * A shop backend: posts in a database, cached per replica with {@code @Cacheable}, updated in a
 * transaction that invalidates every replica's cache and then the CDN through the fanout starter
 * ({@code application.yml}). Every replica runs the same application: the one that takes an update
 * sends the invalidation to all of them (itself included), and each receives it on {@code
 * /api/revalidate}.
 */
@SpringBootApplication
@EnableCaching
public class ShopApplication {
  public static void main(String[] args) {
    SpringApplication.run(ShopApplication.class, args);
  }
}
