package dev.fanout.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.Invalidation;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The WordPress plugin ({@code examples/wordpress}), executed by the real PHP interpreter with a
 * small shim of the WordPress functions it calls, against the running gateway, which drives three
 * real replicas. Needs {@code php} (Debian's {@code php-cli}) on the PATH; set {@code
 * FANOUT_SKIP_PHP=1} to skip it on a machine without PHP (CI installs it).
 */
@SpringBootTest(classes = GatewayApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
  "server.address=127.0.0.1",
  "fanout.coalescer.quiet-period=20ms",
  "fanout.gateway.wordpress.secrets[0]=" + WordPressPluginTest.SECRET,
})
class WordPressPluginTest {
  static final String SECRET = "whsec_d29yZHByZXNzLXBsdWdpbi1zZWNyZXQtb2YtMzItYnl0ZXM=";
  private static final String OTHER_SECRET = "whsec_YW5vdGhlci1wbHVnaW4tc2VjcmV0LW9mLTMyLWJ5dGVzIQ==";
  private static final Path PLUGIN_TEST = Path.of("..", "examples", "wordpress", "test", "editor.php");
  private static final ObjectMapper JSON = new ObjectMapper();
  @RegisterExtension
  static final Replicas replicas = Replicas.start(3);

  @LocalServerPort
  int port;

  @TempDir
  Path tmp;

  private Path state;

  @DynamicPropertySource
  static void stages(DynamicPropertyRegistry registry) {
    replicas.addStage(registry);
  }

  @BeforeEach
  void php() {
    if ("1".equals(System.getenv("FANOUT_SKIP_PHP"))) {
      Assumptions.abort("FANOUT_SKIP_PHP=1");
    }
    state = tmp.resolve("wordpress-state.json");
  }

