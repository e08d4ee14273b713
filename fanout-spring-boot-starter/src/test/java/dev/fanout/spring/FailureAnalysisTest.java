package dev.fanout.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.cache.CacheAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.support.SpringFactoriesLoader;

/** Wrong configuration stops the start, naming the property and what is allowed. */
@ExtendWith(OutputCaptureExtension.class)
class FailureAnalysisTest {
  private static final String STAGE = "fanout.stages[0]";
  private static final String NAME = STAGE + ".name=web";
  private static final String ENDPOINTS = STAGE + ".discovery.endpoints=127.0.0.2:3000";
  private static final String SIGNED = STAGE + ".notifier.signing-secret=" + Fixtures.SECRET;

  static Stream<Arguments> wrongConfigurations() {
    return Stream.of(
        bad("signed POST without a secret", STAGE + ".notifier.signing-secret", "unsigned: true", NAME, ENDPOINTS),
        bad("secret too short (and never printed)", STAGE + ".notifier.signing-secret", "24 to 64 bytes",
            NAME, ENDPOINTS, STAGE + ".notifier.signing-secret=whsec_c2hvcnQtc2VjcmV0"),
        bad("unknown gate", STAGE + ".gate", "quorum(<fraction", NAME, ENDPOINTS, SIGNED, STAGE + ".gate=most"),
        bad("quorum out of range", STAGE + ".gate", "at-least(<n >= 1>)", NAME, ENDPOINTS, SIGNED,
            STAGE + ".gate=quorum(1.5)"),
        bad("stage without discovery or purger", STAGE, "either a fan-out stage", NAME),
        bad("stage with discovery and purger", STAGE, "either a fan-out stage", NAME, ENDPOINTS, SIGNED,
            STAGE + ".purger-beans=x"),
        bad("stage name with a space", STAGE + ".name", "[A-Za-z0-9._-]", STAGE + ".name=web tier", ENDPOINTS, SIGNED),
        bad("no stage name", STAGE + ".name", "Name the stage", ENDPOINTS, SIGNED),
        bad("two stages of one name", "fanout.stages[1].name", "its own name", NAME, ENDPOINTS, SIGNED,
            "fanout.stages[1].name=web", "fanout.stages[1].discovery.endpoints=127.0.0.3:3000",
            "fanout.stages[1].notifier.unsigned=true"),
        bad("endpoint without a port", STAGE + ".discovery.endpoints[1]", "host:port", NAME, SIGNED,
            STAGE + ".discovery.endpoints=127.0.0.2:3000,127.0.0.3"),
        bad("two discoveries", STAGE + ".discovery", "exactly one of", NAME, ENDPOINTS, SIGNED,
            STAGE + ".discovery.dns.name=web.local.", STAGE + ".discovery.dns.port=3000"),
        bad("dns with neither port nor srv", STAGE + ".discovery.dns.port", "exactly one of", NAME, SIGNED,
            STAGE + ".discovery.dns.name=web.local."),
        bad("min-targets negative", STAGE + ".min-targets", "0 or more", NAME, ENDPOINTS, SIGNED,
            STAGE + ".min-targets=-1"),
        bad("retry delays reversed", STAGE + ".retry", "max-delay >= base-delay", NAME, ENDPOINTS, SIGNED,
            STAGE + ".retry.base-delay=2s", STAGE + ".retry.max-delay=1s"),
        bad("fan-out option on a purge stage", STAGE + ".attempt-timeout", "a stage with a discovery", NAME,
            STAGE + ".purger-beans=x", STAGE + ".attempt-timeout=1s"),
        bad("unknown purger bean", STAGE + ".purger-beans[0]", "dev.fanout.spi.Purger", NAME,
            STAGE + ".purger-beans=noSuchPurger"),
        bad("cloudflare without a plan", STAGE + ".cloudflare.plan", "free, pro, business, enterprise", NAME,
            STAGE + ".cloudflare.zone-id=023e105f4ecef8ad9ca31a8372d0c353",
            STAGE + ".cloudflare.account-id=01a7362d577a6c3019a474fd6f485823",
            STAGE + ".cloudflare.api-token=cf-token-never-printed"),
        bad("fastly without hosts for paths", STAGE + ".fastly.hosts", "purge-paths: false", NAME,
            STAGE + ".fastly.service-id=SU1Z0isx", STAGE + ".fastly.api-token=fastly-token-never-printed"),
        bad("max-wait shorter than quiet period", "fanout.coalescer.max-wait", "at least the quiet period",
            NAME, ENDPOINTS, SIGNED, "fanout.coalescer.quiet-period=2s", "fanout.coalescer.max-wait=1s"),
        bad("coalescer capacity zero", "fanout.coalescer.capacity", "positive", NAME, ENDPOINTS, SIGNED,
            "fanout.coalescer.capacity=0"),
        bad("recent reports zero", "fanout.recent-reports", "1 to 10000", "fanout.recent-reports=0"),
        bad("catch-up without a window", STAGE + ".catch-up.window", "e.g. 24h", NAME, ENDPOINTS, SIGNED,
            STAGE + ".catch-up.settle=1s"),
        bad("catch-up window zero", STAGE + ".catch-up.window", "A positive duration", NAME, ENDPOINTS, SIGNED,
            STAGE + ".catch-up=0s"),
        bad("catch-up concurrency zero", STAGE + ".catch-up.max-concurrent", "1 to 1024", NAME, ENDPOINTS,
            SIGNED, STAGE + ".catch-up.window=1h", STAGE + ".catch-up.max-concurrent=0"),
        bad("catch-up settle negative", STAGE + ".catch-up.settle", "Zero or a positive duration", NAME,
            ENDPOINTS, SIGNED, STAGE + ".catch-up.window=1h", STAGE + ".catch-up.settle=-1s"),
        bad("catch-up retry delays reversed", STAGE + ".catch-up.retry", "max-delay >= base-delay", NAME,
            ENDPOINTS, SIGNED, STAGE + ".catch-up.window=1h", STAGE + ".catch-up.retry.base-delay=9s"),
        bad("catch-up on a purge stage", STAGE + ".catch-up", "a stage with a discovery", NAME,
            STAGE + ".purger-beans=x", STAGE + ".catch-up=1h"),
        bad("journal without a DataSource", "fanout.journal.enabled", "spring.datasource",
            "fanout.journal.enabled=true"));
  }

