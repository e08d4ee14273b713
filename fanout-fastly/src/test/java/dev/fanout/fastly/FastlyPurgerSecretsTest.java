package dev.fanout.fastly;

import static dev.fanout.fastly.FakeFastly.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.Invalidation;
import dev.fanout.PurgeException;
import dev.fanout.spi.PurgeResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** Tests for {@link FastlyPurger}: the API token never leaves the {@code Fastly-Key} header. */
class FastlyPurgerSecretsTest {
  @AutoClose private final Harness h = new Harness();

  @Test
  void toStringMasksTheToken() {
    FastlyPurger purger = h.purger().build();

    assertThat(purger.toString())
        .contains("SU1Z0isx").contains("apiToken=****").doesNotContain(FakeFastly.TOKEN);
    assertThat(purger.name()).isEqualTo("fastly:SU1Z0isx");
  }

  @Test
  void theTokenTravelsOnlyInTheFastlyKeyHeader() {
    // Given
    FastlyPurger purger = h.purger().build();

    // When
    Harness.join(purger.purge(Invalidation.builder().tag("post:42").path("/a?b=c").build()));

    // Then
    assertThat(h.server.requests()).hasSize(2).allSatisfy(r -> {
      assertThat(r.rawPath()).doesNotContain(FakeFastly.TOKEN);
      assertThat(String.valueOf(r.rawQuery())).doesNotContain(FakeFastly.TOKEN);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).doesNotContain(FakeFastly.TOKEN);
      r.headers().forEach((name, values) -> {
        if (!name.equalsIgnoreCase("Fastly-Key")) {
          assertThat(values).noneMatch(v -> v.contains(FakeFastly.TOKEN));
        }
      });
    });
  }

  @Test
  void aTokenReflectedByTheServerIsScrubbedFromFailures() {
    // Given: an error answer that echoes the token back
    FastlyPurger purger = h.purger().build();
    h.server.enqueue(status(401, "{\"msg\":\"bad key " + FakeFastly.TOKEN + "\"}"));

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(e.getMessage()).contains("bad key ****").doesNotContain(FakeFastly.TOKEN);
    assertThat(e.toString()).doesNotContain(FakeFastly.TOKEN);
  }

  @Test
  void aTokenReflectedInAPartialFailureIsScrubbedFromTheResult() {
    // Given
    FastlyPurger purger = h.purger().concurrency(1).build();
    h.server.enqueue(FakeFastly.fastly(), status(400, "{\"msg\":\"" + FakeFastly.TOKEN + "\"}"));

    // When
    PurgeResult result = Harness.join(
        purger.purge(Invalidation.builder().tag("post:42").path("/a").build()));

    // Then
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.toString()).doesNotContain(FakeFastly.TOKEN);
    assertThat(result.detail()).contains("HTTP 400 ****");
  }

  @Test
  void logsNeverContainTheToken() {
    // Given: slf4j-simple writes to System.err (see simplelogger.properties), at DEBUG for fanout
    FastlyPurger purger = h.purger().concurrency(1).build();
    h.server.enqueue(status(503, "{\"msg\":\"" + FakeFastly.TOKEN + "\"}"),
        FakeFastly.fastly(),
        status(401, "{\"msg\":\"Provided credentials are missing or invalid\"}"));
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.err;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      // When: a retry, a success, and a refusal
      var stage = purger.purge(Invalidation.builder().tag("post:42").path("/a").path("/b").build());
      Duration backoff = Harness.backoff(dev.fanout.RetryPolicy.defaults(), 1);
      h.awaitNextDelay(backoff);
      h.scheduler.advance(backoff);
      Harness.join(stage);
    } finally {
      System.setErr(original);
    }

    // Then: per-request detail and the alarm were logged, the token never
    String log = captured.toString(StandardCharsets.UTF_8);
    assertThat(log)
        .contains("DEBUG dev.fanout.fastly.FastlyPurger - Fastly service SU1Z0isx: key batch 1/1")
        .contains("HTTP 503")
        .contains("WARN dev.fanout.fastly.FastlyPurger - Fastly refused the API token for service"
            + " 'SU1Z0isx'")
        .doesNotContain(FakeFastly.TOKEN);
  }

  @Test
  void builderErrorsDoNotEchoTheToken() {
    String token = "secret-with space";

    assertThatThrownBy(() -> FastlyPurger.builder().apiToken(token))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("apiToken")
        .hasMessageNotContaining("secret");
  }
}
