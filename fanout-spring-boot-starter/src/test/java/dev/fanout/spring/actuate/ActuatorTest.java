package dev.fanout.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.Invalidator;
import dev.fanout.catchup.CatchUpRecord;
import dev.fanout.catchup.CatchUpReport;
import dev.fanout.spi.Journal;
import dev.fanout.spring.Fixtures;
import dev.fanout.testing.LoopbackPod;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.health.HealthContributorAutoConfiguration;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The health indicator and the endpoint, over a real invalidator and real replicas. */
class ActuatorTest {
  private LoopbackPod pod;
  private ApplicationContextRunner runner;

  @BeforeEach
  void start() throws Exception {
    pod = LoopbackPod.start("127.0.0.2", LoopbackPod.ok());
    runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class,
            HealthContributorAutoConfiguration.class))
        .withConfiguration(Fixtures.starter())
        .withPropertyValues("management.endpoints.web.exposure.include=fanout", "fanout.stages[0].name=web",
            "fanout.stages[0].discovery.endpoints=" + pod.endpoint().authority(),
            "fanout.stages[0].notifier.signing-secret=" + Fixtures.SECRET,
            "fanout.stages[0].retry.max-attempts=1");
  }

  @AfterEach
  void stop() {
    pod.close();
  }

  @Test
  void upUntilAnInvalidationIsIncompleteThenUpAgainOnceOneCompletes() {
    runner.run(context -> {
      FanoutHealthIndicator health = context.getBean(FanoutHealthIndicator.class);
      Invalidator invalidator = context.getBean(Invalidator.class);
      Health h = health.health();
      assertThat(h.getStatus()).isEqualTo(Status.UP);
      assertThat(h.getDetails().get("stages")).isEqualTo(Map.of("web",
          Map.of("replicas", 1L, "minTargets", 1, "status", "ok")));

      pod.behave(LoopbackPod.statuses(401));
      invalidator.invalidate(Invalidation.builder().path("/a").build()).join();
      h = health.health();
      assertThat(h.getStatus()).isEqualTo(Status.DOWN);
      assertThat(h.getDetails().get("lastInvalidation").toString()).contains("complete=false", "401");

      pod.behave(LoopbackPod.ok());
      invalidator.invalidate(Invalidation.builder().path("/a").build()).join();
      assertThat(health.health().getStatus()).isEqualTo(Status.UP);
      assertThat(health.health().getDetails().get("recent")).isEqualTo(Map.of("kept", 2, "incomplete", 1L));
    });
  }

  @Test
  void downWhenDiscoveryFindsTooFewReplicas() {
    runner.withPropertyValues("fanout.stages[0].min-targets=3").run(context -> {
      Health h = context.getBean(FanoutHealthIndicator.class).health();
      assertThat(h.getStatus()).isEqualTo(Status.DOWN);
      assertThat(h.getDetails().get("stages").toString()).contains("too few replicas");
    });
  }

  @Test
  void downWhenTheJournalBacklogIsAboveTheThreshold() {
    runner.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=jdbc:h2:mem:health;DB_CLOSE_DELAY=-1",
            "fanout.journal.enabled=true", "fanout.journal.create-schema=true", "fanout.health.max-journal-backlog=1")
        .run(context -> {
          Journal journal = context.getBean(Journal.class);
          FanoutHealthIndicator health = context.getBean(FanoutHealthIndicator.class);
          journal.append(Invalidation.builder().path("/a").build());
          assertThat(health.health().getStatus()).isEqualTo(Status.UP);
          journal.append(Invalidation.builder().path("/b").build());
          Health h = health.health();
          assertThat(h.getStatus()).isEqualTo(Status.DOWN);
          assertThat(h.getDetails().get("journal").toString()).contains("pending=2", "backlog above 1");
        });
  }

  @Test
  void theEndpointListsStagesAndRecentReportsWithoutSecrets() {
    runner.withPropertyValues("fanout.stages[1].name=cdn", "fanout.stages[1].fastly.service-id=SU1Z0isx",
            "fanout.stages[1].fastly.api-token=fastly-token-never-shown", "fanout.stages[1].fastly.purge-paths=false",
            "fanout.stages[1].fastly.base-uri=http://127.0.0.1:1", "fanout.stages[1].gate=proceed")
        .run(context -> {
          FanoutEndpoint endpoint = context.getBean(FanoutEndpoint.class);
          Invalidation inv = Invalidation.builder().path("/blog/hello").build();
          context.getBean(Invalidator.class).invalidate(inv).join();

          FanoutEndpoint.Overview overview = endpoint.overview();
          assertThat(overview.stages()).extracting(FanoutEndpoint.StageView::name).containsExactly("web", "cdn");
          assertThat(overview.recent()).hasSize(1);
          assertThat(overview.recent().get(0).id()).isEqualTo(inv.id());
          assertThat(overview.recent().get(0).detail()).isNull();

          FanoutEndpoint.ReportView one = (FanoutEndpoint.ReportView) endpoint.invalidation(inv.id());
          assertThat(one.detail()).contains("ACKED", pod.endpoint().authority());
          assertThat(endpoint.invalidation("inv_unknown")).isNull();

          String json = new ObjectMapper().findAndRegisterModules().writeValueAsString(overview)
              + new ObjectMapper().findAndRegisterModules().writeValueAsString(one);
          assertThat(json).contains("\"paths\":1", "web: 1/1 acked",
              "{\"name\":\"cdn\",\"status\":\"SUCCEEDED\",\"acked\":1,\"failed\":0,\"expected\":1")
              .doesNotContain(Fixtures.SECRET_BODY, "fastly-token-never-shown");
        });
  }

  @Test
  void theEndpointAnswersAJournalStatusForAnIdItNoLongerKeeps() {
    runner.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=jdbc:h2:mem:status;DB_CLOSE_DELAY=-1",
            "fanout.journal.enabled=true", "fanout.journal.create-schema=true")
        .run(context -> {
          Invalidation inv = Invalidation.builder().path("/a").build();
          context.getBean(Journal.class).append(inv);
          Object answer = context.getBean(FanoutEndpoint.class).invalidation(inv.id());
          // The invalidator sends from this journal, so the entry may already be claimed: the answer
          // is the journal's record of this id, whatever state its sender has reached.
          assertThat(answer).isInstanceOf(InvalidationStatus.class);
          assertThat(((InvalidationStatus) answer).id()).isEqualTo(inv.id());
          assertThat(((InvalidationStatus) answer).acceptedAt()).isNotNull();
        });
  }

  @Test
  void theOverviewListsTheJournalsRecentCatchUps() {
    runner.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=jdbc:h2:mem:catchups;DB_CLOSE_DELAY=-1",
            "fanout.journal.enabled=true", "fanout.journal.create-schema=true")
        .run(context -> {
          FanoutEndpoint endpoint = context.getBean(FanoutEndpoint.class);
          assertThat(endpoint.overview().catchUps()).isEmpty();
          CatchUpRecord record = new CatchUpRecord("web", "10.0.0.7:3000", CatchUpReport.Reason.JOINED,
              CatchUpReport.Outcome.CAUGHT_UP, Instant.parse("2026-12-04T10:00:00Z"),
              Instant.parse("2026-12-03T10:00:00Z"), 12, 3, 7, 1, Duration.ofMillis(45), null);
          context.getBean(Journal.class).recordCatchUp(record);
          assertThat(endpoint.overview().catchUps()).containsExactly(record);
        });
  }

  @Test
  void aReceivingOnlyApplicationHasTheEndpointButNoHealthIndicator() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class, HealthContributorAutoConfiguration.class))
        .withConfiguration(Fixtures.starter())
        .withPropertyValues("management.endpoints.web.exposure.include=fanout")
        .run(context -> {
          assertThat(context).doesNotHaveBean(FanoutHealthIndicator.class);
          assertThat(context.getBean(FanoutEndpoint.class).overview().stages()).isEmpty();
        });
  }
}
