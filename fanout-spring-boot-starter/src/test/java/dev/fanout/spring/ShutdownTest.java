package dev.fanout.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.spring.receiver.InvalidationHandler;
import dev.fanout.testing.LoopbackPod;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Closing the application flushes what submit() accepted, while the web server still answers. */
class ShutdownTest {

  @Test
  void closingTheContextFlushesPendingSubmissions() throws Exception {
    try (LoopbackPod pod = LoopbackPod.start("127.0.0.2", LoopbackPod.ok())) {
      List<CompletableFuture<InvalidationReport>> submitted = new CopyOnWriteArrayList<>();
      new ApplicationContextRunner().withConfiguration(Fixtures.starter())
          .withPropertyValues("fanout.stages[0].name=web",
              "fanout.stages[0].discovery.endpoints=" + pod.endpoint().authority(),
              "fanout.stages[0].notifier.signing-secret=" + Fixtures.SECRET,
              "fanout.coalescer.quiet-period=1h", "fanout.coalescer.max-wait=1h")
          .run(context -> {
            Invalidator invalidator = context.getBean(Invalidator.class);
            submitted.add(invalidator.submit(Invalidation.builder().path("/a").build()));
            submitted.add(invalidator.submit(Invalidation.builder().path("/b").build()));
            assertThat(pod.requests()).isEmpty();
          });
      assertThat(submitted).allSatisfy(f -> assertThat(f.join().isComplete()).isTrue());
      assertThat(pod.requests()).hasSize(1);
      assertThat(pod.requests().get(0).bodyText()).contains("/a", "/b");
    }
  }

  @Test
  void theLifecycleStopsBeforeTheWebServerStopsAccepting() {
    assertThat(FanoutShutdown.PHASE).isGreaterThan(WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE);
  }

  @Test
  void theFinalFlushReachesThisApplicationsOwnReceiver() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    ConfigurableApplicationContext app = new SpringApplicationBuilder(SelfApp.class).properties(
            "server.address=127.0.0.1", "server.port=" + port,
            "fanout.receiver.enabled=true", "fanout.receiver.secrets=" + Fixtures.SECRET,
            "fanout.stages[0].name=self",
            "fanout.stages[0].discovery.endpoints=127.0.0.1:" + port,
            "fanout.stages[0].notifier.signing-secret=" + Fixtures.SECRET,
            "fanout.coalescer.quiet-period=1h", "fanout.coalescer.max-wait=1h")
        .run();
    SelfApp self = app.getBean(SelfApp.class);
    CompletableFuture<InvalidationReport> report =
        app.getBean(Invalidator.class).submit(Invalidation.builder().tag("posts:1").build());
    app.close();
    assertThat(report.join().isComplete()).as(report.join().summary()).isTrue();
    assertThat(self.handled).hasSize(1);
  }

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class SelfApp {
    final List<Invalidation> handled = new CopyOnWriteArrayList<>();

    @Bean
    InvalidationHandler handler() {
      return handled::add;
    }
  }
}
