package dev.fanout.examples.receiver;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.receiver.ReceiverServer;
import dev.fanout.spi.Discovery;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Java service replica that receives invalidations: an {@link InvalidationReceiver} served by
 * a {@link ReceiverServer}, in front of an in-memory page cache.
 *
 * <p>Configuration, as a Kubernetes Deployment would pass it:
 *
 * <ul>
 *   <li>{@code FANOUT_SECRET} (required): the {@code whsec_...} secret shared with the sender, from
 *       a Secret, never from a URL. {@code FANOUT_PREVIOUS_SECRET} (optional) keeps accepting the old
 *       one during a rotation.
 *   <li>{@code POD_IP}: the address to listen on, from the Downward API ({@code status.podIP});
 *       default {@code 127.0.0.1}.
 *   <li>{@code PORT}: default 8081, a port the public Service and Ingress do not expose.
 *   <li>{@code PEERS} (optional): {@code host:port,host:port,...} of every replica. When set, this
 *       replica relays what it receives directly to the others and answers with their results.
 *       In a cluster use {@code DnsDiscovery.of("<headless service>", 8081)} from {@code
 *       fanout-k8s} instead of a static list.
 * </ul>
 *
 * <p>Run: {@code FANOUT_SECRET=whsec_... mvn -q -pl examples exec:java
 * -Dexec.mainClass=dev.fanout.examples.receiver.ReceiverPod}
 */
public final class ReceiverPod {
  /** Cached pages by path, and the paths that carry each tag. */
  private final Map<String, String> pages = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> pagesByTag = new ConcurrentHashMap<>();

  private ReceiverPod() {}

  /**
   * Invalidates this replica's own cache. The receiver answers 200 only after this returned, so
   * an acknowledged replica no longer serves what was invalidated.
   */
  private void invalidate(Invalidation inv) {
    inv.paths().forEach(pages::remove);
    for (String tag : inv.tags()) {
      Set<String> paths = pagesByTag.remove(tag);
      if (paths != null) {
        paths.forEach(pages::remove);
      }
    }
    System.out.println("invalidated " + inv);
  }

  /**
   * Starts the replica.
   *
   * @param args unused
   * @throws IOException if the server cannot bind
   */
  public static void main(String[] args) throws IOException {
    String secret = System.getenv("FANOUT_SECRET");
    if (secret == null || secret.isBlank()) {
      // Fail closed: a receiver without a secret must not start.
      System.err.println("FANOUT_SECRET is not set; refusing to start");
      System.exit(2);
    }
    String podIp = env("POD_IP", "127.0.0.1");
    int port = Integer.parseInt(env("PORT", "8081"));
    ReceiverPod pod = new ReceiverPod();

    InvalidationReceiver.Builder builder = InvalidationReceiver.builder()
        .secret(secret)
        .handler(pod::invalidate);
    String previous = System.getenv("FANOUT_PREVIOUS_SECRET");
    if (previous != null && !previous.isBlank()) {
      builder.secret(previous);
    }
    String peers = System.getenv("PEERS");
    if (peers != null && !peers.isBlank()) {
      List<Endpoint> endpoints = new ArrayList<>();
      for (String hostPort : peers.split(",")) {
        endpoints.add(Endpoint.parse(hostPort.trim()));
      }
      builder.relay(InvalidationReceiver.Relay.to(Discovery.of(endpoints)).self(podIp));
    }
    InvalidationReceiver receiver = builder.build();

    // A ReceiverServer: slow or stalled clients hold no thread and are cut off after 10 s, so they
    // cannot keep invalidations from being applied.
    ReceiverServer server = receiver.serve(
        new InetSocketAddress(InetAddress.getByName(podIp), port), "/api/revalidate");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      receiver.close();
    }));
    System.out.println("receiving invalidations on http://" + podIp + ":" + port + "/api/revalidate; "
        + receiver);
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
