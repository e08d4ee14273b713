package dev.fanout.gateway;

import static dev.fanout.gateway.Payloads.HEADER_SECRET;
import static dev.fanout.gateway.Payloads.HOOK_SECRET;
import static dev.fanout.gateway.Payloads.STRAPI_TOKEN;
import static dev.fanout.gateway.Payloads.strapi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.Invalidation;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The gateway as it runs: the Spring Boot application on embedded Tomcat on 127.0.0.1, driving two
 * real replicas (fanout's receiver on 127.0.0.2 and 127.0.0.3) from Strapi's webhooks and from two
 * generic hooks, one signed and one with a header secret; every refusal sends nothing.
 */
@SpringBootTest(classes = GatewayApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
  "server.address=127.0.0.1",
  "fanout.coalescer.quiet-period=20ms",
  "fanout.gateway.max-body-bytes=4096",
  "fanout.gateway.strapi.secrets[0]=" + STRAPI_TOKEN,
  "fanout.gateway.strapi.models.article.paths[0]=/blog/{entry.slug}",
  "fanout.gateway.strapi.models.article.paths[1]=/blog",
  "fanout.gateway.strapi.models.article.tags[0]=article:{entry.documentId}",
  "fanout.gateway.hooks.cms.signing-secrets[0]=" + HOOK_SECRET,
  "fanout.gateway.hooks.cms.model={/sys/type}",
  "fanout.gateway.hooks.cms.id={sys.id}",
  "fanout.gateway.hooks.cms.updated-at={sys.updatedAt}",
  "fanout.gateway.hooks.cms.event={/event}",
  "fanout.gateway.hooks.cms.events[0]=publish",
  "fanout.gateway.hooks.cms.events[1]=unpublish",
  "fanout.gateway.hooks.cms.paths[0]=/{fields.locale}/posts/{fields.slug}",
  "fanout.gateway.hooks.cms.paths[1]=?/authors/{fields.author.slug}",
  "fanout.gateway.hooks.cms.tags[0]=post:{sys.id}",
  "fanout.gateway.hooks.plain.header=X-Hook-Secret",
  "fanout.gateway.hooks.plain.header-secrets[0]=" + HEADER_SECRET,
  "fanout.gateway.hooks.plain.paths[0]={+url}",
})
class WebhookEndpointsTest {
  @RegisterExtension
  static final Replicas replicas = Replicas.start(2);

  @LocalServerPort
  int port;

  @DynamicPropertySource
  static void stages(DynamicPropertyRegistry registry) {
    replicas.addStage(registry);
  }

  private Http http() {
    return new Http(port);
  }

  private Http.Answer strapiPost(String body) {
    return http().send(http().post("/v1/webhooks/strapi", body, "application/json")
        .header("Authorization", STRAPI_TOKEN));
  }

  private Http.Answer status(String id) {
    return http().send(http().get("/v1/invalidations/" + id).header("Authorization", STRAPI_TOKEN));
  }

  /** Sends a fresh, valid change and waits until every replica applied it. */
  private void marker() {
    String slug = "marker-" + UUID.randomUUID();
    Http.Answer a = strapiPost(strapi("entry.update", slug, "m" + slug.hashCode(), Instant.now().toString()));
    assertThat(a.status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(20)).until(() -> replicas.everyReplicaHasPath("/blog/" + slug));
  }

