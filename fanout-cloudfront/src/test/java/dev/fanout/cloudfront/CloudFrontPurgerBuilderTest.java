package dev.fanout.cloudfront;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudfront.CloudFrontAsyncClient;

/** Tests for {@link CloudFrontPurger.Builder}: validation and what the purger shows of itself. */
class CloudFrontPurgerBuilderTest {

  // Never called: nothing listens on the discard port of loopback.
  private final CloudFrontAsyncClient client = TestClients.client(URI.create("http://127.0.0.1:9"));

  @AfterEach
  void close() {
    client.close();
  }

  @Test
  void buildsWithTheRequiredSettingsAndNamesItselfAfterTheDistribution() {
    CloudFrontPurger purger =
        CloudFrontPurger.builder().client(client).distributionId("E2QWRUHEXAMPLE").build();

    assertThat(purger.name()).isEqualTo("cloudfront:E2QWRUHEXAMPLE");
    assertThat(purger.distributionId()).isEqualTo("E2QWRUHEXAMPLE");
    assertThat(purger.inFlightPaths()).isZero();
    assertThat(purger.toString())
        .contains("E2QWRUHEXAMPLE", "tags off")
        .doesNotContain(TestClients.ACCESS_KEY)
        .doesNotContain(TestClients.SECRET_KEY);
  }

  @Test
  void missingSettingsAreNamedWhenBuilding() {
    assertThatThrownBy(() -> CloudFrontPurger.builder().distributionId("E1").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("client is required");
    assertThatThrownBy(() -> CloudFrontPurger.builder().client(client).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("distributionId is required");
  }

  @Test
  void invalidValuesAreRejectedWithTheirName() {
    CloudFrontPurger.Builder b = CloudFrontPurger.builder();
    assertThatThrownBy(() -> b.distributionId("d111111abcdef8.cloudfront.net"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("distributionId")
        .hasMessageContaining("not a domain name");
    assertThatThrownBy(() -> b.distributionId(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.collapseAbove(-1)).hasMessageContaining("collapseAbove");
    assertThatThrownBy(() -> b.inFlightLimits(3_001, 15)).hasMessageContaining("in-flight paths");
    assertThatThrownBy(() -> b.inFlightLimits(3_000, 16))
        .hasMessageContaining("in-flight wildcards");
    assertThatThrownBy(() -> b.waitForCompletion(Duration.ofSeconds(-1)))
        .hasMessageContaining("waitForCompletion");
    assertThatThrownBy(() -> b.pollInterval(Duration.ZERO)).hasMessageContaining("pollInterval");
    assertThatThrownBy(() -> b.deadline(Duration.ZERO)).hasMessageContaining("deadline");
    assertThatThrownBy(() -> b.attemptTimeout(Duration.ZERO)).hasMessageContaining("attemptTimeout");
    assertThatThrownBy(() -> b.callTimeout(Duration.ZERO)).hasMessageContaining("callTimeout");
    assertThatThrownBy(() -> b.retry(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> CloudFrontPurger.builder().client(client).distributionId("E1")
            .attemptTimeout(Duration.ofSeconds(2)).callTimeout(Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("callTimeout (PT1S) must be >= attemptTimeout (PT2S)");
  }

  @Test
  void aNullInvalidationFailsTheFutureInsteadOfThrowing() {
    CloudFrontPurger purger =
        CloudFrontPurger.builder().client(client).distributionId("E1").build();
    assertThat(purger.purge(null)).isCompletedExceptionally();
    assertThatThrownBy(() -> purger.plan(null)).isInstanceOf(NullPointerException.class);
  }
}
