package dev.fanout.receiver;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * Plugs a receiver into a JDK {@code com.sun.net.httpserver.HttpServer}: refuses what the head
 * decides (405, a declared length over the limit) without reading the body, stops reading a chunked
 * body at the limit, and answers from the thread that finishes the work, so a slow handler or relay
 * does not hold a server thread.
 */
final class JdkHttpAdapter implements HttpHandler {
  private final InvalidationReceiver receiver;
  private final RequestReader reader;
  private final Logger log;

  JdkHttpAdapter(InvalidationReceiver receiver, RequestReader reader, Logger log) {
    this.receiver = receiver;
    this.reader = reader;
    this.log = log;
  }

  @Override
  public void handle(HttpExchange exchange) {
    byte[] body;
    String method;
    Map<String, List<String>> headers;
    try {
      method = exchange.getRequestMethod();
      headers = exchange.getRequestHeaders();
      body = reader.read(method, headers, exchange.getRequestBody());
    } catch (Rejection r) {
      send(exchange, receiver.reject(r));
      return;
    } catch (RuntimeException e) {
      log.debug("request could not be read: {}", e.getClass().getSimpleName());
      send(exchange, InvalidationReceiver.error(400, "body could not be read"));
      return;
    }
    receiver.handleAsync(method, headers, body).whenComplete((r, e) ->
        send(exchange, r != null ? r : InvalidationReceiver.error(500, "internal error")));
  }

  private void send(HttpExchange exchange, InvalidationReceiver.Response r) {
    try {
      byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("content-type", InvalidationReceiver.Response.CONTENT_TYPE);
      exchange.getResponseHeaders().set("cache-control", "no-store");
      if (r.status() == 405) {
        exchange.getResponseHeaders().set("allow", "POST");
      }
      if (r.status() == 413 || r.status() == 400) {
        // The rest of the body was not read; do not reuse the connection.
        exchange.getResponseHeaders().set("connection", "close");
      }
      exchange.sendResponseHeaders(r.status(), bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException | RuntimeException e) {
      log.debug("answer could not be sent: {}", e.getClass().getSimpleName());
    } finally {
      exchange.close();
    }
  }
}