  @Test
  void aStrapiUpdateReachesEveryReplicaAndItsStatusSaysLive() {
    Http.Answer a = strapiPost(strapi("entry.update", "hello-world", "w8x1ndcdxmmhc1ph0kvlgp1e",
        "2026-12-04T11:02:03.401Z"));

    assertThat(a.status()).isEqualTo(202);
    assertThat(a.text("result")).isEqualTo("accepted");
    assertThat(a.text("status")).isEqualTo("/v1/invalidations/" + a.text("id"));
    assertThat(a.json().get("paths").toString()).isEqualTo("[\"/blog/hello-world\",\"/blog\"]");
    assertThat(a.json().get("tags").toString()).isEqualTo("[\"article:w8x1ndcdxmmhc1ph0kvlgp1e\"]");
    await().atMost(Duration.ofSeconds(20)).until(() -> replicas.everyReplicaHasPath("/blog/hello-world"));
    for (int i = 0; i < replicas.size(); i++) {
      Invalidation applied = replicas.applied(i).stream()
          .filter(inv -> inv.paths().contains("/blog/hello-world")).findFirst().orElseThrow();
      assertThat(applied.tags()).contains("article:w8x1ndcdxmmhc1ph0kvlgp1e");
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> "DELIVERED".equals(status(a.text("id")).text("state")));
    Http.Answer s = status(a.text("id"));
    assertThat(s.status()).isEqualTo(200);
    assertThat(s.json().get("live").asBoolean()).isTrue();
    assertThat(s.text("summary")).isEqualTo("web: 2/2 replicas fresh");
    assertThat(s.json().toString()).doesNotContain("127.0.0.");
  }

