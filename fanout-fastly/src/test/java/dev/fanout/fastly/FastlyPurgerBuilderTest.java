package dev.fanout.fastly;

import dev.fanout.internal.DaemonThreads;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests for {@link FastlyPurger.Builder}: settings are validated and problems named. */
class FastlyPurgerBuilderTest {

  private static FastlyPurger.Builder valid() {
    return FastlyPurger.builder().serviceId("SU1Z0isx").apiToken("t0ken").host("www.example.com");
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    FastlyPurger p = valid().build();

    assertThat(p.name()).isEqualTo("fastly:SU1Z0isx");
    assertThat(p.baseUri).isEqualTo(URI.create("https://api.fastly.com"));
    assertThat(p.softPurge).isTrue();
    assertThat(p.purgeAll).isFalse();
    assertThat(p.purgePaths).isTrue();
    assertThat(p.attemptTimeout).isEqualTo(Duration.ofSeconds(10));
    assertThat(p.deadline).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.concurrency).isEqualTo(8);
    assertThat(p.retry.policy()).isEqualTo(dev.fanout.RetryPolicy.defaults());
    assertThat(p.client.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(p.client.followRedirects()).isEqualTo(HttpClient.Redirect.NEVER);
    assertThat(p.client.connectTimeout()).contains(Duration.ofSeconds(5));
  }

  @Test
  void aGivenClientIsUsedAsIs() {
    HttpClient client = HttpClient.newBuilder().build();

    assertThat(valid().httpClient(client).build().client).isSameAs(client);
    assertThat(valid().connectTimeout(Duration.ofSeconds(1)).build().client.connectTimeout())
        .contains(Duration.ofSeconds(1));
  }

  @Test
  void missingRequiredSettingsAreNamed() {
    assertThatThrownBy(() -> FastlyPurger.builder().apiToken("t").host("h").build())
        .isInstanceOf(IllegalStateException.class).hasMessage("serviceId is required");
    assertThatThrownBy(() -> FastlyPurger.builder().serviceId("s").host("h").build())
        .isInstanceOf(IllegalStateException.class).hasMessage("apiToken is required");
    assertThatThrownBy(() -> FastlyPurger.builder().serviceId("s").apiToken("t").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("host is required");
    assertThat(FastlyPurger.builder().serviceId("s").apiToken("t").purgePaths(false).build())
        .isNotNull();
  }

  @Test
  void conflictingSettingsAreRejected() {
    assertThatThrownBy(() -> valid().httpClient(HttpClient.newHttpClient())
            .connectTimeout(Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("connectTimeout");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "SU1Z-0isx", "SU1Z/0isx", "../x", "SU1Z 0isx"})
  void badServiceIdsAreRejected(String id) {
    assertThatThrownBy(() -> FastlyPurger.builder().serviceId(id))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("serviceId");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  ", "tok en", "tök", "tok\r\nX-Evil: 1"})
  void badTokensAreRejected(String token) {
    assertThatThrownBy(() -> FastlyPurger.builder().apiToken(token))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("apiToken");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "www.example.com/path", "https://www.example.com/path",
      "user@www.example.com", "www.example.com?x", "-bad.example.com", "ex ample.com",
      "caf\u00e9.example"})
  void badHostsAreRejected(String host) {
    assertThatThrownBy(() -> FastlyPurger.builder().host(host))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://api.fastly.com", "api.fastly.com", "https://api.fastly.com?x=1",
      "https://u:p@api.fastly.com", "http://api.fastly.com", "http://localhost:8080",
      "http://10.0.0.1"})
  void badBaseUrisAreRejected(String uri) {
    assertThatThrownBy(() -> FastlyPurger.builder().baseUri(URI.create(uri)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("baseUri");
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://api.fastly.com/", "http://127.0.0.1:8080", "http://[::1]:8080/",
      "http://127.0.0.2"})
  void httpsAndLoopbackBaseUrisAreAccepted(String uri) {
    FastlyPurger p = valid().baseUri(URI.create(uri)).build();

    assertThat(p.baseUri.toString()).doesNotEndWith("/");
  }

  @Test
  void badNumbersAreRejected() {
    assertThatThrownBy(() -> valid().attemptTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attemptTimeout");
    assertThatThrownBy(() -> valid().connectTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectTimeout");
    assertThatThrownBy(() -> valid().deadline(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deadline");
    assertThatThrownBy(() -> valid().concurrency(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("concurrency");
    assertThatThrownBy(() -> valid().serviceId(null))
        .isInstanceOf(NullPointerException.class).hasMessage("serviceId");
  }

  @Test
  void hostsAreNormalisedAndDeduplicated() {
    FastlyPurger p = valid().host("WWW.Example.com").host("https://www.example.com").build();

    assertThat(p.hosts).containsExactly("www.example.com");
  }

  @Test
  void daemonThreadsAreNamedDaemons() {
    Thread t = new DaemonThreads("fanout-fastly-http").newThread(() -> { });

    assertThat(t.isDaemon()).isTrue();
    assertThat(t.getName()).isEqualTo("fanout-fastly-http-1");
  }
}
