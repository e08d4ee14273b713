package dev.fanout.testing;

import com.sun.net.httpserver.HttpServer;
import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.receiver.InvalidationReceiver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A Java replica as a user would run one: a JDK {@code HttpServer} on a loopback address (127.0.0.2,
 * 127.0.0.3, ... act as pod IPs) serving a real {@link InvalidationReceiver} at {@code
 * /api/revalidate}. It records every invalidation its handler ran for, and how often each path and
 * tag was applied.
 */
public final class ReceiverPod implements AutoCloseable {
  static {
    // The JDK server writes a response's head and body separately; without TCP_NODELAY each answer
    // waits for the client's delayed ACK (about 40 ms). Read once, by the first server of the JVM.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "test-receiver-pod");
    t.setDaemon(true);
    return t;
  });
  private final InvalidationReceiver receiver;
  private final List<Invalidation> handled = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> applied = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();

  private ReceiverPod(String ip, String secret, UnaryOperator<InvalidationReceiver.Builder> options)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), 0), 128);
    server.setExecutor(threads);
    receiver = options.apply(InvalidationReceiver.builder().secret(secret).handler(inv -> {
      handled.add(inv);
      inv.paths().forEach(p -> applied.computeIfAbsent(p, k -> new AtomicInteger()).incrementAndGet());
      inv.tags().forEach(t -> applied.computeIfAbsent("#" + t, k -> new AtomicInteger()).incrementAndGet());
    })).build();
    server.createContext("/api/revalidate", exchange -> {
      requests.incrementAndGet();
      receiver.httpHandler().handle(exchange);
    });
    server.start();
  }

  /**
   * Starts a receiver with default options.
   *
   * @param ip a loopback address such as {@code 127.0.0.2}
   * @param secret the signing secret
   * @return the running pod
   * @throws IOException if it cannot bind
   */
  public static ReceiverPod start(String ip, String secret) throws IOException {
    return new ReceiverPod(ip, secret, b -> b);
  }

  /**
   * Starts a receiver with options of the test's choosing (a path prefix, limits).
   *
   * @param ip a loopback address
   * @param secret the signing secret
   * @param options adjusts the receiver's builder
   * @return the running pod
   * @throws IOException if it cannot bind
   */
  public static ReceiverPod start(String ip, String secret,
      UnaryOperator<InvalidationReceiver.Builder> options) throws IOException {
    return new ReceiverPod(ip, secret, options);
  }

  /**
   * Returns the pod as a READY endpoint.
   *
   * @return the endpoint
   */
  public Endpoint endpoint() {
    InetSocketAddress a = server.getAddress();
    return Endpoint.of(a.getAddress().getHostAddress(), a.getPort());
  }

  /**
   * Returns the invalidations the handler ran for, in order.
   *
   * @return a copy of the list
   */
  public List<Invalidation> handled() {
    return new ArrayList<>(handled);
  }

  /**
   * Returns how often the handler applied each path, and each tag prefixed with {@code #}.
   *
   * @return a copy of the counts
   */
  public Map<String, Integer> applied() {
    Map<String, Integer> copy = new java.util.TreeMap<>();
    applied.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }

  /**
   * Returns how many requests arrived, whatever their answer.
   *
   * @return the count
   */
  public int requests() {
    return requests.get();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
    receiver.close();
  }
}
