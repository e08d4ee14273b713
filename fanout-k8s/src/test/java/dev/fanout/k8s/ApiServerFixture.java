package dev.fanout.k8s;

import dev.fanout.testing.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a Kubernetes discovery test stands on: a fake API server on loopback, a manual clock, a
 * token file, and the discoveries the test opened, all closed with it.
 */
final class ApiServerFixture implements AutoCloseable {
  final FakeApiServer api;
  final ManualClock clock = new ManualClock();
  final Path tokenFile;
  private final List<KubernetesDiscovery> opened = new ArrayList<>();

  /**
   * Starts the fake API server and writes the token file.
   *
   * @param dir the test's temporary directory
   * @param token the token file's content
   */
  ApiServerFixture(Path dir, String token) throws IOException {
    api = new FakeApiServer();
    tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, token);
  }

  /** A builder for service {@code web} in {@code shop}, port {@code http}, on the fake and clock. */
  KubernetesDiscovery.Builder builder() {
    return KubernetesDiscovery.builder().apiServer(api.uri()).tokenFile(tokenFile)
        .service("web").namespace("shop").portName("http").clock(clock);
  }

  /** Builds the discovery and closes it with the fixture. */
  KubernetesDiscovery build(KubernetesDiscovery.Builder b) {
    KubernetesDiscovery d = b.build();
    opened.add(d);
    return d;
  }

  @Override
  public void close() {
    opened.forEach(KubernetesDiscovery::close);
    api.close();
  }
}
