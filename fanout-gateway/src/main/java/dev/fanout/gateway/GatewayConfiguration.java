package dev.fanout.gateway;

import com.zaxxer.hikari.HikariDataSource;
import dev.fanout.Invalidator;
import dev.fanout.spi.Journal;
import dev.fanout.spring.FanoutConfigurationException;
import java.time.Clock;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Builds the gateway from {@link GatewayProperties}: the webhook sources, the {@link
 * InvalidationSink} on the starter's {@link Invalidator} (and journal, when configured), the
 * controller, and the journal's database when {@code spring.datasource.url} is set. A wrong value
 * stops the start with the starter's failure report naming the property.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GatewayProperties.class)
public class GatewayConfiguration {
  private static final Pattern HOOK_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final int MIN_HEADER_SECRET_LENGTH = 16;

  /** Creates the configuration; Spring instantiates it. */
  public GatewayConfiguration() {}

  /**
   * The clock of signature timestamps and statuses.
   *
   * @return the system clock in UTC
   */
  @Bean
  @ConditionalOnMissingBean(name = "gatewayClock")
  public Clock gatewayClock() {
    return Clock.systemUTC();
  }

  /**
   * The configured webhook sources, by endpoint name.
   *
   * @param p the properties
   * @param gatewayClock the clock
   * @return the sources; at least one
   */
  @Bean
  GatewaySources gatewaySources(GatewayProperties p, Clock gatewayClock) {
    Map<String, WebhookSource.Authenticated> sources = new LinkedHashMap<>();
    if (!p.wordpress().secrets().isEmpty()) {
      Authenticator auth = check("fanout.gateway.wordpress.secrets",
          "Standard Webhooks secrets, whsec_<base64 of 24 to 64 bytes>.",
          () -> new SignatureAuthenticator(p.wordpress().secrets(), gatewayClock, p.tolerance()));
      sources.put("wordpress", new WebhookSource.Authenticated(auth, new WordPressSource(
          mappings("fanout.gateway.wordpress.post-types", p.wordpress().postTypes()),
          mappings("fanout.gateway.wordpress.taxonomies", p.wordpress().taxonomies()))));
    }
    GatewayProperties.Strapi s = p.strapi();
    if (!s.secrets().isEmpty()) {
      Authenticator auth = headerSecret("fanout.gateway.strapi", s.header(), s.secrets());
      if (s.models().isEmpty()) {
        throw new FanoutConfigurationException("fanout.gateway.strapi.models", "is empty",
            "Map each Strapi model to its paths and tags, e.g. models.article.paths: "
                + "[\"/blog/{entry.slug}\"].");
      }
      sources.put("strapi", new WebhookSource.Authenticated(auth, new StrapiSource(new HashSet<>(s.events()),
          mappings("fanout.gateway.strapi.models", s.models()))));
    }
    p.hooks().forEach((name, hook) -> sources.put("hooks/" + name, hook(name, hook, p, gatewayClock)));
    if (sources.isEmpty()) {
      throw new FanoutConfigurationException("fanout.gateway",
          "configures no webhook source", "Set fanout.gateway.wordpress.secrets, "
              + "fanout.gateway.strapi.secrets, or a hook under fanout.gateway.hooks.");
    }
    return new GatewaySources(sources);
  }

  private static WebhookSource.Authenticated hook(String name, GatewayProperties.Hook h, GatewayProperties p,
      Clock clock) {
    String prefix = "fanout.gateway.hooks." + name;
    if (!HOOK_NAME.matcher(name).matches()) {
      throw new FanoutConfigurationException(prefix, "'" + name + "' is not a hook name",
          "1 to 63 characters of [a-z0-9-], starting with a letter or digit.");
    }
    boolean signed = !h.signingSecrets().isEmpty();
    boolean header = h.header() != null || !h.headerSecrets().isEmpty();
    if (signed == header) {
      throw new FanoutConfigurationException(prefix, signed ? "has both signing-secrets and a header"
          : "has no authentication", "Exactly one of signing-secrets (Standard Webhooks) or "
              + "header with header-secrets.");
    }
    Authenticator auth = signed
        ? check(prefix + ".signing-secrets", "Standard Webhooks secrets, whsec_<base64 of 24 to 64 bytes>.",
            () -> new SignatureAuthenticator(h.signingSecrets(), clock, p.tolerance()))
        : headerSecret(prefix, h.header(), h.headerSecrets());
    return new WebhookSource.Authenticated(auth, new GenericSource(name, template(prefix + ".model", h.model()),
        template(prefix + ".id", h.id()), template(prefix + ".updated-at", h.updatedAt()),
        template(prefix + ".event", h.event()), new HashSet<>(h.events()),
        mapping(prefix, new GatewayProperties.Mapping(h.paths(), h.tags()))));
  }

