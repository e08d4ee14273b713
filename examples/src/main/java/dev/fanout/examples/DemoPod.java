package dev.fanout.examples;

import dev.fanout.Endpoint;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.receiver.ReceiverServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in replica for the demo: an HTTP server on its own loopback address with an in-memory
 * page cache, behind an {@link InvalidationReceiver} that verifies the Standard Webhooks signature
 * on the raw body, evicts the invalidated paths, and only then answers 200. It can be told to answer
 * 503 to its first requests, as a replica that is still warming up would ({@link
 * ReceiverServer.Builder#ready}).
 */
final class DemoPod implements AutoCloseable {
  final String name;
  final Map<String, String> cache = new ConcurrentHashMap<>();
  private final ReceiverServer server;
  private final InvalidationReceiver receiver;
  private final AtomicInteger failuresLeft;
  volatile long lastAckNanos;

  DemoPod(String name, String ip, String secret, int failFirst) throws IOException {
    this.name = name;
    this.failuresLeft = new AtomicInteger(failFirst);
    this.receiver = InvalidationReceiver.builder()
        .secret(secret)
        .handler(inv -> {
          inv.paths().forEach(cache::remove);
          lastAckNanos = System.nanoTime();
        })
        .build();
    // Served the safe way (slow clients hold no thread); "not ready" answers 503 with Retry-After.
    server = ReceiverServer.builder(receiver)
        .address(new InetSocketAddress(InetAddress.getByName(ip), 0))
        .path("/api/revalidate")
        .threads(2)
        .ready(() -> failuresLeft.getAndDecrement() <= 0)
        .start();
  }

  Endpoint endpoint() {
    InetSocketAddress a = server.address();
    return new Endpoint(a.getAddress().getHostAddress(), a.getPort(), name, Endpoint.State.READY);
  }

  @Override
  public void close() {
    server.close();
    receiver.close();
  }
}
