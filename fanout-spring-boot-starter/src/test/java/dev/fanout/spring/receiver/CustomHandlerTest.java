package dev.fanout.spring.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.http.HttpNotifier;
import dev.fanout.spring.Fixtures;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * An {@link InvalidationHandler} bean replaces the cache eviction (no cache manager needed), and
 * with an observation registry every request is observed, continuing the sender's trace.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
  "server.address=127.0.0.1",
  "fanout.receiver.enabled=true",
  "fanout.receiver.path=/internal/fanout",
  "fanout.receiver.secrets=whsec_ZmFub3V0LXN0YXJ0ZXItdGVzdC1zZWNyZXQtMzJieSE=",
})
class CustomHandlerTest {
  @LocalServerPort
  int port;

  @Autowired
  App app;

  @Autowired
  TestObservationRegistry observations;

  @Test
  void theApplicationsHandlerRunsAndTheRequestIsObserved() {
    Invalidation inv = Invalidation.builder().path("/blog/hello").tag("post:42").build();
    try (HttpNotifier notifier = HttpNotifier.builder().path("/internal/fanout").signingSecret(Fixtures.SECRET).build()) {
      notifier.deliver(Endpoint.of("127.0.0.1", port), inv).toCompletableFuture().join();
    }
    assertThat(app.handled).hasSize(1);
    assertThat(app.handled.get(0).paths()).containsExactly("/blog/hello");
    assertThat(app.handled.get(0).tags()).containsExactly("post:42");
    TestObservationRegistryAssert.assertThat(observations)
        .hasObservationWithNameEqualTo("fanout.receive")
        .that().hasLowCardinalityKeyValue("outcome", "applied");
  }

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class App {
    final List<Invalidation> handled = new CopyOnWriteArrayList<>();

    @Bean
    InvalidationHandler recordingHandler() {
      return handled::add;
    }

    @Bean
    TestObservationRegistry observationRegistry() {
      return TestObservationRegistry.create();
    }
  }
}
