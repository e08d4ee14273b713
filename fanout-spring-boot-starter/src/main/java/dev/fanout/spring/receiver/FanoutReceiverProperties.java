package dev.fanout.spring.receiver;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code fanout.receiver.*} properties: an endpoint in the application's Spring MVC server that
 * receives the invalidations {@code HttpNotifier} sends, verifies them with fanout's {@code
 * InvalidationReceiver}, and evicts the application's own Spring caches. Unset values take the
 * receiver's own defaults.
 *
 * @param enabled Whether to register the endpoint (default false).
 * @param path The endpoint's path (default '/api/revalidate', the notifier's default).
 * @param secrets The Standard Webhooks secrets ('whsec_' and base64); a request passes with any
 *     of them, so a secret can be rotated. Required when enabled.
 * @param tolerance How far 'webhook-timestamp' may be from the clock (default 5m).
 * @param maxBodyBytes The largest body accepted (default 65536; not below it for 'HttpNotifier''s requests).
 * @param maxPaths The most paths one request may carry (default 1000).
 * @param maxTags The most tags one request may carry (default 1000).
 * @param replayCacheSize How many applied 'webhook-id's are remembered to recognise replays
 *     (default 10000).
 * @param handlerTimeout How long a request waits for the handler before answering 503 (default
 *     30s).
 * @param allowedPathPrefixes Accept only paths under these prefixes (default: any plain absolute
 *     path).
 * @param cache How invalidations map to the application's Spring caches (when no {@link
 *     InvalidationHandler} bean is defined).
 * @since 0.1
 */
@ConfigurationProperties("fanout.receiver")
public record FanoutReceiverProperties(
    @DefaultValue("false") boolean enabled,
    @DefaultValue("/api/revalidate") String path,
    List<String> secrets,
    Duration tolerance,
    Integer maxBodyBytes,
    Integer maxPaths,
    Integer maxTags,
    Integer replayCacheSize,
    Duration handlerTimeout,
    List<String> allowedPathPrefixes,
    @DefaultValue Cache cache) {

  /**
   * Normalises absent lists to empty ones.
   *
   * @param enabled see the record description
   * @param path see the record description
   * @param secrets see the record description
   * @param tolerance see the record description
   * @param maxBodyBytes see the record description
   * @param maxPaths see the record description
   * @param maxTags see the record description
   * @param replayCacheSize see the record description
   * @param handlerTimeout see the record description
   * @param allowedPathPrefixes see the record description
   * @param cache see the record description
   */
  public FanoutReceiverProperties {
    secrets = secrets == null ? List.of() : List.copyOf(secrets);
    allowedPathPrefixes = allowedPathPrefixes == null ? List.of() : List.copyOf(allowedPathPrefixes);
  }

  /**
   * Returns a description without the secrets.
   *
   * @return the description
   */
  @Override
  public String toString() {
    return "FanoutReceiverProperties[enabled=" + enabled + ", path=" + path + ", secrets="
        + secrets.size() + ", tolerance=" + tolerance + ", maxBodyBytes=" + maxBodyBytes
        + ", maxPaths=" + maxPaths + ", maxTags=" + maxTags + ", replayCacheSize="
        + replayCacheSize + ", handlerTimeout=" + handlerTimeout + ", allowedPathPrefixes="
        + allowedPathPrefixes + ", cache=" + cache + "]";
  }

  /**
   * How the default handler maps an invalidation to the application's Spring {@code CacheManager}.
   *
   * <ul>
   *   <li>A tag {@code <cache><separator><key>} (e.g. {@code posts:42}) evicts {@code key} from the
   *       cache {@code <cache>}, converted to the cache's key type.
   *   <li>A tag that is a cache's name (e.g. {@code posts}) clears that cache, when {@code
   *       clear-on-name} is true.
   *   <li>Each path is evicted, as a string key, from {@code path-cache} when it is set; otherwise
   *       paths are ignored.
   *   <li>Tags that name no cache the {@code CacheManager} knows (or not one of {@code names} when
   *       that is set) are ignored.
   * </ul>
   *
   * @param enabled Whether the default handler evicts caches (default true).
   * @param separator What separates a cache's name from a key in a tag (default ':').
   * @param clearOnName Whether a tag that is a cache's name clears the whole cache (default true).
   * @param pathCache The cache whose keys are paths (default: none, paths are ignored).
   * @param names The caches invalidations may touch (default: every cache the manager knows).
   * @param keyTypes The key type per cache name, to convert a tag's key to: 'string'
   *     (default), 'long', 'integer' or 'uuid'.
   * @since 0.1
   */
  public record Cache(
      @DefaultValue("true") boolean enabled,
      @DefaultValue(":") String separator,
      @DefaultValue("true") boolean clearOnName,
      String pathCache,
      Set<String> names,
      Map<String, KeyType> keyTypes) {

    /**
     * Normalises absent collections to empty ones.
     *
     * @param enabled see the record description
     * @param separator see the record description
     * @param clearOnName see the record description
     * @param pathCache see the record description
     * @param names see the record description
     * @param keyTypes see the record description
     */
    public Cache {
      names = names == null ? Set.of() : Set.copyOf(names);
      keyTypes = keyTypes == null ? Map.of() : Map.copyOf(keyTypes);
    }
  }

  /**
   * The type a tag's key is converted to before it is evicted, so that it equals the key Spring's
   * cache abstraction stored (for {@code @Cacheable("posts") Post find(long id)} the key is a
   * {@code Long}).
   *
   * @since 0.1
   */
  public enum KeyType {
    /** The key as it is in the tag. */
    STRING,
    /** {@link Long#valueOf(String)}. */
    LONG,
    /** {@link Integer#valueOf(String)}. */
    INTEGER,
    /** {@link java.util.UUID#fromString(String)}. */
    UUID
  }
}
