package dev.fanout.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.http.WebhookSigner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/** A small HTTP client for the tests: a CMS's requests, signed or with a header secret. */
final class Http {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  Http(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  /** An answer: status, parsed JSON body and the Retry-After header. */
  record Answer(int status, JsonNode json, String retryAfter) {
    String text(String field) {
      JsonNode v = json.get(field);
      return v == null ? null : v.asText();
    }
  }

  HttpRequest.Builder post(String path, String body, String contentType) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
  }

  HttpRequest.Builder get(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET();
  }

  /** Adds Standard Webhooks headers signed with {@code secret} over {@code body}. */
  static HttpRequest.Builder sign(HttpRequest.Builder b, String secret, String id, Instant at, String body) {
    long ts = at.getEpochSecond();
    return b.header("webhook-id", id).header("webhook-timestamp", Long.toString(ts))
        .header("webhook-signature", WebhookSigner.of(secret).sign(id, ts,
            body.getBytes(StandardCharsets.UTF_8)));
  }

  Answer signedPost(String path, String secret, String body) {
    return send(sign(post(path, body, "application/json"), secret, "msg_" + UUID.randomUUID(),
        Instant.now(), body));
  }

  Answer send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
      return new Answer(r.statusCode(), json, r.headers().firstValue("Retry-After").orElse(null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
