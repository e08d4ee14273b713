package dev.fanout.spring;

import static dev.fanout.spring.internal.Settings.get;
import static dev.fanout.spring.internal.Settings.required;
import static dev.fanout.spring.internal.Settings.set;

import dev.fanout.Endpoint;
import dev.fanout.Gate;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.catchup.CatchUpPolicy;
import dev.fanout.http.HttpNotifier;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.Purger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.NoSuchBeanDefinitionException;

/**
 * Builds the stages of {@code fanout.stages[*]}, checking every value while the application
 * starts. Each refusal names its property. What the stages own (notifiers, watches, clients built
 * here) is collected so that it can be closed after the invalidator.
 */
final class StageFactory {
  static final String GATES = "One of all, proceed, quorum(<fraction in (0, 1]>), at-least(<n >= 1>).";
  private static final Pattern QUORUM = Pattern.compile("quorum\\(\\s*([0-9.]+)\\s*\\)");
  private static final Pattern AT_LEAST = Pattern.compile("at-?least\\(\\s*([0-9]+)\\s*\\)");

  private final BeanFactory beans;
  private final List<HttpNotifierCustomizer> notifierCustomizers;
  private final List<StageCustomizer> stageCustomizers;

  StageFactory(BeanFactory beans, List<HttpNotifierCustomizer> notifierCustomizers,
      List<StageCustomizer> stageCustomizers) {
    this.beans = beans;
    this.notifierCustomizers = List.copyOf(notifierCustomizers);
    this.stageCustomizers = List.copyOf(stageCustomizers);
  }

  /** The built stages and what they own. */
  record Built(List<Stage> stages, List<AutoCloseable> resources) {}

  Built build(List<StageProperties> stages) {
    List<Stage> out = new ArrayList<>();
    List<AutoCloseable> resources = new ArrayList<>();
    Set<String> names = new HashSet<>();
    try {
      for (int i = 0; i < stages.size(); i++) {
        String p = "fanout.stages[" + i + "]";
        StageProperties s = stages.get(i);
        Stage stage = stage(p, s, resources);
        for (StageCustomizer c : stageCustomizers) {
          stage = java.util.Objects.requireNonNull(c.customize(stage),
              "StageCustomizer " + c + " returned null");
        }
        if (!names.add(stage.name())) {
          throw new FanoutConfigurationException(p + ".name",
              "another stage is already named '" + stage.name() + "'",
              "Give every stage its own name.");
        }
        out.add(stage);
      }
    } catch (RuntimeException e) {
      closeAll(resources);
      throw e;
    }
    return new Built(List.copyOf(out), List.copyOf(resources));
  }

