package dev.fanout.fastly;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.fanout.testing.JsonExchanges;
import dev.fanout.testing.LoopbackHttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback stand-in for Fastly's purge API, speaking its request and response shapes:
 *
 * <ul>
 *   <li>{@code POST /service/{id}/purge} with {@code Surrogate-Key: k1 k2}: 200 with a map of key
 *       to purge id;
 *   <li>{@code POST /purge/{host}/{path}}: 200 with {@code {"status":"ok","id":"..."}};
 *   <li>{@code POST /service/{id}/purge_all}: 200 with {@code {"status":"ok"}};
 *   <li>a missing or wrong {@code Fastly-Key}: 401 with {@code {"msg":...}}.
 * </ul>
 *
 * <p>Scripted answers queued with {@link #enqueue} are used first, one per request, in arrival
 * order. Every request is recorded.
 */
final class FakeFastly implements AutoCloseable {
  static final String SERVICE_ID = "SU1Z0isx";
  static final String TOKEN = "fastly-secret-token-0123456789abcdef";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A request as the server saw it. */
  record Recorded(String method, String rawPath, String rawQuery, String protocol,
      Map<String, List<String>> headers, byte[] body) {

    String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }

    List<String> surrogateKeys() {
      String v = header("Surrogate-Key");
      return v == null ? List.of() : Arrays.asList(v.split(" "));
    }
  }

  /** A scripted answer. */
  @FunctionalInterface
  interface Answer {
    void write(HttpExchange exchange, FakeFastly server) throws IOException;
  }

  private final LoopbackHttpServer server;
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final Queue<Answer> script = new ConcurrentLinkedQueue<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicLong ids = new AtomicLong(19170046);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();

  private FakeFastly() throws IOException {
    server = LoopbackHttpServer.start("fake-fastly", 16, this::handle);
  }

  static FakeFastly start() throws IOException {
    return new FakeFastly();
  }

  URI baseUri() {
    return server.baseUri();
  }

  List<Recorded> requests() {
    return List.copyOf(requests);
  }

  FakeFastly enqueue(Answer... answers) {
    script.addAll(Arrays.asList(answers));
    return this;
  }

  // ---- scripted answers ----

  static Answer status(int status, String body, String... headerPairs) {
    return (ex, s) -> JsonExchanges.send(ex, status, body, headerPairs);
  }

  /** Answers as Fastly does. */
  static Answer fastly() {
    return (ex, s) -> s.answerLikeFastly(ex);
  }

  /** Sends the headers and part of the body, then stalls until the server closes. */
  static Answer stallBody() {
    return (ex, s) -> JsonExchanges.stallBody(ex, "{\"status\"", s.release);
  }

  /** Promises 100 bytes, sends 10 and closes the connection: the client sees an I/O error. */
  static Answer truncatedBody() {
    return (ex, s) -> {
      ex.sendResponseHeaders(200, 100);
      OutputStream out = ex.getResponseBody();
      out.write("{\"status\":".getBytes(StandardCharsets.UTF_8));
      out.flush();
      ex.close();
    };
  }

  // ---- server ----

  private void handle(HttpExchange ex) throws IOException {
    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    try {
      record(ex);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  /** The most requests the server was handling at the same time. */
  int maxInFlight() {
    return maxInFlight.get();
  }

  private void record(HttpExchange ex) throws IOException {
    byte[] body = ex.getRequestBody().readAllBytes();
    requests.add(new Recorded(ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
        ex.getRequestURI().getRawQuery(), ex.getProtocol(), Map.copyOf(ex.getRequestHeaders()),
        body));
    Answer a = script.poll();
    try {
      (a != null ? a : fastly()).write(ex, this);
    } catch (IOException | RuntimeException e) {
      ex.close();
    }
  }

  private void answerLikeFastly(HttpExchange ex) throws IOException {
    if (!TOKEN.equals(ex.getRequestHeaders().getFirst("Fastly-Key"))) {
      status(401, "{\"msg\":\"Provided credentials are missing or invalid\"}").write(ex, this);
      return;
    }
    if (!ex.getRequestMethod().equals("POST")) {
      status(405, "{\"msg\":\"Method not allowed\"}").write(ex, this);
      return;
    }
    String path = ex.getRequestURI().getRawPath();
    String service = "/service/" + SERVICE_ID;
    if (path.equals(service + "/purge")) {
      String keys = ex.getRequestHeaders().getFirst("Surrogate-Key");
      ObjectNode map = JSON.createObjectNode();
      for (String k : keys == null ? new String[0] : keys.split(" ")) {
        map.put(k, nextId());
      }
      status(200, JSON.writeValueAsString(map)).write(ex, this);
    } else if (path.equals(service + "/purge_all")) {
      status(200, "{\"status\":\"ok\"}").write(ex, this);
    } else if (path.startsWith("/purge/")) {
      status(200, "{\"status\":\"ok\",\"id\":\"" + nextId() + "\"}").write(ex, this);
    } else {
      status(404, "{\"msg\":\"Record not found\"}").write(ex, this);
    }
  }

  private String nextId() {
    return "3646-1492515326-" + ids.getAndIncrement();
  }

  @Override
  public void close() {
    release.countDown();
    server.close();
  }

  /** Returns the keys of all recorded batch requests, in order. */
  List<String> allKeys() {
    List<String> out = new ArrayList<>();
    for (Recorded r : requests) {
      out.addAll(r.surrogateKeys());
    }
    return out;
  }
}
