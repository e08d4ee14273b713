package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import dev.fanout.testing.LoopbackPod;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The signing secret never appears in a log line (at DEBUG), a report, an exception message or a
 * {@code toString()}, whatever the replicas answer.
 */
class SecretsInLogsTest {

  @Test
  void noSecretInLogsReportsOrMessages() throws Exception {
    String secret = WebhookSigner.generateSecret();
    String raw = secret.substring("whsec_".length());
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (LoopbackPod ok = LoopbackPod.start("127.0.0.2", LoopbackPod.ok());
        LoopbackPod denied = LoopbackPod.start("127.0.0.3", (ex, i) -> LoopbackPod.respond(ex, 401,
            "{\"error\":\"bad signature\"}"));
        LoopbackPod flaky = LoopbackPod.start("127.0.0.4", LoopbackPod.statuses(503, 200))) {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      HttpNotifier notifier = HttpNotifier.builder().signingSecret(secret).build();
      InvalidationReport report;
      try (Invalidator invalidator = Invalidator.builder()
          .stage(Stage.fanout("web", Discovery.of(List.of(ok.endpoint(), denied.endpoint(), flaky.endpoint())),
              notifier).retry(new RetryPolicy(3, Duration.ofMillis(5), Duration.ofMillis(10))))
          .build()) {
        report = invalidator.invalidate(Invalidation.ofPaths("/a")).join();
      } finally {
        System.setErr(original);
      }

      String logs = captured.toString(StandardCharsets.UTF_8);
      // The capture works: the engine's warning about the failed replica is there.
      assertThat(logs).contains("WARN").contains("401 unauthorized").contains("DEBUG");
      assertThat(logs).doesNotContain(raw).doesNotContain(secret);
      assertThat(report.describe()).doesNotContain(raw);
      assertThat(notifier.toString()).doesNotContain(raw);
      assertThat(WebhookSigner.of(secret).toString()).doesNotContain(raw);
      // What went over the wire carries the secret only as an HMAC, never in the URL or a header.
      for (LoopbackPod.Request r : ok.requests()) {
        assertThat(r.target()).doesNotContain(raw);
        assertThat(r.headers().values()).noneMatch(v -> v.contains(raw));
      }
    }
  }
}