  static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        // Closing is best effort: one resource's failure must not keep the others open.
      }
    }
  }

  private Stage stage(String p, StageProperties s, List<AutoCloseable> resources) {
    String name = required(p + ".name", s.name(), "Name the stage: 1 to 64 characters of [A-Za-z0-9._-].");
    boolean purges = s.cloudfront() != null || s.fastly() != null || s.cloudflare() != null
        || (s.purgerBeans() != null && !s.purgerBeans().isEmpty());
    boolean fansOut = s.discovery() != null;
    if (purges == fansOut) {
      throw new FanoutConfigurationException(p,
          purges ? "has both a discovery and purgers" : "has neither a discovery nor a purger",
          "A stage is either a fan-out stage (discovery with endpoints, dns or kubernetes, and a "
              + "notifier) or a purge stage (cloudfront, fastly, cloudflare or purger-beans).");
    }
    return fansOut ? fanout(p, name, s, resources) : purge(p, name, s, resources);
  }

  private Stage fanout(String p, String name, StageProperties s, List<AutoCloseable> resources) {
    Discovery discovery = discovery(p + ".discovery", s.discovery(), resources);
    HttpNotifier notifier = notifier(p + ".notifier", name, s.notifier());
    resources.add(notifier);
    Stage.Fanout stage = get(p + ".name", "1 to 64 characters of [A-Za-z0-9._-].",
        () -> Stage.fanout(name, discovery, notifier));
    if (s.gate() != null) {
      Gate gate = gate(p + ".gate", s.gate());
      stage = stage.gate(gate);
    }
    if (s.minTargets() != null) {
      Stage.Fanout st = stage;
      stage = get(p + ".min-targets", "0 or more.", () -> st.minTargets(s.minTargets()));
    }
    if (s.concurrency() != null) {
      Stage.Fanout st = stage;
      stage = get(p + ".concurrency", "1 to 100000.", () -> st.concurrency(s.concurrency()));
    }
    if (s.attemptTimeout() != null) {
      Stage.Fanout st = stage;
      stage = get(p + ".attempt-timeout", "A positive duration, e.g. 2s.",
          () -> st.attemptTimeout(s.attemptTimeout()));
    }
    if (s.retry() != null) {
      RetryPolicy policy = retry(p + ".retry", s.retry(), RetryPolicy.defaults());
      stage = stage.retry(policy);
    }
    if (s.states() != null) {
      Stage.Fanout st = stage;
      stage = get(p + ".states", "One or more of ready, not-ready, serving, terminating.",
          () -> st.states(s.states().toArray(new Endpoint.State[0])));
    }
    if (s.recheck() != null) {
      stage = stage.recheck(s.recheck());
    }
    if (s.catchUp() != null) {
      stage = stage.catchUp(catchUp(p + ".catch-up", s.catchUp()));
    }
    return stage;
  }

  /** The policy of {@code catch-up.*}: the window's defaults, each knob set checked by name. */
  static CatchUpPolicy catchUp(String p, StageProperties.CatchUp c) {
    Duration window = required(p + ".window", c.window(),
        "A positive duration, e.g. 24h: how far back the history sent to a replica reaches.");
    CatchUpPolicy policy = get(p + ".window", "A positive duration, e.g. 24h.", () -> CatchUpPolicy.of(window));
    if (c.settle() != null) {
      CatchUpPolicy base = policy;
      policy = get(p + ".settle", "Zero or a positive duration, e.g. 1s.", () -> base.withSettle(c.settle()));
    }
    if (c.maxConcurrent() != null) {
      CatchUpPolicy base = policy;
      policy = get(p + ".max-concurrent", "1 to 1024.", () -> base.withConcurrency(c.maxConcurrent()));
    }
    if (c.retry() != null) {
      policy = policy.withRetry(retry(p + ".retry", c.retry(), CatchUpPolicy.DEFAULT_RETRY));
    }
    if (c.poll() != null) {
      CatchUpPolicy base = policy;
      policy = get(p + ".poll", "A positive duration, e.g. 5s.", () -> base.withPoll(c.poll()));
    }
    if (c.clockSkew() != null) {
      CatchUpPolicy base = policy;
      policy = get(p + ".clock-skew", "Zero or a positive duration, e.g. 2s.",
          () -> base.withClockSkew(c.clockSkew()));
    }
    return policy;
  }

  private Stage purge(String p, String name, StageProperties s, List<AutoCloseable> resources) {
    for (Map.Entry<String, Object> e : fanoutOnly(s).entrySet()) {
      if (e.getValue() != null) {
        throw new FanoutConfigurationException(p + "." + e.getKey(),
            "applies only to fan-out stages, and this is a purge stage",
            "Remove it, or move it to a stage with a discovery.");
      }
    }
    List<Purger> purgers = new ArrayList<>();
    if (s.cloudfront() != null) {
      requireModule(p + ".cloudfront", "dev.fanout.cloudfront.CloudFrontPurger", "fanout-cloudfront");
      purgers.add(CloudFrontPurgers.build(p + ".cloudfront", s.cloudfront(), beans, resources));
    }
    if (s.fastly() != null) {
      requireModule(p + ".fastly", "dev.fanout.fastly.FastlyPurger", "fanout-fastly");
      purgers.add(FastlyPurgers.build(p + ".fastly", s.fastly()));
    }
    if (s.cloudflare() != null) {
      requireModule(p + ".cloudflare", "dev.fanout.cloudflare.CloudflarePurger", "fanout-cloudflare");
      purgers.add(CloudflarePurgers.build(p + ".cloudflare", s.cloudflare()));
    }
    List<String> beanNames = s.purgerBeans() == null ? List.of() : s.purgerBeans();
    for (int i = 0; i < beanNames.size(); i++) {
      purgers.add(purgerBean(p + ".purger-beans[" + i + "]", beanNames.get(i)));
    }
    Stage.Purge stage = get(p + ".name", "1 to 64 characters of [A-Za-z0-9._-].",
        () -> Stage.purge(name, purgers));
    if (s.gate() != null) {
      stage = stage.gate(gate(p + ".gate", s.gate()));
    }
    return stage;
  }

  private void requireModule(String property, String className, String artifact) {
    ClassLoader cl = beans instanceof org.springframework.beans.factory.config.ConfigurableBeanFactory c
        && c.getBeanClassLoader() != null ? c.getBeanClassLoader() : StageFactory.class.getClassLoader();
    dev.fanout.spring.internal.Settings.requireModule(property, className, artifact, cl);
  }

  private static Map<String, Object> fanoutOnly(StageProperties s) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("notifier", s.notifier());
    m.put("min-targets", s.minTargets());
    m.put("concurrency", s.concurrency());
    m.put("attempt-timeout", s.attemptTimeout());
    m.put("retry", s.retry());
    m.put("states", s.states());
    m.put("recheck", s.recheck());
    m.put("catch-up", s.catchUp());
    return m;
  }

  private Purger purgerBean(String p, String beanName) {
    try {
      return beans.getBean(beanName, Purger.class);
    } catch (NoSuchBeanDefinitionException e) {
      throw new FanoutConfigurationException(p, "no Purger bean is named '" + beanName + "'",
          "Name a bean of type dev.fanout.spi.Purger defined by the application.", e);
    } catch (org.springframework.beans.factory.BeanNotOfRequiredTypeException e) {
      throw new FanoutConfigurationException(p, "the bean '" + beanName + "' is not a Purger",
          "Name a bean of type dev.fanout.spi.Purger.", e);
    }
  }

  private Discovery discovery(String p, StageProperties.Discovery d, List<AutoCloseable> resources) {
    int kinds = (d.endpoints() != null ? 1 : 0) + (d.dns() != null ? 1 : 0) + (d.kubernetes() != null ? 1 : 0);
    if (kinds != 1) {
      throw new FanoutConfigurationException(p,
          kinds == 0 ? "names no way to find replicas" : "names more than one way to find replicas",
          "Set exactly one of " + p + ".endpoints (host:port list), " + p + ".dns or " + p + ".kubernetes.");
    }
    if (d.endpoints() != null) {
      if (d.endpoints().isEmpty()) {
        throw new FanoutConfigurationException(p + ".endpoints", "is empty", "List one or more host:port.");
      }
      List<Endpoint> endpoints = new ArrayList<>();
      for (int i = 0; i < d.endpoints().size(); i++) {
        String e = d.endpoints().get(i);
        endpoints.add(get(p + ".endpoints[" + i + "]",
            "host:port, e.g. 10.0.3.7:3000, web-0.web:3000 or [fd00::7]:3000.", () -> Endpoint.parse(e)));
      }
      return Discovery.of(endpoints);
    }
    requireModule(d.dns() != null ? p + ".dns" : p + ".kubernetes", "dev.fanout.k8s.DnsDiscovery", "fanout-k8s");
    if (d.dns() != null) {
      return K8sDiscoveries.dns(p + ".dns", d.dns());
    }
    Discovery k = K8sDiscoveries.kubernetes(p + ".kubernetes", d.kubernetes());
    if (k instanceof AutoCloseable c) {
      resources.add(c);
    }
    return k;
  }

  private HttpNotifier notifier(String p, String stage, StageProperties.Notifier n) {
    StageProperties.Notifier cfg = n != null ? n
        : new StageProperties.Notifier(null, null, null, null, null, null, null, null);
    StageProperties.Preset preset = cfg.preset() != null ? cfg.preset() : StageProperties.Preset.SIGNED_POST;
    HttpNotifier.Builder b;
    switch (preset) {
      case VARNISH_PURGE:
        b = HttpNotifier.varnishPurge();
        break;
      case VARNISH_XKEY:
        b = HttpNotifier.varnishXkey();
        break;
      default:
        b = HttpNotifier.builder();
        boolean unsigned = Boolean.TRUE.equals(cfg.unsigned());
        if (unsigned == (cfg.signingSecret() != null)) {
          throw new FanoutConfigurationException(p + ".signing-secret",
              unsigned ? "is set although unsigned is true" : "is required for the signed-post preset",
              "Set " + p + ".signing-secret to the receivers' Standard Webhooks secret "
                  + "(whsec_<base64 of 24 to 64 bytes>), e.g. ${FANOUT_SECRET}, or set " + p
                  + ".unsigned: true to send unsigned requests on purpose.");
        }
    }
    if (cfg.signingSecret() != null) {
      set(p + ".signing-secret", "A Standard Webhooks secret: whsec_ followed by the base64 of 24 to 64 bytes.",
          () -> b.signingSecret(cfg.signingSecret()));
    } else if (Boolean.TRUE.equals(cfg.unsigned())) {
      b.unsigned();
    }
    if (cfg.path() != null) {
      set(p + ".path", "An absolute path without control characters.", () -> b.path(cfg.path()));
    }
    if (cfg.port() != null) {
      set(p + ".port", "1 to 65535.", () -> b.port(cfg.port()));
    }
    if (cfg.https() != null) {
      b.https(cfg.https());
    }
    if (cfg.headers() != null) {
      for (Map.Entry<String, String> h : cfg.headers().entrySet()) {
        set(p + ".headers." + h.getKey(), "A header token name (not webhook-*) and a printable ASCII value.",
            () -> b.header(h.getKey(), h.getValue()));
      }
    }
    if (cfg.connectTimeout() != null) {
      set(p + ".connect-timeout", "A positive duration, e.g. 2s.", () -> b.connectTimeout(cfg.connectTimeout()));
    }
    for (HttpNotifierCustomizer c : notifierCustomizers) {
      c.customize(stage, b);
    }
    return get(p, "A complete notifier configuration.", b::build);
  }

  static Gate gate(String p, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.equals("all")) {
        return Gate.all();
      }
      if (v.equals("proceed")) {
        return Gate.proceed();
      }
      Matcher q = QUORUM.matcher(v);
      if (q.matches()) {
        return Gate.quorum(Double.parseDouble(q.group(1)));
      }
      Matcher a = AT_LEAST.matcher(v);
      if (a.matches()) {
        return Gate.atLeast(Integer.parseInt(a.group(1)));
      }
    } catch (IllegalArgumentException e) {
      throw new FanoutConfigurationException(p, e.getMessage(), GATES, e);
    }
    throw new FanoutConfigurationException(p, "'" + value + "' is not a gate", GATES);
  }

  /** The policy the properties give, each unset value taken from {@code d}. */
  static RetryPolicy retry(String p, StageProperties.Retry r, RetryPolicy d) {
    int attempts = r.maxAttempts() != null ? r.maxAttempts() : d.maxAttempts();
    Duration base = r.baseDelay() != null ? r.baseDelay() : d.baseDelay();
    Duration max = r.maxDelay() != null ? r.maxDelay() : d.maxDelay();
    return get(p, "max-attempts >= 1, base-delay > 0, max-delay >= base-delay.",
        () -> new RetryPolicy(attempts, base, max));
  }
}
