package dev.fanout.k8s;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.fanout.testing.LoopbackHttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A fake Kubernetes API server on the JDK's HttpServer, bound to 127.0.0.1. It serves scripted
 * answers to EndpointSlice LISTs and WATCHes, in order; a watch answer is a real chunked stream of
 * JSON lines that the test feeds while it is open (events, bookmarks, ERROR 410, a half line, a
 * clean end, or a cut connection). Every request is recorded. When tokens are set, a request
 * without one of them gets 401.
 */
final class FakeApiServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final String END = "\u0000end";
  private static final String CUT = "\u0000cut";

  /** One request as received. */
  record Request(String path, String rawQuery, Map<String, String> query, String authorization) {
    boolean isWatch() {
      return "1".equals(query.get("watch")) || "true".equals(query.get("watch"));
    }
  }

  /** Writes one answer. */
  interface Reply {
    void send(HttpExchange exchange) throws IOException;
  }

  private final LoopbackHttpServer server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedDeque<Reply> lists = new ConcurrentLinkedDeque<>();
  private final ConcurrentLinkedDeque<Reply> watches = new ConcurrentLinkedDeque<>();
  private final List<WatchStream> streams = new CopyOnWriteArrayList<>();
  private volatile Set<String> tokens = Set.of();

  FakeApiServer() throws IOException {
    server = LoopbackHttpServer.startUnbounded("fake-api-server", this::handle);
  }

  URI uri() {
    return server.baseUri();
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  List<Request> listRequests() {
    return requests.stream().filter(r -> !r.isWatch()).toList();
  }

  List<Request> watchRequests() {
    return requests.stream().filter(Request::isWatch).toList();
  }

  /** Only these bearer tokens are accepted from now on. */
  void acceptTokens(String... accepted) {
    tokens = Set.of(accepted);
  }

  FakeApiServer onList(Reply reply) {
    lists.add(reply);
    return this;
  }

  FakeApiServer onWatch(Reply reply) {
    watches.add(reply);
    return this;
  }

  /** Scripts the next watch as a stream and returns it, to be fed by the test. */
  WatchStream nextWatch() {
    WatchStream s = new WatchStream();
    watches.add(s);
    return s;
  }

  private void handle(HttpExchange exchange) throws IOException {
    Map<String, String> query = new LinkedHashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        query.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
            eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    Request request = new Request(exchange.getRequestURI().getRawPath(), raw, query, auth);
    requests.add(request);
    Set<String> accepted = tokens;
    if (!accepted.isEmpty() && (auth == null || !auth.startsWith("Bearer ")
        || !accepted.contains(auth.substring(7)))) {
      status(401, "Unauthorized", "Unauthorized").send(exchange);
      return;
    }
    Reply reply = (request.isWatch() ? watches : lists).poll();
    if (reply == null) {
      reply = request.isWatch() ? new WatchStream()
          : status(500, "InternalError", "no scripted answer for this list");
    }
    reply.send(exchange);
  }

  static Reply json(int code, String body, String... headers) {
    return exchange -> {
      for (int i = 0; i + 1 < headers.length; i += 2) {
        exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
      }
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(b);
      }
    };
  }

  static Reply status(int code, String reason, String message, String... headers) {
    ObjectNode s = JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1")
        .put("status", "Failure").put("message", message).put("reason", reason).put("code", code);
    return json(code, s.toString(), headers);
  }

  /** An EndpointSliceList page. */
  static Reply list(String resourceVersion, String continueToken, ObjectNode... slices) {
    ObjectNode list = JSON.createObjectNode().put("kind", "EndpointSliceList")
        .put("apiVersion", "discovery.k8s.io/v1");
    ObjectNode meta = list.putObject("metadata").put("resourceVersion", resourceVersion);
    if (continueToken != null) {
      meta.put("continue", continueToken);
    }
    var items = list.putArray("items");
    for (ObjectNode s : slices) {
      items.add(s);
    }
    return json(200, list.toString());
  }

  /** A watch answered with a chunked stream of lines, fed by the test. */
  final class WatchStream implements Reply {
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    @Override
    public void send(HttpExchange exchange) throws IOException {
      streams.add(this);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      out.flush();
      opened.complete(null);
      try {
        while (true) {
          String line;
          try {
            line = lines.take();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          if (line.equals(END)) {
            out.close();
            return;
          }
          if (line.equals(CUT)) {
            // Without the final chunk the client sees the stream break, as when a proxy dies.
            throw new IOException("cut by the test");
          }
          out.write(line.getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      } catch (IOException e) {
        exchange.close();
        if (!e.getMessage().equals("cut by the test")) {
          throw e;
        }
        throw new IOException("stream cut");
      } finally {
        finished.complete(null);
      }
    }

    boolean isOpen() {
      return opened.isDone() && !finished.isDone();
    }

    boolean isFinished() {
      return finished.isDone();
    }

    WatchStream raw(String text) {
      lines.add(text);
      return this;
    }

    WatchStream event(String type, ObjectNode object) {
      return raw(JSON.createObjectNode().put("type", type).set("object", object).toString() + "\n");
    }

    WatchStream bookmark(String resourceVersion) {
      ObjectNode o = JSON.createObjectNode().put("kind", "EndpointSlice")
          .put("apiVersion", "discovery.k8s.io/v1");
      o.putObject("metadata").put("resourceVersion", resourceVersion);
      return event("BOOKMARK", o);
    }

    WatchStream expired() {
      ObjectNode s = JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1")
          .put("status", "Failure").put("message", "too old resource version: 1 (5)")
          .put("reason", "Expired").put("code", 410);
      return event("ERROR", s);
    }

    WatchStream end() {
      return raw(END);
    }

    WatchStream cut() {
      return raw(CUT);
    }
  }

  @Override
  public void close() {
    for (WatchStream s : streams) {
      s.end();
    }
    server.close();
  }
}
