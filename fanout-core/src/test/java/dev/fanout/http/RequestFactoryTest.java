package dev.fanout.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bytes a request becomes, prepared once per invalidation and addressed per target. */
class RequestFactoryTest {
  private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_767_225_600), ZoneOffset.UTC);

  @Test
  void canonicalDottedQuadsAreParsedAndEverythingElseIsNot() {
    assertThat(RequestFactory.ipv4("10.1.0.255")).containsExactly(10, 1, 0, (byte) 255);
    assertThat(RequestFactory.ipv4("0.0.0.0")).containsExactly(0, 0, 0, 0);
    for (String no : List.of("", "10.1.0", "10.1.0.1.2", "10.1.0.256", "10.01.0.1", "1000.1.1.1", "10..0.1",
        "10.1.0.1.", "a.b.c.d", "pod.example", "::1")) {
      assertThat(RequestFactory.ipv4(no)).as(no).isNull();
    }
    assertThat(RequestFactory.address("10.1.0.7", 80, false).isUnresolved()).isFalse();
    assertThat(RequestFactory.address("pod.example", 80, false).isUnresolved()).isTrue();
    assertThat(RequestFactory.address("::1", 80, true).getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
  }

  @Test
  void everyTargetSharesOnePreparedRequestAndOnlyItsHostDiffers() {
    RequestFactory f = new RequestFactory(new RequestFactory.Settings(new JsonShape("/api/revalidate", 0),
        "POST", "http", 0, Map.of("x-tenant", inv -> "blue"),
        WebhookSigner.of(WebhookSigner.generateSecret()), CLOCK));
    Invalidation inv = Invalidation.builder().path("/blog/hello").build();
    RequestFactory.Plan plan = f.plan(inv);
    WireRequest a = f.requests(Endpoint.of("10.1.0.1", 8080), plan).get(0);
    WireRequest b = f.requests(Endpoint.of("::1", 8080), plan).get(0);

    assertThat(b.shared()).isSameAs(a.shared());
    String wire = text(a.buffers());
    assertThat(wire).startsWith("POST /api/revalidate HTTP/1.1\r\nhost: 10.1.0.1:8080\r\nuser-agent: fanout/0.1\r\n"
        + "content-type: application/json\r\nx-tenant: blue\r\nwebhook-id: " + inv.id() + "\r\nwebhook-timestamp: "
        + "1767225600\r\nwebhook-signature: v1,");
    assertThat(wire).endsWith("\r\ncontent-length: " + a.body().length + "\r\n\r\n"
        + new String(a.body(), StandardCharsets.UTF_8));
    assertThat(text(b.buffers())).contains("\r\nhost: [0:0:0:0:0:0:0:1]:8080\r\n");
    assertThat(text(b.buffers())).startsWith("POST /api/revalidate HTTP/1.1\r\nhost: [");
  }

  private static String text(ByteBuffer[] buffers) {
    StringBuilder sb = new StringBuilder();
    for (ByteBuffer shared : buffers) {
      // Each buffer from its start: the transport leaves the shared ones' positions anywhere.
      ByteBuffer b = shared.duplicate().position(0);
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      sb.append(new String(bytes, StandardCharsets.ISO_8859_1));
    }
    return sb.toString();
  }
}
