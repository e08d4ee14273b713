package dev.fanout.spring.receiver;

import dev.fanout.WireContract;
import dev.fanout.receiver.InvalidationReceiver;
import static dev.fanout.spring.internal.Settings.get;
import static dev.fanout.spring.internal.Settings.set;

import dev.fanout.spring.FanoutConfigurationException;
import java.util.List;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cache.CacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.util.ClassUtils;
import org.springframework.web.servlet.function.RequestPredicates;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * Registers the receiver endpoint ({@code fanout.receiver.*}, {@link FanoutReceiverProperties}) in
 * a servlet Spring MVC application when {@code fanout.receiver.enabled} is true.
 *
 * <ul>
 *   <li>An {@link InvalidationReceiver} bean of the application's own wins; otherwise one is built
 *       from the properties, running the {@link InvalidationHandler} bean.
 *   <li>An {@link InvalidationHandler} bean of the application's own wins; otherwise the handler is
 *       a {@link CacheEvictingHandler} over the application's {@link CacheManager}. With neither a
 *       handler nor a cache manager the application does not start.
 *   <li>The endpoint answers every method at the path (405 but for POST), with the receiver's status
 *       and JSON body. With fanout-micrometer and an {@code ObservationRegistry}, each request is an
 *       observation that continues the sender's trace.
 * </ul>
 *
 * @since 0.1
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.autoconfigure.cache.CacheAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration",
      // The same, where Spring Boot 4 moved them (names that do not exist are ignored).
      "org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration",
      "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"
    })
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(RouterFunction.class)
@ConditionalOnProperty(prefix = "fanout.receiver", name = "enabled", havingValue = "true")
@EnableConfigurationProperties(FanoutReceiverProperties.class)
public class FanoutReceiverAutoConfiguration {
  private static final String OBSERVED_RECEIVER = "dev.fanout.micrometer.ObservedReceiver";
  private static final String OBSERVATION_REGISTRY = "io.micrometer.observation.ObservationRegistry";

  /** Creates the configuration; Spring Boot instantiates it. */
  public FanoutReceiverAutoConfiguration() {}

