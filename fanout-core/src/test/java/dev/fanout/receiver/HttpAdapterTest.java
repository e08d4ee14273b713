package dev.fanout.receiver;

import static dev.fanout.receiver.Fixtures.SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.fanout.Invalidation;
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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link InvalidationReceiver#httpHandler()} on a real JDK {@code HttpServer} bound to a
 * loopback address, with raw sockets for what a well-behaved client would never send (fault-matrix
 * row A12: lying {@code Content-Length}, endless chunked body, stalled upload).
 */
class HttpAdapterTest {
  private static final String IP = "127.0.0.5";

  private final Recorder recorder = new Recorder();
  private final CompletableFuture<Void> asyncGate = new CompletableFuture<>();
  private final ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "test-receiver");
    t.setDaemon(true);
    return t;
  });
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private HttpServer server;
  private InvalidationReceiver receiver;
  private URI base;

  @BeforeEach
  void start() throws IOException {
    receiver = InvalidationReceiver.builder().secret(SECRET)
        .handler(inv -> {
          if (inv.tags().contains("explode")) {
            throw new IllegalStateException("boom at dev.fanout.Secret.leak(Secret.java:1)");
          }
          recorder.accept(inv);
        })
        .build();
    InvalidationReceiver async = InvalidationReceiver.builder().secret(SECRET)
        .asyncHandler(inv -> asyncGate.thenRun(() -> recorder.accept(inv)))
        .build();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(IP), 0), 64);
    server.setExecutor(threads);
    server.createContext("/api/revalidate", receiver.httpHandler());
    server.createContext("/async", async.httpHandler());
    server.start();
    base = URI.create("http://" + IP + ":" + server.getAddress().getPort());
  }

  @AfterEach
  void stop() {
    server.stop(0);
    threads.shutdownNow();
  }

  private static Req signedNow(Invalidation inv) {
    return Fixtures.signed(SECRET, inv.id(), Instant.now().getEpochSecond(), InvalidationJson.encode(inv));
  }

  private HttpResponse<String> post(String path, Req req) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .method(req.method(), HttpRequest.BodyPublishers.ofByteArray(req.body()));
    req.headers().forEach((k, v) -> v.forEach(value -> b.header(k, value)));
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void signedPostIsAppliedAndAnsweredWithJson() throws Exception {
    Invalidation inv = Invalidation.builder().id("inv_http").path("/p").build();

    HttpResponse<String> r = post("/api/revalidate", signedNow(inv));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"id\":\"inv_http\",\"result\":\"applied\"}");
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(r.headers().firstValue("cache-control")).hasValue("no-store");
    assertThat(recorder.seen).containsExactly(inv);
  }

  @Test
  void otherMethodsAre405WithAllow() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/api/revalidate")).GET().build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.headers().firstValue("allow")).hasValue("POST");
  }

  @Test
  void badSignatureIs401OverTheWire() throws Exception {
    Req req = signedNow(Invalidation.builder().id("inv_bad").path("/p").build());

    HttpResponse<String> r = post("/api/revalidate", req.with("webhook-signature", "v1,AAAA"));

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).isEqualTo("{\"error\":\"bad signature\"}");
  }

  @Test
  void handlerExceptionIs500WithoutStackTrace() throws Exception {
    HttpResponse<String> r = post("/api/revalidate",
        signedNow(Invalidation.builder().id("inv_boom").tag("explode").build()));

    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body()).isEqualTo("{\"error\":\"handler failed\"}");
  }

  @Test
  void asyncHandlerIsAnsweredWhenItCompletesWithoutHoldingAServerThread() throws Exception {
    Invalidation inv = Invalidation.builder().id("inv_async").path("/p").build();
    Req req = signedNow(inv);
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/async"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(req.body()));
    req.headers().forEach((k, v) -> b.header(k, v.get(0)));

    CompletableFuture<HttpResponse<String>> pending = client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    // More requests than the server has threads are answered while the first one waits.
    for (int i = 0; i < 6; i++) {
      assertThat(post("/api/revalidate", signedNow(inv.withId("inv_more" + i))).statusCode()).isEqualTo(200);
    }
    assertThat(pending).isNotDone();
    asyncGate.complete(null);

    assertThat(pending.get().statusCode()).isEqualTo(200);
    assertThat(recorder.ids()).contains("inv_async");
  }

  @Test
  void aSecretInTheQueryStringIsIgnored() throws Exception {
    // A11: only the signature header authenticates; the URL is never read.
    Req req = signedNow(Invalidation.builder().id("inv_query").path("/p").build()).without("webhook-signature");
    String encoded = java.net.URLEncoder.encode(SECRET, StandardCharsets.UTF_8);

    HttpResponse<String> r = post("/api/revalidate?secret=" + encoded, req);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(recorder.seen).isEmpty();
  }

  // ---- A12 over raw sockets

  private Socket raw() throws IOException {
    Socket s = new Socket(InetAddress.getByName(IP), server.getAddress().getPort());
    s.setSoTimeout(20_000);
    return s;
  }

  private static String head(Req req, String extra) {
    StringBuilder sb = new StringBuilder("POST /api/revalidate HTTP/1.1\r\nHost: pod\r\n");
    req.headers().forEach((k, v) -> sb.append(k).append(": ").append(v.get(0)).append("\r\n"));
    return sb.append(extra).append("\r\n").toString();
  }

  private static String statusLine(Socket s) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
    return in.readLine();
  }

  @Test
  void declaredLengthOverTheLimitIs413BeforeAnyBodyIsSent() throws Exception {
    Req req = signedNow(Invalidation.builder().id("inv_big").path("/p").build());
    try (Socket s = raw()) {
      s.getOutputStream().write(head(req, "Content-Length: 1000000000\r\n").getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();

      assertThat(statusLine(s)).startsWith("HTTP/1.1 413 ");
    }
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void endlessChunkedBodyIs413AndReadingStops() throws Exception {
    Req req = signedNow(Invalidation.builder().id("inv_chunks").path("/p").build());
    AtomicLong written = new AtomicLong();
    long cap = 64L << 20;
    try (Socket s = raw()) {
      OutputStream out = s.getOutputStream();
      out.write(head(req, "Transfer-Encoding: chunked\r\n").getBytes(StandardCharsets.ISO_8859_1));
      Thread writer = new Thread(() -> {
        byte[] chunk = ("1000\r\n" + "x".repeat(4096) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        try {
          while (written.get() < cap) {
            out.write(chunk);
            written.addAndGet(4096);
          }
        } catch (IOException e) {
          // The server closed the connection: what we wanted.
        }
      }, "test-chunk-writer");
      writer.setDaemon(true);
      writer.start();

      assertThat(statusLine(s)).startsWith("HTTP/1.1 413 ");
      s.shutdownOutput();
      writer.join(20_000);
    }
    assertThat(written.get()).isLessThan(cap);
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void aStalledUploadDoesNotHoldUpOtherRequests() throws Exception {
    Req req = signedNow(Invalidation.builder().id("inv_stall").path("/p").build());
    try (Socket stalled = raw()) {
      stalled.getOutputStream().write(head(req, "Content-Length: 500\r\n").getBytes(StandardCharsets.ISO_8859_1));
      stalled.getOutputStream().write("{\"id\":".getBytes(StandardCharsets.ISO_8859_1));
      stalled.getOutputStream().flush();

      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = post("/api/revalidate",
            signedNow(Invalidation.builder().id("inv_fine" + i).path("/p").build()));
        assertThat(r.statusCode()).isEqualTo(200);
      }
    }
    assertThat(recorder.ids()).containsExactly("inv_fine0", "inv_fine1", "inv_fine2");
  }

  @Test
  void shortBodyWithLyingLengthIsRejectedNotApplied() throws Exception {
    Req req = signedNow(Invalidation.builder().id("inv_lie").path("/p").build());
    try (Socket s = raw()) {
      // Claims 20 bytes, sends the whole body: only the first 20 are read, so the signature fails.
      s.getOutputStream().write(head(req, "Content-Length: 20\r\n").getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().write(req.body());
      s.getOutputStream().flush();

      assertThat(statusLine(s)).startsWith("HTTP/1.1 401 ");
    }
    assertThat(recorder.seen).isEmpty();
  }

  @Test
  void headersMapOfTheServerIsReadCaseInsensitively() {
    // com.sun.net.httpserver normalises names to "Webhook-id"; the framework-neutral entry point
    // sees whatever the framework gives it.
    Req req = signedNow(Invalidation.builder().id("inv_case").path("/p").build());
    Map<String, List<String>> upper = new java.util.TreeMap<>();
    req.headers().forEach((k, v) -> upper.put(k.toUpperCase(java.util.Locale.ROOT), v));

    assertThat(receiver.handle("POST", upper, req.body()).status()).isEqualTo(200);
  }

  @Test
  void clientThatGoesAwayBeforeTheAnswerLeavesTheServerHealthy() throws Exception {
    Req slow = signedNow(Invalidation.builder().id("inv_gone").path("/p").build());
    try (Socket s = new Socket(InetAddress.getByName(IP), server.getAddress().getPort())) {
      s.getOutputStream().write(head(slow, "Content-Length: " + slow.body().length + "\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().write(slow.body());
      s.getOutputStream().flush();
    }
    HttpResponse<String> r = post("/api/revalidate", signedNow(Invalidation.builder().id("inv_after").path("/p").build()));

    assertThat(r.statusCode()).isEqualTo(200);
  }
}
