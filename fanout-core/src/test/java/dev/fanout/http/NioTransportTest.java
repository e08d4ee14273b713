package dev.fanout.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.fanout.receiver.InvalidationReceiver;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Tests for {@link NioTransport}'s connection handling that the notifier contract does not reach. */
class NioTransportTest {
  private final NioTransport nio = new NioTransport(Duration.ofSeconds(2));

  @AfterEach
  void stop() {
    nio.close();
  }

  private static byte[] post(int bodyBytes) {
    byte[] head = ("POST /api/revalidate HTTP/1.1\r\nhost: pod\r\ncontent-type: application/json\r\n"
        + "content-length: " + bodyBytes + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[head.length + bodyBytes];
    System.arraycopy(head, 0, all, 0, head.length);
    java.util.Arrays.fill(all, head.length, all.length, (byte) 'x');
    return all;
  }

  private static InetSocketAddress address(RawPod pod) {
    return new InetSocketAddress(pod.endpoint().address(), pod.endpoint().port());
  }

  @Test
  void aRuntimeErrorWhileConnectingEndsTheExchangeInsteadOfLeavingItOpen() {
    // connect() throws an unchecked UnresolvedAddressException for an unresolved address.
    CompletableFuture<HttpTransport.Response> f =
        nio.send(InetSocketAddress.createUnresolved("pod.invalid", 80), new byte[0], 1024);

    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(UnresolvedAddressException.class);
  }

  @Test
  void aClosedTransportRefusesNewExchanges() {
    NioTransport closed = new NioTransport(Duration.ofSeconds(2));
    closed.close();

    assertThatThrownBy(() -> closed.send(new InetSocketAddress("127.0.0.1", 9), new byte[0], 1024))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theReceiversEarly413IsReportedNotAConnectionReset() throws Exception {
    // The receiver decides 413 from Content-Length, answers, and closes without reading the body.
    // Read while writing, so that answer is what the sender sees (not a reset to retry).
    InvalidationReceiver receiver = InvalidationReceiver.builder().secret(WebhookSigner.generateSecret())
        .handler(i -> { }).build();
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0), 16);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    server.setExecutor(threads);
    server.createContext("/api/revalidate", receiver.httpHandler());
    server.start();
    try {
      for (int k = 0; k < 5; k++) {
        HttpTransport.Response r = nio.send(new InetSocketAddress(server.getAddress().getAddress(),
            server.getAddress().getPort()), post(16 << 20), 1024).get(10, TimeUnit.SECONDS);

        assertThat(r.status()).isEqualTo(413);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("body too large");
      }
    } finally {
      server.stop(0);
      threads.shutdownNow();
    }
  }

  @Test
  void anAnswerBeforeTheBodyWasReadIsReportedEvenIfThePeerNeverReadsOn() throws Exception {
    try (RawPod pod = RawPod.start("127.0.0.3", (s, i) -> {
      RawPod.readHead(s.getInputStream());
      s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\ncontent-length: 3\r\n\r\nbad"
          .getBytes(StandardCharsets.ISO_8859_1));
      new CountDownLatch(1).await(); // holds the connection open, reading nothing more
    })) {
      HttpTransport.Response r = nio.send(address(pod), post(16 << 20), 1024).get(10, TimeUnit.SECONDS);

      assertThat(r.status()).isEqualTo(400);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("bad");
    }
  }

  @Test
  void aConnectionWithUnsentRequestBytesIsNeverPooled() throws Exception {
    // Connection 0: a small request answered normally (so the connection is pooled), then a large
    // one answered 413 from its head while most of its body is still unsent; the server keeps the
    // connection and would read the leftover body bytes as the start of the next request. The
    // third request must therefore go out on a new connection.
    CountDownLatch hold = new CountDownLatch(1);
    try (RawPod pod = RawPod.start("127.0.0.4", (s, i) -> {
      InputStream in = s.getInputStream();
      if (i == 0) {
        RawPod.readRequest(in);
        s.getOutputStream().write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        RawPod.readHead(in);
        s.getOutputStream().write("HTTP/1.1 413 Too Large\r\ncontent-length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        hold.await();
        return;
      }
      RawPod.answering("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").serve(s, i);
    })) {
      assertThat(nio.send(address(pod), post(10), 1024).get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(nio.send(address(pod), post(16 << 20), 1024).get(10, TimeUnit.SECONDS).status()).isEqualTo(413);

      assertThat(nio.send(address(pod), post(10), 1024).get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(pod.accepted()).isEqualTo(2);
    } finally {
      hold.countDown();
    }
  }
}