  private String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Runs one step of editor.php and returns what it printed. */
  private JsonNode wpAt(String url, String secret, String modified, String... step) throws Exception {
    List<String> command = new ArrayList<>(List.of("php", PLUGIN_TEST.toString()));
    command.addAll(List.of(step));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(false);
    Map<String, String> env = pb.environment();
    env.put("FANOUT_STATE", state.toString());
    env.put("FANOUT_GATEWAY_URL", url);
    env.put("FANOUT_GATEWAY_SECRET", secret);
    env.put("FANOUT_MODIFIED", modified);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError("php is required for this test (apt-get install php-cli), or set "
          + "FANOUT_SKIP_PHP=1", e);
    }
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(err).isZero();
    assertThat(err).isEmpty();
    return JSON.readTree(out);
  }

  private JsonNode wp(String... step) throws Exception {
    return wpAt(url(), SECRET, "2026-12-04 11:00:00", step);
  }

  private boolean delivered(String id) {
    Http h = new Http(port);
    Http.Answer a = h.send(Http.sign(h.get("/v1/invalidations/" + id), SECRET, "status_t",
        Instant.now(), ""));
    return a.status() == 200 && "DELIVERED".equals(a.text("state"));
  }

  @Test
  void aPublishIsQueuedWithoutARequestThenSentByCronAndTheEditorSeesItLiveEverywhere() throws Exception {
    JsonNode saved = wp("publish-post");

    // The editor's request sent nothing: one outbox entry for both hooks, a cron event scheduled.
    assertThat(saved.get("requests")).isEmpty();
    assertThat(saved.get("outbox").size()).isEqualTo(1);
    assertThat(saved.get("outbox").has("post:42")).isTrue();
    assertThat(saved.get("cron").isNumber()).isTrue();
    JsonNode list = wp("posts-list");
    assertThat(list.get("result").get("columns").get("fanout_gateway").asText()).isEqualTo("Cache");
    assertThat(list.get("result").get("cell").asText()).isEqualTo("queued");

    JsonNode cron = wp("cron");
    assertThat(cron.get("result").get("post:42").asText()).isEqualTo("accepted");
    assertThat(cron.get("outbox")).isEmpty();
    String id = cron.get("meta").get("_fanout_gateway_invalidation").asText();
    assertThat(id).startsWith("gw_");
    assertThat(wp("posts-list").get("result").get("cell").asText()).isEqualTo("in progress");

    await().atMost(Duration.ofSeconds(20))
        .until(() -> replicas.everyReplicaHasPath("/2026/12/hello-world/"));
    for (int i = 0; i < replicas.size(); i++) {
      Invalidation applied = replicas.applied(i).stream()
          .filter(inv -> inv.paths().contains("/2026/12/hello-world/")).findFirst().orElseThrow();
      assertThat(applied.tags()).contains("post:42");
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> delivered(id));
    JsonNode box = wp("meta-box");
    assertThat(box.get("result").asText())
        .isEqualTo("<p class=\"fanout-gateway-status\">Live everywhere (web: 3/3 replicas fresh)</p>");
    assertThat(box.get("requests")).hasSize(1);
    // A final status is kept on the post: the next render does not ask the gateway.
    JsonNode again = wp("meta-box");
    assertThat(again.get("requests")).isEmpty();
    assertThat(again.get("result").asText()).isEqualTo(box.get("result").asText());
    JsonNode listed = wp("posts-list");
    assertThat(listed.get("requests")).isEmpty();
    assertThat(listed.get("result").get("cell").asText()).isEqualTo("live everywhere");

    // The same modification announced again is a duplicate; a delete of it is not.
    wp("update-post");
    assertThat(wp("cron").get("result").get("post:42").asText()).isEqualTo("duplicate");
    wp("delete-post");
    JsonNode deleted = wp("cron");
    assertThat(deleted.get("result").get("post:42").asText()).isEqualTo("accepted");
    assertThat(deleted.get("meta").get("_fanout_gateway_invalidation").asText()).isNotEqualTo(id);
  }

  @Test
  void aGatewayThatCannotBeReachedIsRetriedLaterWithTheSameWebhookId() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      closed = s.getLocalPort();
    }
    String down = "http://127.0.0.1:" + closed;
    String modified = "2026-12-04 11:30:00";
    wpAt(down, SECRET, modified, "publish-post");
    JsonNode first = wpAt(down, SECRET, modified, "cron");

    assertThat(first.get("result").get("post:42").asText()).isEqualTo("retry");
    JsonNode entry = first.get("outbox").get("post:42");
    assertThat(entry.get("attempts").asInt()).isEqualTo(1);
    assertThat(first.get("cron").asLong()).isEqualTo(entry.get("next_at").asLong());
    String webhookId = entry.get("webhook_id").asText();

    // Not due yet: nothing is sent. Due a minute later: sent, with the same webhook-id.
    JsonNode early = wpAt(url(), SECRET, modified, "cron");
    assertThat(early.get("requests")).isEmpty();
    assertThat(early.get("outbox").get("post:42").get("webhook_id").asText()).isEqualTo(webhookId);
    JsonNode later = wpAt(url(), SECRET, modified, "cron", "60");
    assertThat(later.get("result").get("post:42").asText()).isEqualTo("accepted");
    assertThat(later.get("outbox")).isEmpty();
    assertThat(later.get("cron").asBoolean()).isFalse();
  }

  @Test
  void aRefusalIsNotRetriedAndTheEditorSeesTheReason() throws Exception {
    wpAt(url(), OTHER_SECRET, "2026-12-04 12:00:00", "publish-post");
    JsonNode cron = wpAt(url(), OTHER_SECRET, "2026-12-04 12:00:00", "cron");

    assertThat(cron.get("result").get("post:42").asText()).isEqualTo("refused");
    assertThat(cron.get("outbox")).isEmpty();
    assertThat(cron.get("meta").get("_fanout_gateway_error").asText()).isEqualTo("bad signature");
    assertThat(wp("meta-box").get("result").asText()).contains("Cache refresh refused: bad signature");
    assertThat(wp("posts-list").get("result").get("cell").asText()).isEqualTo("refused");
  }

  @Test
  void aMalformedSecretQueuesNothingAndTheBoxSaysHowToConfigureIt() throws Exception {
    JsonNode saved = wpAt(url(), "whsec_c2hvcnQ=", "2026-12-04 12:10:00", "publish-post");
    JsonNode cron = wpAt(url(), "whsec_c2hvcnQ=", "2026-12-04 12:10:00", "cron");
    JsonNode box = wpAt(url(), "whsec_c2hvcnQ=", "2026-12-04 12:10:00", "meta-box");

    assertThat(saved.get("outbox")).isEmpty();
    assertThat(cron.get("requests")).isEmpty();
    assertThat(box.get("result").asText()).contains("not configured").doesNotContain("c2hvcnQ");
  }

  @Test
  void aTermEditInvalidatesItsArchive() throws Exception {
    wp("edit-term");
    JsonNode cron = wp("cron");

    assertThat(cron.get("result").get("term:7").asText()).isEqualTo("accepted");
    await().atMost(Duration.ofSeconds(20)).until(() -> replicas.everyReplicaHasPath("/category/news/"));
    assertThat(replicas.applied(0).stream().filter(i -> i.paths().contains("/category/news/"))
        .findFirst().orElseThrow().tags()).containsExactly("category:7");
  }

  @Test
  void theSignatureOfThePhpPluginIsTheLibrarysWebhookSigner() throws Exception {
    Path script = tmp.resolve("sign.php");
    Files.writeString(script, "<?php define('ABSPATH', '/'); require '"
        + PLUGIN_TEST.getParent().resolve("../fanout-gateway/includes/class-fanout-gateway-client.php")
            .toAbsolutePath().normalize()
        + "'; echo FanoutGateway_Client::sign($argv[1], $argv[2], (int) $argv[3], $argv[4]);");
    String body = "{\"kind\":\"post\",\"path\":\"/caf\u00e9/\"}";
    Process p = new ProcessBuilder("php", script.toString(), SECRET, "wp_1", "1796380000", body).start();
    String php = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

    assertThat(php).isEqualTo(dev.fanout.http.WebhookSigner.of(SECRET)
        .sign("wp_1", 1796380000L, body.getBytes(StandardCharsets.UTF_8)));
  }
}