  /**
   * The receiver the properties describe.
   *
   * @param properties the receiver properties
   * @param handlers the application's handler, if any
   * @param caches the application's cache manager, if any
   * @return the receiver
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public InvalidationReceiver fanoutInvalidationReceiver(FanoutReceiverProperties properties,
      ObjectProvider<InvalidationHandler> handlers, ObjectProvider<CacheManager> caches) {
    String p = "fanout.receiver";
    InvalidationReceiver.Builder b = InvalidationReceiver.builder();
    if (properties.secrets().isEmpty()) {
      throw new FanoutConfigurationException(p + ".secrets", "is required when " + p + ".enabled is true",
          "Set it to the senders' Standard Webhooks secret, e.g. secrets: ${FANOUT_SECRET} (several, "
              + "comma-separated or as a list, while a secret is rotated).");
    }
    for (int i = 0; i < properties.secrets().size(); i++) {
      String s = properties.secrets().get(i);
      set(p + ".secrets[" + i + "]", "A Standard Webhooks secret: whsec_ followed by the base64 of 24 "
          + "to 64 bytes (at most 8 secrets).", () -> b.secret(s));
    }
    InvalidationHandler handler = handler(properties, handlers, caches);
    b.handler(inv -> {
      try {
        handler.handle(inv);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("handler failed", e);
      }
    });
    if (properties.tolerance() != null) {
      set(p + ".tolerance", "1s to 1h.", () -> b.tolerance(properties.tolerance()));
    }
    if (properties.maxBodyBytes() != null) {
      set(p + ".max-body-bytes", "256 to 16777216 (not below " + WireContract.MAX_BODY_BYTES
          + " for HttpNotifier's requests).", () -> b.maxBodyBytes(properties.maxBodyBytes()));
    }
    if (properties.maxPaths() != null) {
      set(p + ".max-paths", "1 to 100000.", () -> b.maxPaths(properties.maxPaths()));
    }
    if (properties.maxTags() != null) {
      set(p + ".max-tags", "1 to 100000.", () -> b.maxTags(properties.maxTags()));
    }
    if (properties.replayCacheSize() != null) {
      set(p + ".replay-cache-size", "1 to 1000000.", () -> b.replayCacheSize(properties.replayCacheSize()));
    }
    if (properties.handlerTimeout() != null) {
      set(p + ".handler-timeout", "A positive duration, e.g. 30s.", () -> b.handlerTimeout(properties.handlerTimeout()));
    }
    List<String> prefixes = properties.allowedPathPrefixes();
    for (int i = 0; i < prefixes.size(); i++) {
      String prefix = prefixes.get(i);
      set(p + ".allowed-path-prefixes[" + i + "]", "A plain absolute path prefix, e.g. /blog/.",
          () -> b.allowedPathPrefix(prefix));
    }
    return get(p, "A complete receiver configuration.", b::build);
  }

  private static InvalidationHandler handler(FanoutReceiverProperties properties,
      ObjectProvider<InvalidationHandler> handlers, ObjectProvider<CacheManager> caches) {
    InvalidationHandler own = handlers.getIfUnique();
    if (own != null) {
      return own;
    }
    FanoutReceiverProperties.Cache mapping = properties.cache();
    CacheManager cacheManager = caches.getIfUnique();
    if (!mapping.enabled() || cacheManager == null) {
      throw new FanoutConfigurationException("fanout.receiver.cache.enabled",
          mapping.enabled() ? "the application has no CacheManager to evict from"
              : "is false and the application has no InvalidationHandler bean",
          "Define an InvalidationHandler bean (dev.fanout.spring.receiver) that makes this replica "
              + "fresh, or enable caching (@EnableCaching) for the default cache eviction.");
    }
    if (mapping.separator() == null || mapping.separator().isEmpty()) {
      throw new FanoutConfigurationException("fanout.receiver.cache.separator", "is empty",
          "One or more characters that separate a cache's name from a key in a tag, e.g. ':'.");
    }
    return new CacheEvictingHandler(cacheManager, mapping);
  }

  /**
   * The route that serves the receiver at {@code fanout.receiver.path}.
   *
   * @param properties the receiver properties
   * @param receiver the receiver
   * @param beans to find an observation registry, whose class is optional
   * @return the route
   */
  @Bean
  public RouterFunction<ServerResponse> fanoutReceiverRoute(FanoutReceiverProperties properties,
      InvalidationReceiver receiver, BeanFactory beans) {
    String path = properties.path();
    String problem = path == null ? "is not set" : WireContract.pathProblem(path);
    if (problem != null || path.contains("?")) {
      throw new FanoutConfigurationException("fanout.receiver.path",
          problem != null ? problem : "has a query", "A plain absolute path, e.g. /api/revalidate.");
    }
    int maxBody = properties.maxBodyBytes() != null ? properties.maxBodyBytes()
        : InvalidationReceiver.DEFAULT_MAX_BODY_BYTES;
    ReceiverEndpoint.Call call = receiver::handle;
    ClassLoader cl = FanoutReceiverAutoConfiguration.class.getClassLoader();
    if (ClassUtils.isPresent(OBSERVED_RECEIVER, cl) && ClassUtils.isPresent(OBSERVATION_REGISTRY, cl)) {
      // Looked up by class name so that this class loads without micrometer-observation.
      Object registry = beans.getBeanProvider(ClassUtils.resolveClassName(OBSERVATION_REGISTRY, cl))
          .getIfUnique();
      if (registry != null) {
        call = ObservedReceivers.observed(receiver, registry);
      }
    }
    ReceiverEndpoint endpoint = new ReceiverEndpoint(receiver, call, maxBody);
    return RouterFunctions.route(RequestPredicates.path(path), endpoint::handle);
  }

}
