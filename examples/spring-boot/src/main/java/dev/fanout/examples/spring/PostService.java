package dev.fanout.examples.spring;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.spring.TransactionalInvalidator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Reads posts through this replica's cache and updates them. The cache key of {@code posts} is
 * the post id (a {@code Long}), so the tag {@code posts:<id>} evicts it on every replica
 * ({@code fanout.receiver.cache.key-types.posts: long}).
 */
@Service
public class PostService {
  private final PostRepository posts;
  private final TransactionalInvalidator invalidations;
  private final AtomicLong loads = new AtomicLong();

  public PostService(PostRepository posts, TransactionalInvalidator invalidations) {
    this.posts = posts;
    this.invalidations = invalidations;
  }

  @Cacheable("posts")
  public Optional<Post> find(long id) {
    loads.incrementAndGet();
    return posts.find(id);
  }

  /**
   * Updates a post and, once the transaction committed, invalidates it everywhere: the {@code
   * posts} cache entry of every replica (tag {@code posts:<id>}), then the CDN's copy of {@code
   * /posts/<id>} (URL and surrogate key).
   */
  @Transactional
  public Optional<CompletableFuture<InvalidationReport>> update(long id, String title) {
    return posts.update(id, title).map(version -> invalidations.submit(Invalidation.builder()
        .path("/posts/" + id)
        .tag("posts:" + id)
        .entity("posts:" + id, version)
        .build()));
  }

  /** How many reads missed this replica's cache. */
  public long loads() {
    return loads.get();
  }
}
