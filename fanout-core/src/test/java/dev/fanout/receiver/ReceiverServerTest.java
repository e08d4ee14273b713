package dev.fanout.receiver;

import static dev.fanout.receiver.Fixtures.SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.http.HttpNotifier;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.receiver.Fixtures.Recorder;
import dev.fanout.receiver.Fixtures.Req;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link ReceiverServer} on loopback, with raw sockets for the clients a well-behaved
 * sender never is: slowloris heads and bodies, clients that never finish, too many connections.
 */
class ReceiverServerTest {
  private static final String IP = "127.0.0.6";

  private final Recorder recorder = new Recorder();
  private final InvalidationReceiver receiver =
      InvalidationReceiver.builder().secret(SECRET).handler(recorder).build();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final ScheduledExecutorService trickle = Executors.newScheduledThreadPool(1, r -> {
    Thread t = new Thread(r, "test-trickle");
    t.setDaemon(true);
    return t;
  });
  private final List<Socket> sockets = new ArrayList<>();
  private ReceiverServer server;

  @AfterEach
  void stop() throws IOException {
    trickle.shutdownNow();
    for (Socket s : sockets) {
      s.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private ReceiverServer serve(ReceiverServer.Builder b) throws IOException {
    server = b.address(new InetSocketAddress(InetAddress.getByName(IP), 0)).start();
    return server;
  }

  private URI uri(String path) {
    return URI.create("http://" + IP + ":" + server.address().getPort() + path);
  }

  private static Req signedNow(Invalidation inv) {
    return Fixtures.signed(SECRET, inv.id(), Instant.now().getEpochSecond(), InvalidationJson.encode(inv));
  }

  private CompletableFuture<HttpResponse<String>> post(String path, Req req) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
        .method(req.method(), HttpRequest.BodyPublishers.ofByteArray(req.body()));
    req.headers().forEach((k, v) -> v.forEach(value -> b.header(k, value)));
    return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private Socket raw() throws IOException {
    Socket s = new Socket(InetAddress.getByName(IP), server.address().getPort());
    s.setSoTimeout(10_000);
    sockets.add(s);
    return s;
  }

  private static String head(Req req, String extra) {
    StringBuilder sb = new StringBuilder("POST /api/revalidate HTTP/1.1\r\nHost: pod\r\n");
    req.headers().forEach((k, v) -> sb.append(k).append(": ").append(v.get(0)).append("\r\n"));
    return sb.append(extra).append("\r\n").toString();
  }

  private static void write(Socket s, String text) {
    try {
      OutputStream out = s.getOutputStream();
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    } catch (IOException e) {
      // the server closed it: fine for a slow client
    }
  }

  @Test
  void fiftySlowClientsDoNotKeepASignedInvalidationFromBeingApplied() throws Exception {
    serve(ReceiverServer.builder(receiver));
    List<Socket> slow = new ArrayList<>();
    Req stalled = signedNow(Invalidation.builder().id("inv_stalled").path("/s").build());
    for (int i = 0; i < 50; i++) {
      Socket s = raw();
      if (i % 2 == 0) {
        write(s, "POST /api/revalidate HTTP/1.1\r\n"); // then one header byte at a time
      } else {
        write(s, head(stalled, "Content-Length: 5000\r\n") + "{"); // then one body byte at a time
      }
      slow.add(s);
    }
    trickle.scheduleAtFixedRate(() -> slow.forEach(s -> write(s, "x")), 0, 100, TimeUnit.MILLISECONDS);
    Invalidation inv = Invalidation.builder().id("inv_through").path("/fresh").build();

    CompletableFuture<HttpResponse<String>> answer = post("/api/revalidate", signedNow(inv));

    Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> recorder.ids().contains("inv_through"));
    assertThat(answer.get(2, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(recorder.ids()).containsExactly("inv_through");
  }

  @Test
  void signedRequestsAreAppliedAndAnsweredOnKeptAliveConnections() throws Exception {
    serve(ReceiverServer.builder(receiver));
    Endpoint pod = Endpoint.of(IP, server.address().getPort());
    try (HttpNotifier notifier = HttpNotifier.builder().signingSecret(SECRET).build()) {
      for (int i = 0; i < 3; i++) {
        assertThat(notifier.deliver(pod, Invalidation.builder().id("inv_" + i).path("/p").build())
            .toCompletableFuture().get(5, TimeUnit.SECONDS).detail())
            .isEqualTo("{\"id\":\"inv_" + i + "\",\"result\":\"applied\"}");
      }
    }
    HttpResponse<String> r = post("/api/revalidate?ignored=1", signedNow(Invalidation.builder().id("inv_q").path("/p").build()))
        .get(5, TimeUnit.SECONDS);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(r.headers().firstValue("cache-control")).hasValue("no-store");
    assertThat(recorder.ids()).containsExactly("inv_0", "inv_1", "inv_2", "inv_q");
  }

  @Test
  void wrongPathsMethodsAndSignaturesAreRefused() throws Exception {
    serve(ReceiverServer.builder(receiver).path("/fanout"));
    Req req = signedNow(Invalidation.builder().id("inv_refused").path("/p").build());

    HttpResponse<String> otherPath = post("/api/revalidate", req).get(5, TimeUnit.SECONDS);
    HttpResponse<String> get = client.send(HttpRequest.newBuilder(uri("/fanout")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> badSignature = post("/fanout", req.with("webhook-signature", "v1,AAAA")).get(5, TimeUnit.SECONDS);

    assertThat(otherPath.statusCode()).isEqualTo(404);
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("allow")).hasValue("POST");
    assertThat(badSignature.statusCode()).isEqualTo(401);
    assertThat(badSignature.body()).isEqualTo("{\"error\":\"bad signature\"}");
    assertThat(recorder.seen).isEmpty();
  }

  private static String statusLine(Socket s) throws IOException {
    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1)).readLine();
  }

  @Test
  void aDeclaredBodyOverTheLimitIs413AndAChunkedUploadIs411() throws Exception {
    serve(ReceiverServer.builder(receiver));
    Req req = signedNow(Invalidation.builder().id("inv_big").path("/p").build());
    Socket big = raw();
    Socket chunked = raw();

    write(big, head(req, "Content-Length: 1000000000\r\n"));
    write(chunked, head(req, "Transfer-Encoding: chunked\r\n") + "5\r\n");

    assertThat(statusLine(big)).isEqualTo("HTTP/1.1 413 Content Too Large");
    assertThat(statusLine(chunked)).isEqualTo("HTTP/1.1 411 Length Required");
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void expectContinueIsHonoured() throws Exception {
    serve(ReceiverServer.builder(receiver));
    Req req = signedNow(Invalidation.builder().id("inv_continue").path("/p").build());
    Socket s = raw();
    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));

    write(s, head(req, "Content-Length: " + req.body().length + "\r\nExpect: 100-continue\r\n"));
    assertThat(in.readLine()).isEqualTo("HTTP/1.1 100 Continue");
    assertThat(in.readLine()).isEmpty();
    write(s, new String(req.body(), StandardCharsets.ISO_8859_1));

    assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
    assertThat(recorder.ids()).containsExactly("inv_continue");
  }

  @Test
  void aClientThatDoesNotFinishItsRequestInTimeIsDisconnected() throws Exception {
    serve(ReceiverServer.builder(receiver).readTimeout(Duration.ofMillis(300)));
    Socket slow = raw();
    Socket silent = raw();

    write(slow, "POST /api/revalidate HTTP/1.1\r\nHost: p");

    // End of stream (or a reset), not the 10 s socket timeout: the server closed both.
    assertThat(readsToTheEnd(slow)).isTrue();
    assertThat(readsToTheEnd(silent)).isTrue();
  }

  private static boolean readsToTheEnd(Socket s) {
    try {
      return s.getInputStream().read() < 0;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void atTheConnectionLimitTheLongestWaitingConnectionMakesRoom() throws Exception {
    serve(ReceiverServer.builder(receiver).maxConnections(5));
    List<Socket> idle = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Socket s = raw();
      idle.add(s);
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> s.isConnected());
    }

    HttpResponse<String> r = post("/api/revalidate", signedNow(Invalidation.builder().id("inv_room").path("/p").build()))
        .get(5, TimeUnit.SECONDS);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(readsToTheEnd(idle.get(0))).isTrue();
  }

  @Test
  void closeStopsTheThreadsAndReleasesThePort() throws Exception {
    java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
    serve(ReceiverServer.builder(receiver));
    InetSocketAddress address = server.address();
    assertThat(post("/api/revalidate", signedNow(Invalidation.builder().id("inv_c").path("/p").build()))
        .get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    java.util.Set<Thread> started = new java.util.HashSet<>(Thread.getAllStackTraces().keySet());
    started.removeAll(before);
    started.removeIf(t -> !t.getName().startsWith("fanout-receiver"));
    assertThat(started).isNotEmpty();

    server.close();

    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> started.stream().noneMatch(Thread::isAlive));
    assertThatThrownBy(() -> new Socket(address.getAddress(), address.getPort()).close())
        .isInstanceOf(java.net.ConnectException.class);
  }

  @Test
  void aReplicaThatIsNotReadyAnswers503AndTheSendersRetryIsApplied() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
    serve(ReceiverServer.builder(receiver).ready(ready::get));
    Req req = signedNow(Invalidation.builder().id("inv_warm").path("/p").build());

    HttpResponse<String> early = post("/api/revalidate", req).get(5, TimeUnit.SECONDS);
    ready.set(true);
    HttpResponse<String> later = post("/api/revalidate", req).get(5, TimeUnit.SECONDS);

    assertThat(early.statusCode()).isEqualTo(503);
    assertThat(early.body()).isEqualTo("{\"error\":\"not ready\"}");
    assertThat(later.statusCode()).isEqualTo(200);
    assertThat(recorder.ids()).containsExactly("inv_warm");
  }

