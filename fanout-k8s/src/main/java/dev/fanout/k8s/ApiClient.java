package dev.fanout.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.internal.Futures;
import dev.fanout.internal.Timeouts;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two calls discovery makes to the Kubernetes API, over {@code java.net.http}: a LIST of the
 * Service's EndpointSlices (one page) and a WATCH from a resource version. The token goes only into
 * the {@code Authorization} header; a 401 re-reads the token file and retries once.
 *
 * <p>https://kubernetes.io/docs/reference/kubernetes-api/service-resources/endpoint-slice-v1/
 */
final class ApiClient {
  private static final Logger log = LoggerFactory.getLogger(KubernetesDiscovery.class);

  static final String RESOURCE = "endpointslices";
  static final String GROUP = "discovery.k8s.io";
  static final String SERVICE_LABEL = "kubernetes.io/service-name";

  /** An error body longer than this is cut; only the Status message is shown anyway. */
  private static final int MAX_ERROR_BODY = 64 * 1024;

  private final HttpClient http;
  private final URI collection;
  private final String namespace;
  private final String service;
  private final TokenSource token;
  private final ObjectMapper json;
  private final ScheduledExecutorService scheduler;
  private final Duration attemptTimeout;

  ApiClient(HttpClient http, URI apiServer, String namespace, String service, TokenSource token,
      ObjectMapper json, ScheduledExecutorService scheduler, Duration attemptTimeout) {
    this.http = http;
    this.namespace = namespace;
    this.service = service;
    this.token = token;
    this.json = json;
    this.scheduler = scheduler;
    this.attemptTimeout = attemptTimeout;
    String base = apiServer.toString();
    this.collection = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base)
        + "/apis/discovery.k8s.io/v1/namespaces/" + encode(namespace) + "/endpointslices");
  }

  /** An unsuccessful HTTP answer, with the Status message the API server sent. */
  static final class ApiException extends IOException {
    private static final long serialVersionUID = 1L;
    final int status;
    final transient Optional<Duration> retryAfter;

    ApiException(int status, String message, Optional<Duration> retryAfter) {
      super(message);
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The equality selector: set-based selectors are not understood by every fake and proxy. */
  String selector() {
    return "labelSelector=" + encode(SERVICE_LABEL + "=" + service);
  }

  URI listUri(int limit, String continueToken) {
    return URI.create(collection + "?" + selector() + "&limit=" + limit
        + (continueToken == null ? "" : "&continue=" + encode(continueToken)));
  }

  URI watchUri(String resourceVersion, long timeoutSeconds) {
    return URI.create(collection + "?" + selector() + "&watch=1&allowWatchBookmarks=true"
        + "&resourceVersion=" + encode(resourceVersion) + "&timeoutSeconds=" + timeoutSeconds);
  }

  String describe() {
    return "EndpointSlices of Service '" + service + "' in namespace '" + namespace + "' at "
        + collection.getScheme() + "://" + collection.getRawAuthority();
  }

  /** Lists one page. */
  CompletableFuture<JsonNode> list(int limit, String continueToken) {
    URI uri = listUri(limit, continueToken);
    return withAuthRetry(() -> sendList(uri), "list");
  }

  private CompletableFuture<JsonNode> sendList(URI uri) {
    HttpRequest request;
    try {
      request = request(uri).timeout(attemptTimeout).build();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    log.debug("GET {}", uri);
    CompletableFuture<HttpResponse<byte[]>> sent =
        http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
    // HttpRequest.timeout does not cover a body that stalls, so the whole exchange is bounded.
    CompletableFuture<JsonNode> result = new CompletableFuture<>();
    Timeouts.within(sent, attemptTimeout, scheduler, () -> new java.net.http.HttpTimeoutException(
        "list timed out after " + attemptTimeout.toMillis() + " ms")).whenComplete((response, error) -> {
      if (error != null) {
        result.completeExceptionally(Futures.unwrap(error));
        return;
      }
      if (response.statusCode() != 200) {
        result.completeExceptionally(failure(response.statusCode(),
            response.headers().firstValue("Retry-After"), response.body(), "list"));
        return;
      }
      try {
        result.complete(json.readTree(response.body()));
      } catch (IOException e) {
        result.completeExceptionally(new IOException("list answer is not JSON: " + e.getMessage()));
      }
    });
    return result;
  }

  /** Receives a watch stream. Called on the HTTP client's threads, one call at a time. */
  interface WatchHandler {
    /** The answer was 200; lines follow. The subscription cancels the stream. */
    void opened(Flow.Subscription subscription);

    void line(String line);

    /** The stream ended: cleanly ({@code error == null}) or broken. */
    void ended(Throwable error);
  }

  /**
   * Starts a watch; completes when the answer's headers arrive: normally for 200 (then lines go to
   * the handler), exceptionally for any other status or a connection failure.
   */
  CompletableFuture<Void> watch(String resourceVersion, long timeoutSeconds, WatchHandler handler) {
    URI uri = watchUri(resourceVersion, timeoutSeconds);
    return withAuthRetry(() -> sendWatch(uri, handler), "watch");
  }

  private CompletableFuture<Void> sendWatch(URI uri, WatchHandler handler) {
    HttpRequest request;
    try {
      // No request timeout: a watch lasts minutes; liveness is the idle deadline's job.
      request = request(uri).build();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    log.debug("GET {}", uri);
    CompletableFuture<Void> opened = new CompletableFuture<>();
    HttpResponse.BodyHandler<byte[]> bodyHandler = info -> {
      if (info.statusCode() != 200) {
        return BodySubscribers.ofByteArray();
      }
      opened.complete(null);
      return BodySubscribers.fromLineSubscriber(new Flow.Subscriber<String>() {
        @Override
        public void onSubscribe(Flow.Subscription s) {
          handler.opened(s);
          s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
          handler.line(line);
        }

        @Override
        public void onError(Throwable t) {
          handler.ended(t);
        }

        @Override
        public void onComplete() {
          handler.ended(null);
        }
      }, s -> new byte[0], StandardCharsets.UTF_8, null);
    };
    http.sendAsync(request, bodyHandler).whenComplete((response, error) -> {
      if (error != null) {
        opened.completeExceptionally(Futures.unwrap(error));
      } else if (response.statusCode() != 200) {
        opened.completeExceptionally(failure(response.statusCode(),
            response.headers().firstValue("Retry-After"), response.body(), "watch"));
      }
    });
    return opened;
  }

  private interface Call<T> {
    CompletableFuture<T> send();
  }

  private <T> CompletableFuture<T> withAuthRetry(Call<T> call, String verb) {
    return call.send().exceptionallyCompose(e -> {
      Throwable cause = Futures.unwrap(e);
      if (!(cause instanceof ApiException api) || api.status != 401 || token == null) {
        return CompletableFuture.failedFuture(cause);
      }
      log.debug("{} of {} answered 401; re-reading {} and retrying once", verb, describe(), token);
      try {
        token.refresh();
      } catch (IOException io) {
        return CompletableFuture.failedFuture(io);
      }
      return call.send();
    });
  }

  private HttpRequest.Builder request(URI uri) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().header("Accept", "application/json");
    if (token != null) {
      b.header("Authorization", token.authorization());
    }
    return b;
  }

  private ApiException failure(int status, Optional<String> retryAfter, byte[] body, String verb) {
    String serverMessage = statusMessage(body);
    String what = verb + " " + describe();
    String message = switch (status) {
      case 401 -> "Kubernetes API rejected the credentials (401 Unauthorized) for " + what
          + (token == null ? " (no token configured)" : " even after re-reading " + token);
      case 403 -> "Kubernetes API refused to " + what + " (403 Forbidden): the service account"
          + " needs the '" + verb + "' verb on resource '" + RESOURCE + "' (apiGroup " + GROUP
          + ") in namespace '" + namespace + "'";
      case 404 -> "Kubernetes API answered 404 Not Found to " + what + " (is " + GROUP
          + "/v1 served, and does the namespace exist?)";
      case 410 -> "Kubernetes API answered 410 Gone to " + what + " (resource version expired)";
      default -> "Kubernetes API answered " + status + " to " + what;
    };
    if (!serverMessage.isEmpty()) {
      message += "; server said: " + serverMessage;
    }
    return new ApiException(status, message, retryAfter.flatMap(ApiClient::seconds));
  }

  private static Optional<Duration> seconds(String value) {
    try {
      long s = Long.parseLong(value.strip());
      return s >= 0 ? Optional.of(Duration.ofSeconds(s)) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private String statusMessage(byte[] body) {
    if (body == null || body.length == 0 || body.length > MAX_ERROR_BODY) {
      return "";
    }
    try {
      JsonNode status = json.readTree(body);
      String m = status == null ? "" : status.path("message").asText("");
      return AddressFilter.printable(m, 300);
    } catch (IOException e) {
      return "";
    }
  }
}
