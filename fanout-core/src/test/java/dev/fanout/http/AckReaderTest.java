package dev.fanout.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.spi.Ack;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/** The acknowledgement's detail: a short printable excerpt of the answer, whatever the answer holds. */
class AckReaderTest {
  private final AckReader reader = new AckReader(null, Clock.systemUTC());

  private String detail(String body) {
    Ack ack = reader.read(new HttpTransport.Response(200, body.getBytes(StandardCharsets.UTF_8), null));
    return ack.detail();
  }

  @Test
  void aPrintableAnswerIsTheDetailAsItIs() {
    assertThat(detail("{\"ok\":true}")).isEqualTo("{\"ok\":true}");
    assertThat(detail("x".repeat(300))).isEqualTo("x".repeat(240));
  }

  @Test
  void controlCharactersBecomeSpacesAndTheEndsAreTrimmed() {
    assertThat(detail(" ok\r\n")).isEqualTo("ok");
    assertThat(detail("a\tb\u007fc")).isEqualTo("a b c");
    assertThat(detail("caf\u00e9")).isEqualTo("caf\u00e9");
    assertThat(detail("   ")).isNull();
    assertThat(detail("")).isNull();
  }
}
