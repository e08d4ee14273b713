package dev.fanout.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Invalidator;
import dev.fanout.Stage;
import dev.fanout.jdbc.JdbcJournal;
import dev.fanout.jdbc.TestPostgres;
import dev.fanout.spi.Journal;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;

/**
 * The two commented configurations in {@code fanout-gateway/k8s/config/} start the gateway as they
 * are: every property binds and passes the starter's and the gateway's checks. Only what a laptop
 * lacks is supplied: the Secret's values (as environment variables would) and, for the EndpointSlice
 * discovery, an API server outside the cluster.
 */
class ExampleConfigsTest {
  private static final Path CONFIGS = Path.of("k8s", "config");
  private static final TestPostgres pg = TestPostgres.start();

  @AfterAll
  static void stop() {
    pg.close();
  }

  private static Map<String, Object> load(String file) throws IOException {
    List<PropertySource<?>> sources = new YamlPropertySourceLoader()
        .load(file, new FileSystemResource(CONFIGS.resolve(file)));
    Map<String, Object> props = new LinkedHashMap<>();
    for (PropertySource<?> s : sources) {
      EnumerablePropertySource<?> e = (EnumerablePropertySource<?>) s;
      for (String name : e.getPropertyNames()) {
        props.put(name, e.getProperty(name));
      }
    }
    return props;
  }

  /** Out of a cluster: the same stage, its discovery pointed at an API server address instead. */
  private static void outOfCluster(Map<String, Object> props) throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      closed = s.getLocalPort();
    }
    Pattern service = Pattern.compile("(fanout\\.stages\\[\\d+]\\.discovery\\.kubernetes)\\.service");
    for (String name : List.copyOf(props.keySet())) {
      Matcher m = service.matcher(name);
      if (m.matches()) {
        props.put(m.group(1) + ".in-cluster", "false");
        props.put(m.group(1) + ".api-server", "http://127.0.0.1:" + closed);
        props.put(m.group(1) + ".namespace", "shop");
        props.put(m.group(1) + ".watch", "false");
      }
    }
  }

  private static ConfigurableApplicationContext start(Map<String, Object> props, Map<String, Object> env) {
    Map<String, Object> all = new LinkedHashMap<>(props);
    all.putAll(env);
    all.put("server.port", "0");
    all.put("server.address", "127.0.0.1");
    // One property source for everything, so that fanout.stages binds from it whole.
    return new SpringApplicationBuilder(GatewayApplication.class)
        .initializers(ctx -> ctx.getEnvironment().getPropertySources()
            .addFirst(new MapPropertySource("example", all)))
        .run();
  }

  @Test
  void theWordPressNextJsCloudFrontExampleStartsWithItsJournal() throws Exception {
    try (Connection c = pg.dataSource().getConnection(); Statement st = c.createStatement()) {
      st.execute(JdbcJournal.postgresqlSchema()); // the migration the example asks for
    }
    Map<String, Object> props = load("wordpress-nextjs-cloudfront.yml");
    outOfCluster(props);
    Map<String, Object> env = Map.of(
        "FANOUT_SIGNING_SECRET", Replicas.SECRET,
        "WORDPRESS_WEBHOOK_SECRET", WordPressPluginTest.SECRET,
        "CLOUDFRONT_DISTRIBUTION_ID", "E2QWRUHEXAMPLE",
        "DATABASE_URL", "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres",
        "DATABASE_USER", "postgres",
        "DATABASE_PASSWORD", "");
    try (ConfigurableApplicationContext ctx = start(props, env)) {
      Invalidator invalidator = ctx.getBean(Invalidator.class);
      assertThat(invalidator.stages()).extracting(Stage::name).containsExactly("nextjs", "cdn");
      assertThat(ctx.getBeansOfType(Journal.class)).hasSize(1);
      assertThat(ctx.getBean(InvalidationSink.class).durable()).isTrue();
      assertThat(ctx.getBean(GatewayConfiguration.GatewaySources.class).all()).containsOnlyKeys("wordpress");

      // A signed post change is accepted and durable.
      int port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
      String body = "{\"kind\":\"post\",\"event\":\"save\",\"post\":{\"id\":42,\"type\":\"post\","
          + "\"slug\":\"hello\",\"path\":\"/2026/12/hello/\",\"modified_gmt\":\"2026-12-04T11:00:00Z\"}}";
      Http.Answer a = new Http(port).signedPost("/v1/webhooks/wordpress", WordPressPluginTest.SECRET, body);
      assertThat(a.status()).isEqualTo(202);
      assertThat(a.json().get("durable").asBoolean()).isTrue();
      assertThat(a.json().get("paths").toString()).isEqualTo("[\"/blog/hello\",\"/blog\",\"/\"]");
    }
  }

  @Test
  void theStrapiNextJsFastlyExampleStarts() throws Exception {
    Map<String, Object> props = load("strapi-nextjs-fastly.yml");
    outOfCluster(props);
    Map<String, Object> env = Map.of(
        "FANOUT_SIGNING_SECRET", Replicas.SECRET,
        "FASTLY_SERVICE_ID", "SU1Z0isxPaozGVKXdv0eY",
        "FASTLY_API_TOKEN", "fastly-token-for-the-test",
        "STRAPI_WEBHOOK_TOKEN", "strapi-token-0123456789");
    try (ConfigurableApplicationContext ctx = start(props, env)) {
      Invalidator invalidator = ctx.getBean(Invalidator.class);
      assertThat(invalidator.stages()).extracting(Stage::name).containsExactly("nextjs", "cdn");
      assertThat(ctx.getBeansOfType(Journal.class)).isEmpty();
      assertThat(ctx.getBean(InvalidationSink.class).durable()).isFalse();
      assertThat(ctx.getBean(GatewayConfiguration.GatewaySources.class).all()).containsOnlyKeys("strapi");

      int port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
      Http h = new Http(port);
      Http.Answer a = h.send(h.post("/v1/webhooks/strapi",
          Payloads.strapi("entry.publish", "hello", "doc1", "2026-12-04T11:00:00Z"), "application/json")
          .header("Authorization", "Bearer strapi-token-0123456789"));
      assertThat(a.status()).isEqualTo(202);
      // The optional localised path is left out: this entry has no locale.
      assertThat(a.json().get("paths").toString()).isEqualTo("[\"/articles/hello\",\"/articles\"]");
      assertThat(a.json().get("tags").toString()).isEqualTo("[\"article:doc1\"]");
    }
  }
}
