package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests for {@link Invalidation} and {@link Endpoint} validation. */
class ValuesTest {

  @Test
  void invalidationsAreValidatedAndDeduplicated() {
    Invalidation i = Invalidation.builder().path("/a").path("/a").tag("t").tag("t").path("/b*").build();
    assertThat(i.paths()).containsExactly("/a", "/b*");
    assertThat(i.tags()).containsExactly("t");
    assertThat(i.id()).matches("inv_[0-9a-f]{32}");
    assertThat(Invalidation.ofPaths("/x").id()).isNotEqualTo(Invalidation.ofPaths("/x").id());
  }

  @Test
  void badInvalidationsAreRejectedNamingTheProblem() {
    assertThatThrownBy(() -> Invalidation.builder().build()).hasMessageContaining("at least one path or tag");
    assertThatThrownBy(() -> Invalidation.ofPaths("relative")).hasMessageContaining("absolute");
    assertThatThrownBy(() -> Invalidation.ofPaths("/a\r\nX-Injected: 1"))
        .hasMessageContaining("control character").hasMessageContaining("\\x0d");
    assertThatThrownBy(() -> Invalidation.ofTags("a\u0000b")).hasMessageContaining("control character");
    assertThatThrownBy(() -> Invalidation.ofTags(" ")).hasMessageContaining("blank");
    assertThatThrownBy(() -> Invalidation.builder().id("a.b").path("/").build()).hasMessageContaining("id");
    assertThatThrownBy(() -> new Invalidation("x", List.of("/"), List.of(), null, 3L))
        .hasMessageContaining("version needs an entity");
    assertThatThrownBy(() -> Invalidation.ofPaths("/" + "a".repeat(Invalidation.MAX_PATH_LENGTH)))
        .hasMessageContaining("longer than");
  }

  @Test
  void endpointsNormaliseAddresses() {
    assertThat(Endpoint.of("::1", 80)).isEqualTo(Endpoint.of("0:0:0:0:0:0:0:1", 80));
    assertThat(Endpoint.parse("[fd00::7]:3000").authority()).isEqualTo("[fd00:0:0:0:0:0:0:7]:3000");
    assertThat(Endpoint.of("010.0.0.1", 80).address()).isEqualTo("10.0.0.1");
    assertThat(Endpoint.of("Web-0.Web.Shop.svc.cluster.local", 80).address())
        .isEqualTo("web-0.web.shop.svc.cluster.local");
    assertThat(Endpoint.parse("10.0.3.7:3000").withName("web-7").toString()).isEqualTo("10.0.3.7:3000 (web-7)");
  }

  @Test
  void badEndpointsAreRejected() {
    assertThatThrownBy(() -> Endpoint.of("10.0.0.256", 80)).hasMessageContaining("IPv4");
    assertThatThrownBy(() -> Endpoint.of("10.0.0.1", 0)).hasMessageContaining("port");
    assertThatThrownBy(() -> Endpoint.of("evil.com/x", 80)).hasMessageContaining("neither");
    assertThatThrownBy(() -> Endpoint.of("fd00::zz", 80)).hasMessageContaining("IPv6");
    assertThatThrownBy(() -> Endpoint.parse("fd00::1:80")).hasMessageContaining("brackets");
  }
}