  private static Authenticator headerSecret(String prefix, String header, List<String> secrets) {
    if (header == null || header.isBlank() || !header.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ':')) {
      throw new FanoutConfigurationException(prefix + ".header", "is not a header name",
          "A header name such as Authorization or X-Webhook-Secret.");
    }
    for (String v : secrets) {
      if (v == null || v.length() < MIN_HEADER_SECRET_LENGTH) {
        // The value is never printed: only its length would help, and even that is left out.
        throw new FanoutConfigurationException(prefix + (prefix.contains("hooks.") ? ".header-secrets"
            : ".secrets"), "holds a value shorter than " + MIN_HEADER_SECRET_LENGTH + " characters",
            "Random values of at least " + MIN_HEADER_SECRET_LENGTH + " characters, e.g. "
                + "'Bearer ' followed by openssl rand -base64 32.");
      }
    }
    if (secrets.isEmpty()) {
      throw new FanoutConfigurationException(prefix + ".header-secrets", "is empty",
          "The header's accepted values.");
    }
    return new HeaderSecretAuthenticator(header, secrets);
  }

  private static Map<String, Mapping> mappings(String prefix, Map<String, GatewayProperties.Mapping> in) {
    Map<String, Mapping> out = new LinkedHashMap<>();
    in.forEach((k, m) -> out.put(k, mapping(prefix + "." + k, m)));
    return out;
  }

  private static Mapping mapping(String prefix, GatewayProperties.Mapping m) {
    return check(prefix, "Path and tag templates such as /posts/{entry.slug} and post:{entry.id}, "
        + "at least one.", () -> Mapping.of(m.paths(), m.tags()));
  }

  private static Template template(String property, String text) {
    return text == null ? null : check(property, "A template such as {entry.id} or {/sys/id}.",
        () -> Template.parse(text));
  }

  private static <T> T check(String property, String allowed, Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw new FanoutConfigurationException(property, e.getMessage(), allowed, e);
    }
  }

  /**
   * Where reports are recorded for the status endpoint.
   *
   * @return two daemon threads
   */
  @Bean(destroyMethod = "shutdown")
  public ExecutorService gatewayRecorder() {
    return Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "fanout-gateway-recorder");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * The sink: the starter's invalidator, durable when there is a journal.
   *
   * @param p the properties
   * @param invalidator the starter's invalidator
   * @param journal the starter's journal, if any
   * @param gatewayClock the clock
   * @param gatewayRecorder where reports are recorded
   * @return the sink
   */
  @Bean
  public InvalidationSink invalidationSink(GatewayProperties p, ObjectProvider<Invalidator> invalidator,
      ObjectProvider<Journal> journal, Clock gatewayClock, ExecutorService gatewayRecorder) {
    Invalidator inv = invalidator.getIfAvailable();
    if (inv == null) {
      throw new FanoutConfigurationException("fanout.stages", "is empty",
          "List the stages the gateway drives, inner tiers first and the CDN last (see "
              + "fanout-gateway/k8s/config/).");
    }
    if (p.recentInvalidations() < 1 || p.recentInvalidations() > 1_000_000) {
      throw new FanoutConfigurationException("fanout.gateway.recent-invalidations",
          "is " + p.recentInvalidations(), "1 to 1000000.");
    }
    return new InvalidationSink(inv, journal.getIfAvailable() != null, gatewayClock,
        p.recentInvalidations(), gatewayRecorder);
  }

  /**
   * The HTTP interface.
   *
   * @param p the properties
   * @param sources the sources
   * @param sink the sink
   * @return the controller
   */
  @Bean
  GatewayController gatewayController(GatewayProperties p, GatewaySources sources,
      InvalidationSink sink) {
    if (p.maxBodyBytes() < 1024 || p.maxBodyBytes() > 16 * 1024 * 1024) {
      throw new FanoutConfigurationException("fanout.gateway.max-body-bytes",
          "is " + p.maxBodyBytes(), "1024 to 16777216.");
    }
    if (p.replayCacheSize() < 1) {
      throw new FanoutConfigurationException("fanout.gateway.replay-cache-size",
          "is " + p.replayCacheSize(), "At least 1.");
    }
    if (p.tolerance().isNegative() || p.tolerance().isZero()) {
      throw new FanoutConfigurationException("fanout.gateway.tolerance",
          "is " + p.tolerance(), "A positive duration, e.g. 5m.");
    }
    return new GatewayController(sources.all(), sink, p.maxBodyBytes(), p.replayCacheSize());
  }

  /**
   * The configured webhook sources (a holder, so that they are one bean).
   *
   * @param all by endpoint name
   */
  record GatewaySources(Map<String, WebhookSource.Authenticated> all) {}

  /**
   * The journal's database, only when {@code spring.datasource.url} is set (Spring Boot's own
   * data source configuration is excluded, because without a URL it would fail to start rather
   * than run without a journal).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = "spring.datasource", name = "url")
  @EnableConfigurationProperties(DataSourceProperties.class)
  public static class Database {
    /** Creates the configuration; Spring instantiates it. */
    public Database() {}

    /**
     * A HikariCP pool from {@code spring.datasource.*} and {@code spring.datasource.hikari.*}.
     *
     * @param properties the data source properties
     * @return the pool
     */
    @Bean
    @ConfigurationProperties("spring.datasource.hikari")
    public HikariDataSource dataSource(DataSourceProperties properties) {
      return properties.initializeDataSourceBuilder().type(HikariDataSource.class).build();
    }
  }
}
