package dev.fanout.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Endpoint;
import dev.fanout.Gate;
import dev.fanout.Invalidation;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.catchup.CatchUpPolicy;
import dev.fanout.micrometer.FanoutObservability;
import dev.fanout.spi.Journal;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class FanoutAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(Fixtures.starter());

  private static final String[] WEB_STAGE = {
    "fanout.stages[0].name=web",
    "fanout.stages[0].discovery.endpoints=127.0.0.2:3000,127.0.0.3:3000",
    "fanout.stages[0].notifier.signing-secret=" + Fixtures.SECRET,
  };

  @Test
  void withoutStagesThereIsNoInvalidatorButTheReportsExist() {
    runner.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(Invalidator.class);
      assertThat(context).doesNotHaveBean(TransactionalInvalidator.class);
      assertThat(context).hasSingleBean(RecentReports.class);
    });
  }

  @Test
  void propertiesBuildTheStagesInOrderWithTheirOptions() {
    runner.withPropertyValues(WEB_STAGE)
        .withPropertyValues(
            "fanout.deadline=12s",
            "fanout.stages[0].gate=quorum(0.5)",
            "fanout.stages[0].min-targets=2",
            "fanout.stages[0].concurrency=16",
            "fanout.stages[0].attempt-timeout=750ms",
            "fanout.stages[0].retry.max-attempts=3",
            "fanout.stages[0].retry.base-delay=20ms",
            "fanout.stages[0].states=ready,serving",
            "fanout.stages[0].recheck=false",
            "fanout.stages[1].name=varnish",
            "fanout.stages[1].discovery.endpoints=127.0.0.10:6081",
            "fanout.stages[1].notifier.preset=varnish-xkey",
            "fanout.stages[1].gate=at-least(1)",
            "fanout.stages[2].name=cdn",
            "fanout.stages[2].purger-beans=testPurger",
            "fanout.coalescer.quiet-period=50ms",
            "fanout.coalescer.max-wait=1s",
            "fanout.coalescer.capacity=200")
        .withUserConfiguration(PurgerConfig.class)
        .run(context -> {
          assertThat(context).hasNotFailed();
          Invalidator inv = context.getBean(Invalidator.class);
          assertThat(inv.deadline()).isEqualTo(Duration.ofSeconds(12));
          assertThat(inv.stages()).extracting(Stage::name).containsExactly("web", "varnish", "cdn");
          Stage.Fanout web = (Stage.Fanout) inv.stages().get(0);
          assertThat(web.gate()).isEqualTo(Gate.quorum(0.5));
          assertThat(web.minTargets()).isEqualTo(2);
          assertThat(web.concurrency()).isEqualTo(16);
          assertThat(web.attemptTimeout()).isEqualTo(Duration.ofMillis(750));
          assertThat(web.retry()).isEqualTo(new RetryPolicy(3, Duration.ofMillis(20),
              RetryPolicy.defaults().maxDelay()));
          assertThat(web.states()).containsExactlyInAnyOrder(Endpoint.State.READY, Endpoint.State.SERVING);
          assertThat(web.recheck()).isFalse();
          assertThat(web.discovery().discover().toCompletableFuture().join())
              .containsExactly(Endpoint.of("127.0.0.2", 3000), Endpoint.of("127.0.0.3", 3000));
          assertThat(inv.stages().get(1).gate()).isEqualTo(Gate.atLeast(1));
          assertThat(((Stage.Purge) inv.stages().get(2)).purgers())
              .containsExactly(context.getBean("testPurger", Purger.class));
          assertThat(context).hasSingleBean(TransactionalInvalidator.class);
          assertThat(context).hasSingleBean(FanoutShutdown.class);
        });
  }

  @Test
  void catchUpIsSetByPropertyWithItsKnobsOrByItsWindowAlone() {
    runner.withPropertyValues(WEB_STAGE)
        .withPropertyValues(
            "fanout.stages[0].catch-up.window=24h",
            "fanout.stages[0].catch-up.settle=2s",
            "fanout.stages[0].catch-up.max-concurrent=8",
            "fanout.stages[0].catch-up.retry.max-attempts=3",
            "fanout.stages[0].catch-up.poll=10s",
            "fanout.stages[0].catch-up.clock-skew=0s",
            "fanout.stages[1].name=varnish",
            "fanout.stages[1].discovery.endpoints=127.0.0.10:6081",
            "fanout.stages[1].notifier.preset=varnish-purge",
            "fanout.stages[1].catch-up=6h",
            "fanout.stages[2].name=edge",
            "fanout.stages[2].discovery.endpoints=127.0.0.11:6081",
            "fanout.stages[2].notifier.preset=varnish-purge")
        .run(context -> {
          assertThat(context).hasNotFailed();
          List<Stage> stages = context.getBean(Invalidator.class).stages();
          assertThat(((Stage.Fanout) stages.get(0)).catchUpPolicy()).contains(
              CatchUpPolicy.of(Duration.ofHours(24)).withSettle(Duration.ofSeconds(2)).withConcurrency(8)
                  .withRetry(new RetryPolicy(3, CatchUpPolicy.DEFAULT_RETRY.baseDelay(),
                      CatchUpPolicy.DEFAULT_RETRY.maxDelay()))
                  .withPoll(Duration.ofSeconds(10)).withClockSkew(Duration.ZERO));
          assertThat(((Stage.Fanout) stages.get(1)).catchUpPolicy())
              .as("catch-up: 6h is catch-up.window: 6h").contains(CatchUpPolicy.of(Duration.ofHours(6)));
          assertThat(((Stage.Fanout) stages.get(2)).catchUpPolicy()).as("off unless set").isEmpty();
        });
  }

  @Test
  void unsetOptionsKeepTheLibrarysDefaults() {
    runner.withPropertyValues(WEB_STAGE).run(context -> {
      Invalidator inv = context.getBean(Invalidator.class);
      Stage.Fanout built = (Stage.Fanout) inv.stages().get(0);
      Stage.Fanout plain = Stage.fanout("web", built.discovery(), built.notifier());
      assertThat(built.gate()).isEqualTo(plain.gate());
      assertThat(built.minTargets()).isEqualTo(plain.minTargets());
      assertThat(built.concurrency()).isEqualTo(plain.concurrency());
      assertThat(built.attemptTimeout()).isEqualTo(plain.attemptTimeout());
      assertThat(built.retry()).isEqualTo(plain.retry());
      assertThat(built.states()).isEqualTo(plain.states());
      assertThat(inv.deadline()).isEqualTo(Invalidator.builder().stage(plain).build().deadline());
    });
  }

  @Test
  void anInvalidatorOfTheApplicationsOwnWins() {
    runner.withPropertyValues(WEB_STAGE).withUserConfiguration(OwnInvalidator.class).run(context -> {
      assertThat(context).hasSingleBean(Invalidator.class);
      assertThat(context.getBean(Invalidator.class).stages()).extracting(Stage::name).containsExactly("own");
      assertThat(context).hasSingleBean(TransactionalInvalidator.class);
    });
  }

  @Test
  void customizersAdjustWhatThePropertiesBuilt() {
    runner.withPropertyValues(WEB_STAGE).withUserConfiguration(Customizers.class).run(context -> {
      Invalidator inv = context.getBean(Invalidator.class);
      assertThat(inv.stages()).extracting(Stage::name).containsExactly("web", "extra");
      assertThat(inv.stages().get(0).gate()).isEqualTo(Gate.proceed());
      assertThat(context.getBean(Customizers.class).notifierStages).containsExactly("web");
    });
  }

  @Test
  void aCustomizerAloneIsEnoughForAnInvalidator() {
    runner.withUserConfiguration(Customizers.class).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(Invalidator.class).stages()).extracting(Stage::name).containsExactly("extra");
    });
  }

  @Test
  void dnsAndKubernetesDiscoveryComeFromFanoutK8s() {
    runner.withPropertyValues(
            "fanout.stages[0].name=web",
            "fanout.stages[0].discovery.dns.name=web-headless.shop.svc.cluster.local.",
            "fanout.stages[0].discovery.dns.port=3000",
            "fanout.stages[0].discovery.dns.servers=127.0.0.53:5353",
            "fanout.stages[0].discovery.dns.allow-cidrs=127.0.0.0/8",
            "fanout.stages[0].notifier.signing-secret=" + Fixtures.SECRET,
            "fanout.stages[1].name=api",
            "fanout.stages[1].discovery.kubernetes.service=api",
            "fanout.stages[1].discovery.kubernetes.port-name=http",
            "fanout.stages[1].discovery.kubernetes.namespace=shop",
            "fanout.stages[1].discovery.kubernetes.in-cluster=false",
            "fanout.stages[1].discovery.kubernetes.watch=false",
            "fanout.stages[1].discovery.kubernetes.api-server=http://127.0.0.1:1",
            "fanout.stages[1].notifier.unsigned=true")
        .run(context -> {
          assertThat(context).hasNotFailed();
          List<Stage> stages = context.getBean(Invalidator.class).stages();
          assertThat(((Stage.Fanout) stages.get(0)).discovery())
              .isInstanceOf(dev.fanout.k8s.DnsDiscovery.class)
              .hasToString(((Stage.Fanout) stages.get(0)).discovery().toString());
          assertThat(((Stage.Fanout) stages.get(1)).discovery())
              .isInstanceOf(dev.fanout.k8s.KubernetesDiscovery.class);
        });
  }

  @Test
  void vendorPurgersAreBuiltFromTheirModules() {
    runner.withPropertyValues(
            "fanout.stages[0].name=cdn",
            "fanout.stages[0].fastly.service-id=SU1Z0isx",
            "fanout.stages[0].fastly.api-token=fastly-token-value",
            "fanout.stages[0].fastly.hosts=www.example.com",
            "fanout.stages[0].fastly.base-uri=http://127.0.0.1:1",
            "fanout.stages[0].cloudflare.zone-id=023e105f4ecef8ad9ca31a8372d0c353",
            "fanout.stages[0].cloudflare.account-id=01a7362d577a6c3019a474fd6f485823",
            "fanout.stages[0].cloudflare.api-token=cloudflare-token-value",
            "fanout.stages[0].cloudflare.plan=pro",
            "fanout.stages[0].cloudflare.hosts=www.example.com",
            "fanout.stages[0].cloudflare.base-uri=http://127.0.0.1:1",
            "fanout.stages[0].cloudfront.distribution-id=E2QWRUHEXAMPLE",
            "fanout.stages[0].cloudfront.endpoint-override=http://127.0.0.1:1")
        .run(context -> {
          assertThat(context).hasNotFailed();
          Stage.Purge cdn = (Stage.Purge) context.getBean(Invalidator.class).stages().get(0);
          assertThat(cdn.purgers()).hasExactlyElementsOfTypes(dev.fanout.cloudfront.CloudFrontPurger.class,
              dev.fanout.fastly.FastlyPurger.class, dev.fanout.cloudflare.CloudflarePurger.class);
          assertThat(cdn.purgers().toString()).doesNotContain("fastly-token-value", "cloudflare-token-value");
        });
  }

  @Test
  void theJournalIsBuiltOnTheApplicationsDataSourceWhenEnabled() {
    runner.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=jdbc:h2:mem:journal-enabled;DB_CLOSE_DELAY=-1",
            "fanout.journal.enabled=true", "fanout.journal.create-schema=true")
        .run(context -> {
          assertThat(context).hasNotFailed();
          Journal journal = context.getBean(Journal.class);
          assertThat(journal).isInstanceOf(dev.fanout.jdbc.JdbcJournal.class);
          journal.append(Invalidation.builder().path("/a").build());
          assertThat(journal.backlog().pending()).isEqualTo(1);
        });
    runner.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=jdbc:h2:mem:journal-off;DB_CLOSE_DELAY=-1")
        .run(context -> assertThat(context).doesNotHaveBean(Journal.class));
  }

  @Test
  void theInvalidatorSendsFromTheJournalWhenOneIsEnabled() {
    runner.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .withPropertyValues(WEB_STAGE)
        .withPropertyValues("spring.datasource.url=jdbc:h2:mem:journal-sent;DB_CLOSE_DELAY=-1",
            "fanout.journal.enabled=true", "fanout.journal.create-schema=true")
        .run(context -> {
          assertThat(context).hasNotFailed();
          Invalidator invalidator = context.getBean(Invalidator.class);
          Invalidation inv = Invalidation.builder().path("/journaled").build();
          invalidator.submit(inv);
          // submit() returned: the entry is in the journal, and the invalidator answers for it.
          assertThat(context.getBean(Journal.class).status(inv.id())).isPresent();
          assertThat(invalidator.status(inv.id())).isPresent();
        });
    runner.withPropertyValues(WEB_STAGE).run(context -> {
      Invalidator invalidator = context.getBean(Invalidator.class);
      Invalidation inv = Invalidation.builder().path("/in-memory").build();
      invalidator.submit(inv);
      assertThat(invalidator.status(inv.id())).isEmpty();
    });
  }

  @Test
  void micrometerIsWiredWhenARegistryExists() {
    runner.withPropertyValues(WEB_STAGE).withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(context -> {
          assertThat(context).hasSingleBean(FanoutObservability.class);
          assertThat(context).hasSingleBean(HttpNotifierCustomizer.class);
        });
    runner.withPropertyValues(WEB_STAGE)
        .run(context -> assertThat(context).doesNotHaveBean(FanoutObservability.class));
  }

  @Test
  void everyListenerBeanSeesTheInvalidations() throws Exception {
    try (dev.fanout.testing.LoopbackPod pod = dev.fanout.testing.LoopbackPod.start("127.0.0.2",
        dev.fanout.testing.LoopbackPod.ok())) {
      runner.withPropertyValues("fanout.stages[0].name=web",
              "fanout.stages[0].discovery.endpoints=" + pod.endpoint().authority(),
              "fanout.stages[0].notifier.signing-secret=" + Fixtures.SECRET)
          .withUserConfiguration(Listeners.class)
          .run(context -> {
            Invalidation inv = Invalidation.builder().path("/a").build();
            context.getBean(Invalidator.class).invalidate(inv).join();
            assertThat(context.getBean(Listeners.class).ended).containsExactly(inv.id());
            assertThat(context.getBean(RecentReports.class).find(inv.id())).isPresent();
          });
    }
  }

  @Test
  void fanoutEnabledFalseConfiguresNothing() {
    runner.withPropertyValues(WEB_STAGE).withPropertyValues("fanout.enabled=false").run(context -> {
      assertThat(context).doesNotHaveBean(Invalidator.class);
      assertThat(context).doesNotHaveBean(RecentReports.class);
    });
  }

  @Test
  void propertiesNeverPrintTheirSecrets() {
    runner.withPropertyValues(WEB_STAGE).withPropertyValues("fanout.stages[1].name=cdn",
            "fanout.stages[1].fastly.service-id=SU1Z0isx", "fanout.stages[1].fastly.api-token=fastly-token-value",
            "fanout.stages[1].fastly.purge-paths=false")
        .run(context -> {
          String text = context.getBean(FanoutProperties.class).toString();
          assertThat(text).contains("web", "SU1Z0isx").doesNotContain(Fixtures.SECRET_BODY, "fastly-token-value");
        });
  }

  @Configuration(proxyBeanMethods = false)
  static class PurgerConfig {
    @Bean
    Purger testPurger() {
      return new Purger() {
        @Override
        public CompletionStage<PurgeResult> purge(Invalidation invalidation) {
          return CompletableFuture.completedFuture(PurgeResult.succeeded("test", 1, List.of()));
        }
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnInvalidator {
    @Bean
    Invalidator ownInvalidator() {
      return Invalidator.builder().stage(Stage.purge("own", i -> CompletableFuture.completedFuture(
          PurgeResult.succeeded("own", 1, List.of())))).build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Customizers {
    final List<String> notifierStages = new ArrayList<>();

    @Bean
    InvalidatorBuilderCustomizer addStage() {
      return b -> b.stage(Stage.purge("extra", i -> CompletableFuture.completedFuture(
          PurgeResult.succeeded("extra", 1, List.of()))));
    }

    @Bean
    StageCustomizer proceedOnWeb() {
      return s -> s instanceof Stage.Fanout f && f.name().equals("web") ? f.gate(Gate.proceed()) : s;
    }

    @Bean
    HttpNotifierCustomizer recordNotifier() {
      return (stage, builder) -> notifierStages.add(stage);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Listeners {
    final List<String> ended = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Bean
    @org.springframework.core.annotation.Order(2)
    dev.fanout.FanoutListener recordingListener() {
      return new dev.fanout.FanoutListener() {
        @Override
        public void onInvalidationEnd(dev.fanout.InvalidationReport report) {
          ended.add(report.id());
        }
      };
    }

    @Bean
    @org.springframework.core.annotation.Order(1)
    dev.fanout.FanoutListener brokenListener() {
      return new dev.fanout.FanoutListener() {
        @Override
        public void onInvalidationEnd(dev.fanout.InvalidationReport report) {
          throw new IllegalStateException("broken listener");
        }
      };
    }
  }
}
