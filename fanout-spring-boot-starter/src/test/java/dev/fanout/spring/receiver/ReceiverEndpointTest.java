package dev.fanout.spring.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.DeliveryException;
import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.spring.Fixtures;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The receiver endpoint in a real Spring MVC application on embedded Tomcat, reached over HTTP by
 * fanout's own {@link HttpNotifier}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
  "server.address=127.0.0.1",
  "fanout.receiver.enabled=true",
  "fanout.receiver.secrets=" + ReceiverEndpointTest.SECRETS,
  "fanout.receiver.cache.key-types.posts=long",
  "fanout.receiver.cache.path-cache=pages",
})
class ReceiverEndpointTest {
  static final String SECRETS = "whsec_YW5vdGhlci1zZWNyZXQtb2YtdGhpcnR5LXR3by1ieSE=,"
      + "whsec_ZmFub3V0LXN0YXJ0ZXItdGVzdC1zZWNyZXQtMzJieSE=";

  @LocalServerPort
  int port;

  @Autowired
  Posts posts;

  @Autowired
  CacheManager caches;

  private HttpNotifier notifier;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void notifier() {
    notifier = HttpNotifier.builder().path("/api/revalidate").signingSecret(Fixtures.SECRET).build();
    caches.getCacheNames().forEach(n -> caches.getCache(n).clear());
    posts.loads().set(0);
  }

  @AfterEach
  void close() {
    notifier.close();
  }

  private Endpoint self() {
    return Endpoint.of("127.0.0.1", port);
  }

  @Test
  void theSecretsAreTheConfiguredOnes() {
    assertThat(SECRETS).contains(Fixtures.SECRET).contains(Fixtures.OTHER_SECRET);
  }

  @Test
  void aSignedInvalidationEvictsTheTaggedKeyOnlyAndIsAcknowledgedAfterwards() {
    posts.find(42);
    posts.find(7);
    assertThat(posts.loads()).hasValue(2);

    notifier.deliver(self(), Invalidation.builder().tag("posts:42").build()).toCompletableFuture().join();

    posts.find(42);
    posts.find(7);
    assertThat(posts.loads()).as("42 reloaded, 7 still cached").hasValue(3);
  }

  @Test
  void aReplayIsAcknowledgedWithoutEvictingAgain() {
    Invalidation inv = Invalidation.builder().tag("posts:42").build();
    posts.find(42);
    notifier.deliver(self(), inv).toCompletableFuture().join();
    posts.find(42);
    assertThat(posts.loads()).hasValue(2);

    notifier.deliver(self(), inv).toCompletableFuture().join();
    posts.find(42);
    assertThat(posts.loads()).as("the replay ran no handler").hasValue(2);
  }

  @Test
  void aTagThatNamesACacheClearsItAndPathsGoToThePathCache() {
    posts.find(1);
    posts.find(2);
    posts.page("/posts/1");
    posts.page("/posts/2");
    notifier.deliver(self(), Invalidation.builder().tag("posts").path("/posts/1").build())
        .toCompletableFuture().join();
    posts.find(1);
    posts.find(2);
    posts.page("/posts/1");
    posts.page("/posts/2");
    assertThat(posts.loads()).as("both posts and /posts/1 reloaded").hasValue(4 + 3);
  }

  @Test
  void aWrongSecretIsRefusedAndEvictsNothing() {
    posts.find(42);
    try (HttpNotifier wrong = HttpNotifier.builder().signingSecret(WebhookSigner.generateSecret()).build()) {
      assertThatThrownBy(() -> wrong.deliver(self(), Invalidation.builder().tag("posts:42").build())
          .toCompletableFuture().join())
          .isInstanceOf(CompletionException.class)
          .cause().isInstanceOf(DeliveryException.class)
          .satisfies(e -> assertThat(((DeliveryException) e).status()).isEqualTo(401));
    }
    posts.find(42);
    assertThat(posts.loads()).hasValue(1);
  }

  @Test
  void answersAreExactlyTheReceiversForTheSameBytes() throws Exception {
    InvalidationReceiver reference = InvalidationReceiver.builder().secrets(List.of(SECRETS.split(",")))
        .handler(inv -> { }).build();
    byte[] body = "{\"id\":\"inv_x\",\"paths\":[\"/a\"],\"tags\":[]}".getBytes(StandardCharsets.UTF_8);
    String ts = Long.toString(Instant.now().getEpochSecond());
    String good = WebhookSigner.of(Fixtures.SECRET).sign("inv_exact", Long.parseLong(ts), body);
    String[][] cases = {
      {"POST", "inv_exact", ts, good},
      {"POST", "inv_bad_sig", ts, "v1,AAAA"},
      {"POST", "inv.dots", ts, good},
      {"POST", "inv_stale", "1000", good},
      {"POST", "inv_nosig", ts, null},
      {"PUT", "inv_put", ts, good},
    };
    for (String[] c : cases) {
      HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/revalidate"))
          .header("content-type", "application/json").header("webhook-id", c[1]).header("webhook-timestamp", c[2]);
      if (c[3] != null) {
        rb.header("webhook-signature", c[3]);
      }
      HttpResponse<String> over = http.send(rb.method(c[0], HttpRequest.BodyPublishers.ofByteArray(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      Map<String, List<String>> headers = new java.util.HashMap<>();
      headers.put("webhook-id", List.of(c[1]));
      headers.put("webhook-timestamp", List.of(c[2]));
      if (c[3] != null) {
        headers.put("webhook-signature", List.of(c[3]));
      }
      InvalidationReceiver.Response expected = reference.handle(c[0], headers, body);
      assertThat(over.statusCode()).as(c[1]).isEqualTo(expected.status());
      assertThat(over.body()).as(c[1]).isEqualTo(expected.body());
      assertThat(over.headers().firstValue("content-type")).hasValueSatisfying(
          v -> assertThat(v).startsWith("application/json"));
      assertThat(over.headers().firstValue("cache-control")).hasValue("no-store");
    }
  }

  @Test
  void otherMethodsAre405WithAllowAndOversizedBodiesAre413() throws Exception {
    HttpResponse<String> get = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/api/revalidate")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("allow")).hasValue("POST");

    byte[] big = new byte[InvalidationReceiver.DEFAULT_MAX_BODY_BYTES + 1];
    java.util.Arrays.fill(big, (byte) 'x');
    HttpResponse<String> large = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/api/revalidate"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(large.statusCode()).isEqualTo(413);
    assertThat(large.body()).contains("body too large");
  }

  @Test
  void aLargeInvalidationArrivesInChunksAndEveryPathIsEvicted() {
    Invalidation.Builder b = Invalidation.builder();
    for (int i = 0; i < 2_500; i++) {
      posts.page("/p/" + i);
      b.path("/p/" + i);
    }
    notifier.deliver(self(), b.build()).toCompletableFuture().join();
    posts.loads().set(0);
    for (int i = 0; i < 2_500; i++) {
      posts.page("/p/" + i);
    }
    assertThat(posts.loads()).hasValue(2_500);
  }

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  @EnableCaching
  static class App {
    @Bean
    Posts posts() {
      return new Posts();
    }
  }

  /** Counts every load that was not served from the cache. */
  static class Posts {
    private final AtomicInteger loads = new AtomicInteger();

    /** The counter; a method, since the caching proxy does not share the target's fields. */
    public AtomicInteger loads() {
      return loads;
    }

    @Cacheable("posts")
    public String find(long id) {
      loads.incrementAndGet();
      return "post " + id;
    }

    @Cacheable("pages")
    public String page(String path) {
      loads.incrementAndGet();
      return "page " + path;
    }
  }
}