  private static Arguments bad(String what, String property, String allowed, String... properties) {
    return Arguments.of(what, property, allowed, properties);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wrongConfigurations")
  void aWrongPropertyStopsTheStartNamingItAndWhatIsAllowed(String what, String property, String allowed,
      String[] properties) {
    new ApplicationContextRunner().withConfiguration(Fixtures.starter()).withPropertyValues(properties)
        .run(context -> {
          assertThat(context).hasFailed();
          FailureAnalysis analysis = new FanoutConfigurationFailureAnalyzer().analyze(context.getStartupFailure());
          assertThat(analysis).as(what).isNotNull();
          assertThat(analysis.getDescription()).contains("Property: " + property);
          assertThat(analysis.getAction()).contains(property).contains(allowed);
          String all = analysis.getDescription() + analysis.getAction() + context.getStartupFailure();
          assertThat(all).doesNotContain(Fixtures.SECRET_BODY, "c2hvcnQtc2VjcmV0", "cf-token-never-printed",
              "fastly-token-never-printed");
        });
  }

  @Test
  void aMissingModuleIsNamed() {
    new ApplicationContextRunner().withConfiguration(Fixtures.starter())
        .withClassLoader(new FilteredClassLoader("dev.fanout.k8s.", "dev.fanout.fastly."))
        .withPropertyValues(NAME, SIGNED, STAGE + ".discovery.dns.name=web.local.", STAGE + ".discovery.dns.port=3000")
        .run(context -> {
          FailureAnalysis analysis = new FanoutConfigurationFailureAnalyzer().analyze(context.getStartupFailure());
          assertThat(analysis.getDescription()).contains("Property: " + STAGE + ".discovery.dns", "fanout-k8s");
          assertThat(analysis.getAction()).contains("dev.fanout:fanout-k8s");
        });
    new ApplicationContextRunner().withConfiguration(Fixtures.starter())
        .withClassLoader(new FilteredClassLoader("dev.fanout.fastly."))
        .withPropertyValues(NAME, STAGE + ".fastly.service-id=SU1Z0isx", STAGE + ".fastly.api-token=t",
            STAGE + ".fastly.hosts=www.example.com")
        .run(context -> assertThat(new FanoutConfigurationFailureAnalyzer().analyze(context.getStartupFailure())
            .getAction()).contains("dev.fanout:fanout-fastly"));
  }

  @Test
  void aReceiverNeedsSecretsAndSomethingToEvict() {
    WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(Fixtures.starter());
    web.withPropertyValues("fanout.receiver.enabled=true").run(context -> assertThat(
        new FanoutConfigurationFailureAnalyzer().analyze(context.getStartupFailure()).getDescription())
        .contains("Property: fanout.receiver.secrets"));
    web.withPropertyValues("fanout.receiver.enabled=true", "fanout.receiver.secrets=" + Fixtures.SECRET)
        .run(context -> assertThat(new FanoutConfigurationFailureAnalyzer().analyze(context.getStartupFailure())
            .getAction()).contains("fanout.receiver.cache.enabled", "InvalidationHandler", "@EnableCaching"));
    web.withConfiguration(AutoConfigurations.of(CacheAutoConfiguration.class))
        .withUserConfiguration(Caching.class)
        .withPropertyValues("fanout.receiver.enabled=true", "fanout.receiver.secrets=" + Fixtures.SECRET,
            "fanout.receiver.path=/api/../x")
        .run(context -> assertThat(new FanoutConfigurationFailureAnalyzer().analyze(context.getStartupFailure())
            .getDescription()).contains("Property: fanout.receiver.path"));
  }

  @Test
  void theAnalyzerIsRegisteredWhereSpringBootLooksForIt() throws Exception {
    List<String> names = new java.util.ArrayList<>();
    for (java.net.URL url : java.util.Collections.list(
        getClass().getClassLoader().getResources(SpringFactoriesLoader.FACTORIES_RESOURCE_LOCATION))) {
      java.util.Properties p = org.springframework.core.io.support.PropertiesLoaderUtils.loadProperties(
          new org.springframework.core.io.UrlResource(url));
      for (String n : p.getProperty(FailureAnalyzer.class.getName(), "").split(",")) {
        names.add(n.trim());
      }
    }
    assertThat(names).contains(FanoutConfigurationFailureAnalyzer.class.getName());
  }

  @Test
  void aRealApplicationPrintsTheAnalysis(CapturedOutput output) {
    SpringApplicationBuilder app = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
        .properties(NAME, ENDPOINTS, SIGNED, STAGE + ".gate=most");
    try {
      app.run();
    } catch (RuntimeException expected) {
      // The analysis is what the user sees.
    }
    assertThat(output.getAll()).contains("APPLICATION FAILED TO START", "Property: fanout.stages[0].gate",
        "One of all, proceed");
  }

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class App {}

  @Configuration(proxyBeanMethods = false)
  @org.springframework.cache.annotation.EnableCaching
  static class Caching {}
}
