package dev.fanout.examples.spring;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Runs the shop as three replicas on 127.0.0.2, .3 and .4 (embedded Tomcat each, one shared
 * in-memory database) with a CDN stand-in on 127.0.0.5, reads a post on every replica, updates it
 * on one, and reads it again everywhere: every replica serves the new title at the first read, and
 * the CDN was purged after the last replica evicted it.
 *
 * <pre>
 * mvn -B -q -DskipTests -Dmaven.javadoc.skip -Pspring-demo verify -pl examples/spring-boot -am
 * </pre>
 */
public final class ThreeReplicas implements AutoCloseable {
  public static final String SECRET = "whsec_c3ByaW5nLWV4YW1wbGUtc2hhcmVkLXNlY3JldC0zMmI=";
  public static final List<String> ADDRESSES = List.of("127.0.0.2", "127.0.0.3", "127.0.0.4");

  private final CdnStandIn cdn;
  private final int port;
  private final List<ConfigurableApplicationContext> replicas = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  private ThreeReplicas(CdnStandIn cdn, int port) {
    this.cdn = cdn;
    this.port = port;
  }

  /** Starts the CDN stand-in and the three replicas, each with the extra sources given. */
  public static ThreeReplicas start(Class<?>... extraSources) throws IOException {
    CdnStandIn cdn = new CdnStandIn("127.0.0.5");
    ThreeReplicas stack = new ThreeReplicas(cdn, freePortOnEveryAddress());
    try {
      String replicas = String.join(",", ADDRESSES.stream().map(a -> a + ":" + stack.port).toList());
      for (String address : ADDRESSES) {
        Class<?>[] sources = new Class<?>[extraSources.length + 1];
        sources[0] = ShopApplication.class;
        System.arraycopy(extraSources, 0, sources, 1, extraSources.length);
        stack.replicas.add(new SpringApplicationBuilder(sources).properties(
            "server.address=" + address,
            "server.port=" + stack.port,
            "SHOP_REPLICAS=" + replicas,
            "FANOUT_SECRET=" + SECRET,
            "FASTLY_SERVICE_ID=" + CdnStandIn.SERVICE_ID,
            "FASTLY_API_TOKEN=" + CdnStandIn.TOKEN,
            "FASTLY_BASE_URI=" + cdn.baseUri(),
            "logging.level.root=WARN",
            "logging.level.dev.fanout=INFO").run());
      }
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
    return stack;
  }

  /** A port that is free on 127.0.0.2, .3 and .4 alike, so that every replica listens on it. */
  static int freePortOnEveryAddress() throws IOException {
    for (int tries = 0; tries < 50; tries++) {
      int candidate;
      try (ServerSocket first = new ServerSocket(0, 1, InetAddress.getByName(ADDRESSES.get(0)))) {
        candidate = first.getLocalPort();
      }
      boolean free = true;
      for (String a : ADDRESSES) {
        try {
          new ServerSocket(candidate, 1, InetAddress.getByName(a)).close();
        } catch (IOException e) {
          free = false;
          break;
        }
      }
      if (free) {
        return candidate;
      }
    }
    throw new IOException("no port free on all of " + ADDRESSES);
  }

  public List<ConfigurableApplicationContext> replicas() {
    return List.copyOf(replicas);
  }

  public CdnStandIn cdn() {
    return cdn;
  }

  public URI uri(int replica, String path) {
    return URI.create("http://" + ADDRESSES.get(replica) + ":" + port + path);
  }

  public HttpResponse<String> get(int replica, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri(replica, path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> put(int replica, String path, String json) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri(replica, path)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    for (ConfigurableApplicationContext c : replicas) {
      c.close();
    }
    cdn.close();
  }

  public static void main(String[] args) throws Exception {
    try (ThreeReplicas stack = start(EvictionLog.class)) {
      for (int i = 0; i < 3; i++) {
        System.out.println("GET  " + stack.uri(i, "/posts/1") + " -> " + stack.get(i, "/posts/1").body());
      }
      HttpResponse<String> put = stack.put(0, "/posts/1", "{\"title\":\"Hello again\"}");
      System.out.println("PUT  " + stack.uri(0, "/posts/1") + " -> " + put.statusCode() + "\n" + put.body());
      for (int i = 0; i < 3; i++) {
        System.out.println("GET  " + stack.uri(i, "/posts/1") + " -> " + stack.get(i, "/posts/1").body());
      }
      long lastEviction = stack.replicas().stream()
          .flatMap(c -> c.getBean(EvictionLog.class).evictedNanos().stream()).mapToLong(Long::longValue).max()
          .orElseThrow();
      for (CdnStandIn.Purge p : stack.cdn().purges()) {
        System.out.printf("CDN  %s purge %-24s %.1f ms after the last replica's eviction%n", p.kind(), p.target(),
            (p.arrivalNanos() - lastEviction) / 1e6);
      }
    }
  }
}
