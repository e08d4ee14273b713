package dev.fanout.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.testing.ManualClock;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Tests for {@link CloudflarePurger.Builder}, {@link Plan} and {@link PurgeLimits}. */
class CloudflarePurgerBuilderTest {
  private static final String ZONE = "023e105f4ecef8ad9ca31a8372d0c353";

  private static String account(int n) {
    return String.format("%032x", 0xb0b0_0000L + n);
  }

  private static CloudflarePurger.Builder valid(int account) {
    return CloudflarePurger.builder().zoneId(ZONE).accountId(account(account)).apiToken("t0ken")
        .plan(Plan.PRO).host("www.example.com");
  }

  @Test
  void requiredSettingsAreNamed() {
    assertThatThrownBy(() -> CloudflarePurger.builder().build())
        .isInstanceOf(IllegalStateException.class).hasMessage("zoneId is required");
    assertThatThrownBy(() -> CloudflarePurger.builder().zoneId(ZONE).build())
        .hasMessageStartingWith("accountId is required: Cloudflare's purge limits apply per"
            + " account");
    assertThatThrownBy(() -> CloudflarePurger.builder().zoneId(ZONE).accountId(account(1)).build())
        .hasMessage("apiToken is required");
    assertThatThrownBy(() -> CloudflarePurger.builder().zoneId(ZONE).accountId(account(1))
        .apiToken("t").build())
        .hasMessageStartingWith("a plan is required: plan(Plan.FREE | PRO | BUSINESS |");
    assertThatThrownBy(() -> CloudflarePurger.builder().zoneId(ZONE).accountId(account(1))
        .apiToken("t").plan(Plan.FREE).build())
        .hasMessageStartingWith("host is required to purge paths");
    assertThat(CloudflarePurger.builder().zoneId(ZONE).accountId(account(2)).apiToken("t")
        .plan(Plan.FREE).purgePaths(false).build().name()).isEqualTo("cloudflare:" + ZONE);
  }

  @Test
  void idsAre32HexDigits() {
    assertThatThrownBy(() -> CloudflarePurger.builder().zoneId("example.com"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("zoneId must be 32 hexadecimal digits (the id, not a name): 'example.com'");
    assertThatThrownBy(() -> CloudflarePurger.builder().accountId("abc"))
        .hasMessageStartingWith("accountId must be 32 hexadecimal digits");
    assertThat(CloudflarePurger.builder().zoneId(ZONE.toUpperCase()).accountId(account(3))
        .apiToken("t").plan(Plan.PRO).purgePaths(false).build().name())
        .isEqualTo("cloudflare:" + ZONE);
  }

  @Test
  void hostsAreHostNamesOrOriginUrls() {
    assertThatThrownBy(() -> CloudflarePurger.builder().host("https://www.example.com/blog"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host must be a host name");
    assertThatThrownBy(() -> CloudflarePurger.builder().host("exa mple.com"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(valid(4).host("HTTP://Www.Example.com").build().toString())
        .contains("hosts=[https://www.example.com, http://www.example.com]");
  }

  @Test
  void baseUriIsHttpsUnlessLoopback() {
    assertThatThrownBy(() -> CloudflarePurger.builder().baseUri(URI.create("http://api.example")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must use https unless it is a loopback address");
    assertThatThrownBy(() -> CloudflarePurger.builder().baseUri(URI.create("ftp://x")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(valid(5).baseUri(URI.create("http://127.0.0.1:9/")).build().toString())
        .contains("baseUri=http://127.0.0.1:9,");
  }

  @Test
  void durationsAndConcurrencyArePositive() {
    assertThatThrownBy(() -> CloudflarePurger.builder().deadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deadline must be > 0");
    assertThatThrownBy(() -> CloudflarePurger.builder().attemptTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("attemptTimeout must be > 0");
    assertThatThrownBy(() -> CloudflarePurger.builder().concurrency(0))
        .hasMessageContaining("concurrency must be >= 1");
    assertThatThrownBy(() -> valid(6).httpClient(java.net.http.HttpClient.newHttpClient())
        .connectTimeout(Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("connectTimeout");
  }

  @Test
  void purgersOfOneAccountMustAgreeOnLimitsAndClock() {
    valid(7).build();
    valid(7).build();

    assertThatThrownBy(() -> valid(7).plan(Plan.FREE).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("account " + account(7) + " already has purgers with limits")
        .hasMessageContaining("same plan or limits");
    assertThatThrownBy(() -> valid(7).clock(new ManualClock()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("another clock");
  }

  @Test
  void plansCarryTheDocumentedLimits() {
    assertThat(Plan.FREE.limits()).isEqualTo(
        new PurgeLimits(5, Duration.ofMinutes(1), 25, 100, 100, 800));
    assertThat(Plan.PRO.limits()).isEqualTo(
        new PurgeLimits(5, Duration.ofSeconds(1), 25, 100, 100, 1_500));
    assertThat(Plan.BUSINESS.limits()).isEqualTo(
        new PurgeLimits(10, Duration.ofSeconds(1), 50, 100, 100, 1_500));
    assertThat(Plan.ENTERPRISE.limits()).isEqualTo(
        new PurgeLimits(50, Duration.ofSeconds(1), 500, 100, 500, 3_000));
    assertThat(PurgeLimits.of(Plan.FREE).withMaxPerRequest(100, 30).maxUrlsPerRequest())
        .isEqualTo(30);
  }

  @Test
  void limitsAreValidated() {
    assertThatThrownBy(() -> new PurgeLimits(0, Duration.ofSeconds(1), 1, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("requests must be >= 1: 0");
    assertThatThrownBy(() -> new PurgeLimits(1, Duration.ofDays(2), 1, 1, 1, 1))
        .hasMessageContaining("per must be from 1 ms to 1 day");
    assertThatThrownBy(() -> Plan.PRO.limits().withUrlsPerSecond(0))
        .hasMessage("urlsPerSecond must be >= 1: 0");
  }
}