  @Test
  void theSameChangeTwiceIsSentOnceAndADeleteWithTheSameUpdatedAtIsNotADuplicate() {
    String body = strapi("entry.update", "twice", "doc-twice", "2026-12-04T12:00:00.000Z");
    Http.Answer first = strapiPost(body);
    Http.Answer second = strapiPost(body);
    Http.Answer deleted = strapiPost(strapi("entry.delete", "twice", "doc-twice", "2026-12-04T12:00:00.000Z"));

    assertThat(first.status()).isEqualTo(202);
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.text("result")).isEqualTo("duplicate");
    assertThat(second.text("id")).isEqualTo(first.text("id"));
    assertThat(deleted.status()).isEqualTo(202);
    assertThat(deleted.text("id")).isNotEqualTo(first.text("id"));
    marker();
    // One update and one delete, each on both replicas (merged into one flush or not).
    await().atMost(Duration.ofSeconds(20)).until(() -> replicas.countPath("/blog/twice") >= 2);
    marker();
    assertThat(replicas.countPath("/blog/twice")).isBetween(2L, 4L);
    assertThat(replicas.applied(0).stream().filter(i -> i.paths().contains("/blog/twice")).count())
        .isLessThanOrEqualTo(2);
  }

  @Test
  void badStrapiRequestsAreRefusedWithAReasonAndNothingIsSent() {
    List<String> before = replicas.allPaths();
    String good = strapi("entry.update", "refused", "doc-refused", "2026-12-04T12:30:00.000Z");
    Http h = http();

    Http.Answer unsigned = h.send(h.post("/v1/webhooks/strapi", good, "application/json"));
    Http.Answer wrong = h.send(h.post("/v1/webhooks/strapi", good, "application/json")
        .header("Authorization", "Bearer not-the-token-0123456789"));
    Http.Answer prefix = h.send(h.post("/v1/webhooks/strapi", good, "application/json")
        .header("Authorization", STRAPI_TOKEN.substring(0, STRAPI_TOKEN.length() - 1)));
    Http.Answer type = h.send(h.post("/v1/webhooks/strapi", good, "text/plain")
        .header("Authorization", STRAPI_TOKEN));
    Http.Answer big = strapiPost(good.replace("Hello world", "x".repeat(5000)));
    Http.Answer malformed = strapiPost("{\"event\": \"entry.update\", ");
    Http.Answer trailing = strapiPost(good + " {}");
    Http.Answer model = strapiPost(good.replace("\"article\"", "\"recipe\""));
    Http.Answer event = strapiPost(good.replace("entry.update", "media.create"));
    Http.Answer noEntry = strapiPost("{\"event\":\"entry.update\",\"model\":\"article\"}");
    Http.Answer noSlug = strapiPost(good.replace("\"slug\": \"refused\",", ""));
    Http.Answer dots = strapiPost(good.replace("\"slug\": \"refused\"", "\"slug\": \"..\""));
    Http.Answer test = strapiPost("{\"event\":\"trigger-test\"}");

    assertThat(unsigned.status()).isEqualTo(401);
    assertThat(unsigned.text("error")).isEqualTo("missing header Authorization");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.text("error")).isEqualTo("wrong secret in header Authorization");
    assertThat(prefix.status()).isEqualTo(401);
    assertThat(type.status()).isEqualTo(415);
    assertThat(big.status()).isEqualTo(413);
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(trailing.status()).isEqualTo(400);
    assertThat(model.status()).isEqualTo(422);
    assertThat(model.text("error")).contains("unknown model 'recipe'");
    assertThat(event.status()).isEqualTo(422);
    assertThat(event.text("error")).contains("event 'media.create' is not handled");
    assertThat(noEntry.status()).isEqualTo(400);
    assertThat(noEntry.text("error")).contains("'entry' is missing");
    assertThat(noSlug.status()).isEqualTo(422);
    assertThat(noSlug.text("error")).contains("needs the field 'entry.slug'");
    assertThat(dots.status()).isEqualTo(422);
    assertThat(test.status()).isEqualTo(200);
    assertThat(test.text("result")).isEqualTo("ignored");
    for (Http.Answer a : List.of(unsigned, wrong, type, big, malformed, model, event, noSlug)) {
      assertThat(a.json().toString()).doesNotContain("strapi-webhook-token");
    }
    marker();
    List<String> after = replicas.allPaths();
    assertThat(after.subList(before.size(), after.size()))
        .noneMatch(p -> p.contains("refused") || p.equals("/blog/.."));
  }

  @Test
  void aSignedGenericHookMapsPointersAndTemplatesAndRefusesReplaysAndBadSignatures() {
    String body = """
        {"event":"publish","sys":{"type":"Entry","id":"p-42","updatedAt":"2026-12-04T13:00:00Z"},
         "fields":{"locale":"en-GB","slug":"caf\u00e9-&-cr\u00e8me","author":{"slug":"ana"}}}""";
    Http h = http();
    String id = "msg_" + UUID.randomUUID();
    HttpRequest.Builder signed = Http.sign(h.post("/v1/webhooks/hooks/cms", body, "application/json"),
        HOOK_SECRET, id, Instant.now(), body);
    Http.Answer a = h.send(signed);

    assertThat(a.status()).as(a.json().toString()).isEqualTo(202);
    assertThat(a.json().get("paths").toString())
        .isEqualTo("[\"/en-GB/posts/caf%C3%A9-%26-cr%C3%A8me\",\"/authors/ana\"]");
    assertThat(a.json().get("tags").toString()).isEqualTo("[\"post:p-42\"]");
    await().atMost(Duration.ofSeconds(20))
        .until(() -> replicas.everyReplicaHasPath("/en-GB/posts/caf%C3%A9-%26-cr%C3%A8me"));

    Http.Answer replay = h.send(Http.sign(h.post("/v1/webhooks/hooks/cms", body, "application/json"),
        HOOK_SECRET, id, Instant.now(), body));
    assertThat(replay.status()).isEqualTo(409);
    assertThat(replay.text("id")).isEqualTo(a.text("id"));

    String other = body.replace("p-42", "p-43");
    Http.Answer stale = h.send(Http.sign(h.post("/v1/webhooks/hooks/cms", other, "application/json"),
        HOOK_SECRET, "msg_stale", Instant.now().minus(Duration.ofMinutes(6)), other));
    Http.Answer future = h.send(Http.sign(h.post("/v1/webhooks/hooks/cms", other, "application/json"),
        HOOK_SECRET, "msg_future", Instant.now().plus(Duration.ofMinutes(6)), other));
    Http.Answer wrongKey = h.send(Http.sign(h.post("/v1/webhooks/hooks/cms", other, "application/json"),
        Replicas.SECRET, "msg_wrong", Instant.now(), other));
    Http.Answer tampered = h.send(Http.sign(h.post("/v1/webhooks/hooks/cms", other, "application/json"),
        HOOK_SECRET, "msg_tampered", Instant.now(), body));
    Http.Answer unsigned = h.send(h.post("/v1/webhooks/hooks/cms", other, "application/json"));
    String draft = other.replace("\"publish\"", "\"draft\"");
    Http.Answer unknownEvent = h.signedPost("/v1/webhooks/hooks/cms", HOOK_SECRET, draft);
    Http.Answer noHook = h.signedPost("/v1/webhooks/hooks/nope", HOOK_SECRET, other);
    // The wire grammar refuses whitespace, also encoded: refused here, never a 400 at a replica.
    Http.Answer space = h.signedPost("/v1/webhooks/hooks/cms", HOOK_SECRET,
        other.replace("-&-", " & "));

    assertThat(stale.status()).isEqualTo(401);
    assertThat(stale.text("error")).contains("outside the tolerance");
    assertThat(future.status()).isEqualTo(401);
    assertThat(wrongKey.status()).isEqualTo(401);
    assertThat(wrongKey.text("error")).isEqualTo("bad signature");
    assertThat(tampered.status()).isEqualTo(401);
    assertThat(unsigned.status()).isEqualTo(401);
    assertThat(unsigned.text("error")).startsWith("unsigned");
    assertThat(unknownEvent.status()).isEqualTo(422);
    assertThat(noHook.status()).isEqualTo(404);
    assertThat(space.status()).isEqualTo(422);
    assertThat(space.text("error")).contains("encoded whitespace");
    marker();
    assertThat(replicas.allPaths()).noneMatch(p -> p.contains("p-43"));
    assertThat(replicas.countPath("/en-GB/posts/caf%C3%A9-%26-cr%C3%A8me")).isEqualTo(2);
  }

  @Test
  void aHeaderSecretHookKeepsTheSlashesOfAPathValueButNeverAcceptsAPathTheReplicasWouldRefuse() {
    Http h = http();
    Http.Answer a = h.send(h.post("/v1/webhooks/hooks/plain", "{\"url\":\"/docs/a/b\"}", "application/json")
        .header("X-Hook-Secret", HEADER_SECRET));
    Http.Answer traversal = h.send(h.post("/v1/webhooks/hooks/plain", "{\"url\":\"/docs/../admin\"}",
        "application/json").header("X-Hook-Secret", HEADER_SECRET));
    Http.Answer relative = h.send(h.post("/v1/webhooks/hooks/plain", "{\"url\":\"docs\"}",
        "application/json").header("X-Hook-Secret", HEADER_SECRET));
    Http.Answer object = h.send(h.post("/v1/webhooks/hooks/plain", "{\"url\":{\"a\":1}}",
        "application/json").header("X-Hook-Secret", HEADER_SECRET));

    assertThat(a.status()).isEqualTo(202);
    assertThat(a.json().get("paths").toString()).isEqualTo("[\"/docs/a/b\"]");
    assertThat(traversal.status()).isEqualTo(422);
    assertThat(relative.status()).isEqualTo(422);
    assertThat(object.status()).isEqualTo(422);
    await().atMost(Duration.ofSeconds(20)).until(() -> replicas.everyReplicaHasPath("/docs/a/b"));
  }

  @Test
  void theStatusEndpointIsAuthenticatedAndSaysWhenAnIdIsUnknown() {
    Http h = http();
    assertThat(h.send(h.get("/v1/invalidations/gw_nope")).status()).isEqualTo(401);
    assertThat(h.send(h.get("/v1/invalidations/gw_nope").header("Authorization", "Bearer wrong-0123456789"))
        .status()).isEqualTo(401);
    assertThat(status("gw_nope").status()).isEqualTo(404);
    // A signed GET with the hook's secret reads it too.
    Http.Answer signed = h.send(Http.sign(h.get("/v1/invalidations/gw_nope"), HOOK_SECRET,
        "status_1", Instant.now(), ""));
    assertThat(signed.status()).isEqualTo(404);
  }

  @Test
  void theProbesAnswerAndNothingElseOfActuatorIsExposed() {
    Http h = http();
    assertThat(h.send(h.get("/actuator/health/liveness")).status()).isEqualTo(200);
    assertThat(h.send(h.get("/actuator/health/readiness")).status()).isEqualTo(200);
    // The fanout endpoint names replica addresses: not on the webhook port.
    assertThat(h.send(h.get("/actuator/fanout")).status()).isEqualTo(404);
  }
}