  /**
   * Out of file descriptors, {@code accept} fails while the connection waits in the backlog and the
   * listener stays ready: retried at once, the selector thread spun at full speed (found by the
   * soak, where sender and receivers share one process's descriptors). Now it stops listening for
   * a moment and serves again once descriptors are back.
   */
  @Test
  void runningOutOfFileDescriptorsNeitherSpinsTheServerNorStopsIt() throws Exception {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    org.junit.jupiter.api.Assumptions.assumeTrue(os instanceof com.sun.management.UnixOperatingSystemMXBean
        && ((com.sun.management.UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount() <= 200_000,
        "needs a Unix JVM with a file descriptor limit of at most 200,000");
    serve(ReceiverServer.builder(receiver));
    java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
    Thread io = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("fanout-receiver-io-") && t.isAlive())
        .max(java.util.Comparator.comparingInt(t -> Integer.parseInt(t.getName().substring(19))))
        .orElseThrow();
    // Every class on the request path is loaded now: nothing below needs a descriptor but the client.
    assertThat(exchange(raw(), Invalidation.builder().id("inv_before").path("/b").build())).startsWith("HTTP/1.1 200");
    Awaitility.await().atMost(Duration.ofSeconds(1)).until(() -> cpu.getThreadCpuTime(io.getId()) > 0);
    Socket starved = new Socket();
    sockets.add(starved);
    List<java.nio.channels.FileChannel> fillers = new ArrayList<>();
    long cpuBefore;
    try {
      try {
        while (true) {
          fillers.add(java.nio.channels.FileChannel.open(java.nio.file.Path.of("/dev/null")));
        }
      } catch (IOException exhausted) {
        // every descriptor is taken
      }
      fillers.remove(fillers.size() - 1).close(); // one for the client: the server has none left to accept it
      starved.connect(new InetSocketAddress(InetAddress.getByName(IP), server.address().getPort()), 5_000);
      starved.setSoTimeout(10_000);
      Req req = signedNow(Invalidation.builder().id("inv_starved").path("/s").build());
      write(starved, head(req, "Content-Length: " + req.body().length + "\r\n")
          + new String(req.body(), StandardCharsets.ISO_8859_1));
      cpuBefore = cpu.getThreadCpuTime(io.getId());
      // A spinning selector burns this much CPU within the second on even a loaded machine.
      Awaitility.await("the selector thread idles while it cannot accept").during(Duration.ofSeconds(1))
          .atMost(Duration.ofMillis(1500)).until(() -> cpu.getThreadCpuTime(io.getId()) - cpuBefore < 100_000_000L);
    } finally {
      for (java.nio.channels.FileChannel f : fillers) {
        f.close();
      }
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> recorder.ids().contains("inv_starved"));
    assertThat(new BufferedReader(new InputStreamReader(starved.getInputStream(), StandardCharsets.ISO_8859_1))
        .readLine()).isEqualTo("HTTP/1.1 200 OK");
    assertThat(io.isAlive()).isTrue();
  }

  /** Sends {@code inv} signed over {@code s} and returns the status line of the answer. */
  private static String exchange(Socket s, Invalidation inv) throws IOException {
    Req req = signedNow(inv);
    write(s, head(req, "Content-Length: " + req.body().length + "\r\n") + new String(req.body(), StandardCharsets.ISO_8859_1));
    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1)).readLine();
  }

  @Test
  void badSettingsAreRefusedWithTheirName() {
    assertThatThrownBy(() -> ReceiverServer.builder(receiver).path("api")).hasMessageContaining("path");
    assertThatThrownBy(() -> ReceiverServer.builder(receiver).threads(0)).hasMessageContaining("threads");
    assertThatThrownBy(() -> ReceiverServer.builder(receiver).readTimeout(Duration.ZERO))
        .hasMessageContaining("readTimeout");
    assertThatThrownBy(() -> ReceiverServer.builder(receiver).maxConnections(0)).hasMessageContaining("maxConnections");
    assertThatThrownBy(() -> ReceiverServer.builder(receiver).start()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("address");
  }
}
