package dev.fanout.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.fanout.DiscoveryException;
import dev.fanout.Endpoint;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-cluster path over TLS: an HTTPS API server on loopback whose certificate (made with the
 * JDK's keytool, IP SAN 127.0.0.1) is trusted only through the CA file, as {@code ca.crt} is in a
 * pod.
 */
class KubernetesTlsTest {
  @TempDir
  static Path dir;

  private static HttpsServer server;
  private static final AtomicReference<String> authorization = new AtomicReference<>();

  private static void keytool(String... args) throws Exception {
    String[] cmd = new String[args.length + 1];
    cmd[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  @BeforeAll
  static void start() throws Exception {
    Path store = dir.resolve("api.p12");
    keytool("-genkeypair", "-alias", "api", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=kube-apiserver", "-ext", "SAN=ip:127.0.0.1", "-validity", "3",
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit",
        "-keypass", "changeit");
    keytool("-exportcert", "-rfc", "-alias", "api", "-keystore", store.toString(),
        "-storepass", "changeit", "-file", dir.resolve("ca.crt").toString());
    Files.writeString(dir.resolve("token"), "tls-token");

    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ctx));
    server.createContext("/", exchange -> {
      authorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
      FakeApiServer.list("7", null, Slices.slice("web-a", "6", Slices.ready("10.0.0.1", "web-1")))
          .send(exchange);
    });
    server.start();
  }

  @AfterAll
  static void stop() {
    server.stop(0);
  }

  private static KubernetesDiscovery.Builder builder() {
    ManualClock clock = new ManualClock();
    return KubernetesDiscovery.builder()
        .apiServer(URI.create("https://127.0.0.1:" + server.getAddress().getPort()))
        .tokenFile(dir.resolve("token")).service("web").namespace("shop").portName("http")
        .clock(clock).scheduler(new ManualScheduler(clock));
  }

  @Test
  void theApiServerIsTrustedThroughTheCaFile() throws Exception {
    try (KubernetesDiscovery discovery = builder().caCertificate(dir.resolve("ca.crt")).build()) {
      List<Endpoint> endpoints =
          discovery.discover().toCompletableFuture().get(20, TimeUnit.SECONDS);

      assertThat(endpoints).extracting(Endpoint::toString).containsExactly("10.0.0.1:8080 (web-1)");
      assertThat(authorization.get()).isEqualTo("Bearer tls-token");
    }
  }

  @Test
  void withoutTheCaFileTheServerIsNotTrusted() {
    try (KubernetesDiscovery discovery = builder().build()) {
      CompletableFuture<List<Endpoint>> f = discovery.discover().toCompletableFuture();

      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
          ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
      assertThat(e.getCause()).isInstanceOf(DiscoveryException.class)
          .hasCauseInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    }
  }
}
