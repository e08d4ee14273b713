package dev.fanout.cloudflare;

import static dev.fanout.cloudflare.FakeCloudflare.error;
import static dev.fanout.cloudflare.FakeCloudflare.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.Invalidation;
import dev.fanout.PurgeException;
import dev.fanout.RetryPolicy;
import dev.fanout.spi.PurgeResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** Tests for {@link CloudflarePurger}: the API token never leaves the Authorization header. */
class CloudflarePurgerSecretsTest {
  private static final String TOKEN = FakeCloudflare.TOKEN;
  @AutoClose private final Harness h = new Harness(Plan.PRO);

  @Test
  void toStringMasksTheToken() {
    CloudflarePurger purger = h.purger().build();

    assertThat(purger.toString())
        .contains(FakeCloudflare.ZONE).contains(h.accountId).contains("apiToken=****")
        .doesNotContain(TOKEN);
    assertThat(purger.name()).isEqualTo("cloudflare:" + FakeCloudflare.ZONE);
  }

  @Test
  void theTokenTravelsOnlyInTheAuthorizationHeader() {
    // Given
    CloudflarePurger purger = h.purger().build();

    // When
    Harness.join(purger.purge(Invalidation.builder().tag("post:42").path("/a?b=c").path("/d/*")
        .build()));

    // Then
    assertThat(h.server.requests()).hasSize(3).allSatisfy(r -> {
      assertThat(r.rawPath()).doesNotContain(TOKEN);
      assertThat(String.valueOf(r.rawQuery())).doesNotContain(TOKEN);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).doesNotContain(TOKEN);
      r.headers().forEach((name, values) -> {
        if (name.equalsIgnoreCase("Authorization")) {
          assertThat(values).containsExactly("Bearer " + TOKEN);
        } else {
          assertThat(values).noneMatch(v -> v.contains(TOKEN));
        }
      });
    });
  }

  @Test
  void aTokenReflectedByTheServerIsScrubbedFromFailures() {
    // Given: an error answer that echoes the token back
    CloudflarePurger purger = h.purger().build();
    h.server.enqueue(error(403, 10000, "bad token " + TOKEN));

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(e.getMessage()).contains("bad token ****").doesNotContain(TOKEN);
    assertThat(e.toString()).doesNotContain(TOKEN);
  }

  @Test
  void aTokenReflectedInAPartialFailureIsScrubbedFromTheResult() {
    // Given
    CloudflarePurger purger = h.purger().concurrency(1).build();
    h.server.enqueue(FakeCloudflare.asCloudflare(), error(400, 1015, TOKEN),
        status(200, "{\"success\":true,\"result\":{\"id\":\"" + TOKEN + "\"}}"));

    // When
    PurgeResult result = Harness.join(
        purger.purge(Invalidation.builder().tag("post:42").path("/a").path("/b*").build()));

    // Then
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.toString()).doesNotContain(TOKEN);
    assertThat(result.detail()).contains("error 1015 ****");
    assertThat(result.requestIds()).contains("****");
  }

  @Test
  void logsNeverContainTheToken() {
    // Given: slf4j-simple writes to System.err (see simplelogger.properties), at DEBUG for fanout
    CloudflarePurger purger = h.purger().concurrency(1).build();
    h.server.enqueue(error(503, 10000, TOKEN), FakeCloudflare.asCloudflare(),
        error(403, 10000, "Authentication error"));
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.err;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      // When: a retry, a success, and a refusal
      var stage = purger.purge(Invalidation.builder().tag("post:42").path("/a").path("/b/*")
          .build());
      Duration backoff = Harness.backoff(RetryPolicy.defaults(), 1);
      h.awaitNextDelay(backoff);
      h.scheduler.advance(backoff);
      assertThat(Harness.join(stage).isSuccess()).isFalse();
    } finally {
      System.setErr(original);
    }

    // Then: per-request detail and the alarm were logged, the token never
    String log = captured.toString(StandardCharsets.UTF_8);
    assertThat(log)
        .contains("DEBUG dev.fanout.cloudflare.CloudflarePurger - Cloudflare zone "
            + FakeCloudflare.ZONE + ": tags 1/1")
        .contains("HTTP 503")
        .contains("WARN dev.fanout.cloudflare.CloudflarePurger - Cloudflare refused the API token"
            + " for zone '" + FakeCloudflare.ZONE + "'")
        .doesNotContain(TOKEN);
  }

  @Test
  void builderErrorsDoNotEchoTheToken() {
    assertThatThrownBy(() -> CloudflarePurger.builder().apiToken("secret-with space"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("apiToken")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> CloudflarePurger.builder().apiToken("Bearer secret-value"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without the 'Bearer ' prefix")
        .hasMessageNotContaining("secret-value");
  }
}
