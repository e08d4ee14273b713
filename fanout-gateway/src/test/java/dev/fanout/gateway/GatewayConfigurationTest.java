package dev.fanout.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.spring.FanoutAutoConfiguration;
import dev.fanout.spring.FanoutConfigurationException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** A wrong gateway configuration stops the start, naming the property, never printing a secret. */
class GatewayConfigurationTest {
  private static final String WP_SECRET = WordPressPluginTest.SECRET;
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(FanoutAutoConfiguration.class))
      .withUserConfiguration(GatewayConfiguration.class)
      .withPropertyValues("fanout.stages[0].name=web",
          "fanout.stages[0].discovery.endpoints=127.0.0.2:1",
          "fanout.stages[0].notifier.signing-secret=" + Replicas.SECRET);

  private void fails(String property, String problem, String... values) {
    runner.withPropertyValues(values).run(context -> {
      assertThat(context).hasFailed();
      Throwable t = context.getStartupFailure();
      while (t != null && !(t instanceof FanoutConfigurationException)) {
        t = t.getCause();
      }
      assertThat(t).as("a FanoutConfigurationException in %s", context.getStartupFailure()).isNotNull();
      FanoutConfigurationException e = (FanoutConfigurationException) t;
      assertThat(e.property()).isEqualTo(property);
      assertThat(e.problem()).contains(problem);
      for (String v : values) {
        String value = v.substring(v.indexOf('=') + 1);
        if (v.contains("secret")) {
          assertThat(e.getMessage() + e.problem() + e.allowed()).doesNotContain(value);
        }
      }
    });
  }

  @Test
  void aValidConfigurationStarts() {
    runner.withPropertyValues("fanout.gateway.wordpress.secrets[0]=" + WP_SECRET)
        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(GatewayController.class));
  }

  @Test
  void wrongValuesAreNamed() {
    fails("fanout.gateway", "configures no webhook source");
    fails("fanout.gateway.wordpress.secrets", "base64",
        "fanout.gateway.wordpress.secrets[0]=whsec_not*base64-at-all");
    fails("fanout.gateway.wordpress.secrets", "24 to 64 bytes",
        "fanout.gateway.wordpress.secrets[0]=whsec_c2hvcnQ=");
    fails("fanout.gateway.strapi.secrets", "shorter than 16",
        "fanout.gateway.strapi.secrets[0]=Bearer short", "fanout.gateway.strapi.models.a.paths[0]=/a");
    fails("fanout.gateway.strapi.models", "is empty",
        "fanout.gateway.strapi.secrets[0]=Bearer long-enough-secret-0123");
    fails("fanout.gateway.strapi.models.article", "without '}'",
        "fanout.gateway.strapi.secrets[0]=Bearer long-enough-secret-0123",
        "fanout.gateway.strapi.models.article.paths[0]=/a/{entry.slug");
    fails("fanout.gateway.hooks.cms", "has no authentication", "fanout.gateway.hooks.cms.paths[0]=/a");
    fails("fanout.gateway.hooks.cms", "has both", "fanout.gateway.hooks.cms.paths[0]=/a",
        "fanout.gateway.hooks.cms.signing-secrets[0]=" + WP_SECRET,
        "fanout.gateway.hooks.cms.header=X-Secret",
        "fanout.gateway.hooks.cms.header-secrets[0]=long-enough-secret-0123");
    fails("fanout.gateway.hooks.Bad_Name", "is not a hook name",
        "fanout.gateway.hooks.Bad_Name.paths[0]=/a",
        "fanout.gateway.hooks.Bad_Name.signing-secrets[0]=" + WP_SECRET);
    fails("fanout.gateway.hooks.cms", "at least one path or tag template",
        "fanout.gateway.hooks.cms.signing-secrets[0]=" + WP_SECRET);
    fails("fanout.gateway.hooks.cms.id", "malformed field",
        "fanout.gateway.hooks.cms.signing-secrets[0]=" + WP_SECRET,
        "fanout.gateway.hooks.cms.paths[0]=/a", "fanout.gateway.hooks.cms.id={a..b}");
    fails("fanout.gateway.max-body-bytes", "is 10",
        "fanout.gateway.wordpress.secrets[0]=" + WP_SECRET, "fanout.gateway.max-body-bytes=10");
  }

  @Test
  void withoutStagesTheGatewayDoesNotStart() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(FanoutAutoConfiguration.class))
        .withUserConfiguration(GatewayConfiguration.class)
        .withPropertyValues("fanout.gateway.wordpress.secrets[0]=" + WP_SECRET)
        .run(context -> {
          assertThat(context).hasFailed();
          Throwable t = context.getStartupFailure();
          while (t != null && !(t instanceof FanoutConfigurationException)) {
            t = t.getCause();
          }
          assertThat(t).isNotNull();
          assertThat(((FanoutConfigurationException) t).property()).isEqualTo("fanout.stages");
        });
  }
}
