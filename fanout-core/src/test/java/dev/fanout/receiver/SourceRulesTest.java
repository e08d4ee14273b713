package dev.fanout.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Rules checked in the source rather than by timing (fault-matrix rows A9 and F4): MACs are
 * compared in constant time with the expected value first, and the receiver's code has no way to
 * open a connection of its own, and only the relay reaches the sending side.
 */
class SourceRulesTest {
  private static final Path MAIN = Path.of("src", "main", "java", "dev", "fanout");

  private static List<Path> receiverSources() throws IOException {
    try (Stream<Path> files = Files.list(MAIN.resolve("receiver"))) {
      return files.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
    }
  }

  private static List<String> offending(List<Path> files, Pattern pattern) throws IOException {
    List<String> hits = new ArrayList<>();
    for (Path f : files) {
      List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        if (pattern.matcher(lines.get(i)).find()) {
          hits.add(f.getFileName() + ":" + (i + 1) + ": " + lines.get(i).trim());
        }
      }
    }
    return hits;
  }

  @Test
  void sourcesAreWhereThisTestExpectsThem() throws IOException {
    assertThat(receiverSources()).extracting(p -> p.getFileName().toString())
        .contains("InvalidationReceiver.java", "ReplayCache.java");
    assertThat(MAIN.resolve("http/WebhookSigner.java")).exists();
  }

  @Test
  void macsAreNeverComparedWithEqualsOrArraysEquals() throws IOException {
    List<Path> files = new ArrayList<>(receiverSources());
    files.add(MAIN.resolve("http/WebhookSigner.java"));

    assertThat(offending(files, Pattern.compile("Arrays\\.equals\\("))).isEmpty();
    assertThat(offending(files, Pattern.compile(
        "(?i)(sig|signature|mac|digest|expected|given|secret)[A-Za-z]*\\s*\\.equals\\(|\\.equals\\(\\s*(sig|signature|mac|digest|expected|given|secret)")))
        .isEmpty();
  }

  @Test
  void theSignerComparesInConstantTimeWithTheExpectedValueFirst() throws IOException {
    String signer = Files.readString(MAIN.resolve("http/WebhookSigner.java"), StandardCharsets.UTF_8);

    assertThat(signer).contains("MessageDigest.isEqual(expected, ");
  }

  @Test
  void theReceiverHasNoMeansToOpenConnectionsOfItsOwn() throws IOException {
    // Outbound traffic exists only in the relay, through HttpNotifier, to what discovery found.
    assertThat(offending(receiverSources(), Pattern.compile(
        "java\\.net\\.(URL|Socket|http)|HttpClient|URI\\.create|new URI\\(|InetAddress\\.getBy|openConnection")))
        .isEmpty();
    assertThat(offending(receiverSources(), Pattern.compile("printStackTrace|getStackTrace"))).isEmpty();
  }

  @Test
  void onlyTheRelayReachesTheSendingSide() throws IOException {
    // The receiver depends on public values and the wire contract; the engine's entry points
    // (and the report the relay answers with) are the relay's business alone.
    List<String> hits = offending(receiverSources(), Pattern.compile(
        "^import dev\\.fanout\\.(Invalidator|Stage|InvalidationReport|StageReport|TargetResult|http\\.HttpNotifier);"));

    assertThat(hits).extracting(h -> h.substring(0, h.indexOf(':')))
        .isNotEmpty().allMatch(f -> f.equals("PeerRelay.java") || f.equals("Answers.java"));
  }
}
