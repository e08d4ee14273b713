package dev.fanout.gateway;

import static dev.fanout.gateway.Payloads.STRAPI_TOKEN;
import static dev.fanout.gateway.Payloads.strapi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.jdbc.TestPostgres;
import dev.fanout.spi.Journal;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The gateway with the journal in a real PostgreSQL (fanout-jdbc's {@code JdbcJournal}, built by
 * the starter from {@code spring.datasource.*} and {@code fanout.journal.*}): a webhook is answered
 * 202 only once its invalidation is committed, statuses come from the journal, a database outage is
 * a 503 that the CMS retries, and an entry nobody is sending is claimed and sent.
 */
@SpringBootTest(classes = GatewayApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
  "server.address=127.0.0.1",
  "fanout.coalescer.quiet-period=20ms",
  "fanout.journal.enabled=true",
  "fanout.journal.create-schema=true",
  "fanout.journal.listen=false",
  "fanout.journal.poll-interval=200ms",
  "fanout.journal.append-timeout=5s",
  "spring.datasource.username=postgres",
  "spring.datasource.hikari.connection-timeout=1000",
  "spring.datasource.hikari.validation-timeout=500",
  "spring.datasource.hikari.initialization-fail-timeout=-1",
  "fanout.gateway.strapi.secrets[0]=" + STRAPI_TOKEN,
  "fanout.gateway.strapi.models.article.paths[0]=/blog/{entry.slug}",
  "fanout.gateway.strapi.models.article.tags[0]=article:{entry.documentId}",
})
class JournalGatewayTest {
  private static final TestPostgres pg = TestPostgres.start();
  @RegisterExtension
  static final Replicas replicas = Replicas.start(2);

  @LocalServerPort
  int port;

  @Autowired
  Journal journal;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.datasource.url", () -> "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres");
    replicas.addStage(registry);
  }

  @AfterAll
  static void stop() {
    pg.close();
  }

  private Http.Answer strapiPost(String body) {
    Http h = new Http(port);
    return h.send(h.post("/v1/webhooks/strapi", body, "application/json")
        .header("Authorization", STRAPI_TOKEN));
  }

  private Http.Answer status(String id) {
    Http h = new Http(port);
    return h.send(h.get("/v1/invalidations/" + id).header("Authorization", STRAPI_TOKEN));
  }

  @Test
  void anAcceptedWebhookIsInTheJournalBeforeTheAnswerAndItsOutcomeIsRecordedThere() {
    Http.Answer a = strapiPost(strapi("entry.publish", "journaled", "doc-j", "2026-12-04T10:00:00Z"));

    assertThat(a.status()).isEqualTo(202);
    assertThat(a.json().get("durable").asBoolean()).isTrue();
    // Committed before the answer: the journal knows the id now.
    assertThat(journal.status(a.text("id"))).isPresent();
    await().atMost(Duration.ofSeconds(20)).until(() -> journal.status(a.text("id"))
        .map(s -> s.state() == InvalidationStatus.State.DELIVERED).orElse(false));
    Http.Answer s = status(a.text("id"));
    assertThat(s.text("state")).isEqualTo("DELIVERED");
    assertThat(s.text("summary")).isEqualTo("web: 2/2 replicas fresh");
    assertThat(replicas.everyReplicaHasPath("/blog/journaled")).isTrue();

    // The same change again, another delivery: the journal recognises it; nothing new is sent.
    Http.Answer again = strapiPost(strapi("entry.publish", "journaled", "doc-j", "2026-12-04T10:00:00Z"));
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.text("result")).isEqualTo("duplicate");
    assertThat(again.text("id")).isEqualTo(a.text("id"));
  }

  @Test
  void withTheDatabaseDownAWebhookGets503AndNothingIsSentThenItsRetrySucceeds() {
    String body = strapi("entry.update", "outage", "doc-o", "2026-12-04T10:30:00Z");
    pg.stop();
    Http.Answer down;
    Http.Answer statusDown;
    try {
      down = strapiPost(body);
      statusDown = status("gw_any");
    } finally {
      pg.startServer();
    }

    assertThat(down.status()).isEqualTo(503);
    assertThat(down.retryAfter()).isEqualTo("5");
    assertThat(down.text("error")).contains("journal");
    assertThat(statusDown.status()).isEqualTo(503);
    assertThat(replicas.countPath("/blog/outage")).isZero();

    // The CMS retries once the database is back (a new connection per attempt, Hikari's).
    await().atMost(Duration.ofSeconds(30)).until(() -> strapiPost(body).status() == 202);
    await().atMost(Duration.ofSeconds(20)).until(() -> replicas.everyReplicaHasPath("/blog/outage"));
  }

  @Test
  void anEntryNobodyIsSendingIsClaimedAndSent() {
    // As a gateway that stopped after committing, before sending: pending, unclaimed.
    Invalidation stranded = Invalidation.builder().id("gw_stranded").path("/blog/stranded").build();
    journal.append(stranded);

    await().atMost(Duration.ofSeconds(20)).until(() -> replicas.everyReplicaHasPath("/blog/stranded"));
    await().atMost(Duration.ofSeconds(20)).until(() -> "DELIVERED".equals(status("gw_stranded").text("state")));
    // Read from the journal as the sender stored it: counts, no host.
    assertThat(status("gw_stranded").text("summary")).isEqualTo("web: 2/2 replicas fresh");
    assertThat(replicas.applied(0).stream().filter(i -> i.paths().contains("/blog/stranded"))
        .count()).isEqualTo(1);
  }
}
