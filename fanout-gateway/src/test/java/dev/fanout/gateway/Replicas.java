package dev.fanout.gateway;

import dev.fanout.Invalidation;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.receiver.ReceiverServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Real replicas for the tests: fanout's own {@link InvalidationReceiver} served on 127.0.0.2,
 * 127.0.0.3, ..., each recording the invalidations it applied, as a Next.js or Java pod would.
 * Registered as a test class's extension ({@code @RegisterExtension static final Replicas}), they
 * are closed after its tests.
 */
final class Replicas implements AutoCloseable, AfterAllCallback {
  /** The signing secret between the gateway and its replicas. */
  static final String SECRET = "whsec_cmVwbGljYS1zZWNyZXQtb2YtdGhpcnR5LXR3by1ieXQ=";

  private final List<ReceiverServer> servers = new ArrayList<>();
  private final List<List<Invalidation>> applied = new ArrayList<>();

  static Replicas start(int n) {
    Replicas r = new Replicas();
    for (int i = 0; i < n; i++) {
      List<Invalidation> seen = new CopyOnWriteArrayList<>();
      InvalidationReceiver receiver = InvalidationReceiver.builder().secret(SECRET)
          .handler(seen::add).build();
      try {
        r.servers.add(receiver.serve(new InetSocketAddress("127.0.0." + (i + 2), 0), "/api/revalidate"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      r.applied.add(seen);
    }
    return r;
  }

  /**
   * Adds the gateway's one fan-out stage, {@code web}, on these replicas. A list binds from one
   * property source only: the whole stage is here.
   */
  void addStage(DynamicPropertyRegistry registry) {
    registry.add("fanout.stages[0].name", () -> "web");
    registry.add("fanout.stages[0].notifier.signing-secret", () -> SECRET);
    registry.add("fanout.stages[0].discovery.endpoints", this::endpoints);
  }

  /** Returns {@code host:port} of every replica, for {@code discovery.endpoints}. */
  String endpoints() {
    return servers.stream().map(s -> s.address().getHostString() + ":" + s.address().getPort())
        .collect(Collectors.joining(","));
  }

  /** Returns what replica {@code i} applied, in order. */
  List<Invalidation> applied(int i) {
    return List.copyOf(applied.get(i));
  }

  int size() {
    return servers.size();
  }

  /** Returns whether every replica applied an invalidation holding this path. */
  boolean everyReplicaHasPath(String path) {
    return applied.stream().allMatch(l -> l.stream().anyMatch(inv -> inv.paths().contains(path)));
  }

  /** Counts, over every replica, the applied invalidations holding this path. */
  long countPath(String path) {
    return applied.stream().flatMap(List::stream).filter(inv -> inv.paths().contains(path)).count();
  }

  /** Returns every path any replica applied. */
  List<String> allPaths() {
    return applied.stream().flatMap(List::stream).flatMap(inv -> inv.paths().stream()).toList();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  @Override
  public void close() {
    servers.forEach(ReceiverServer::close);
  }
}
