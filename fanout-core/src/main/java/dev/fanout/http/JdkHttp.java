package dev.fanout.http;

import dev.fanout.internal.CappedBody;
import dev.fanout.internal.DaemonThreads;
import java.net.ProtocolException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Requests over {@code java.net.http}: HTTPS, HTTP/2, host names and a client of the user's own.
 * The default client is created on first use: HTTP/1.1 (no h2c upgrade offered to every pod), the
 * connect timeout, redirects never followed, and two daemon threads of its own, so the thread count
 * does not grow with the number of replicas.
 */
final class JdkHttp implements HttpTransport {
  private final HttpClient given;
  private final Duration connectTimeout;
  private final Duration requestTimeout;
  private final int maxResponseBytes;
  private volatile HttpClient client;
  private volatile ExecutorService clientThreads;

  /**
   * @param given the user's client, or null for the default one
   * @param requestTimeout a backstop for the time to the response headers
   */
  JdkHttp(HttpClient given, Duration connectTimeout, Duration requestTimeout, int maxResponseBytes) {
    this.given = given;
    this.connectTimeout = connectTimeout;
    this.requestTimeout = requestTimeout;
    this.maxResponseBytes = maxResponseBytes;
  }

  @Override
  public CompletableFuture<Response> send(WireRequest request) {
    CompletableFuture<HttpResponse<byte[]>> call =
        client().sendAsync(toHttpRequest(request), CappedBody.handler(maxResponseBytes));
    return HttpTransport.map(call, response -> {
      // The JDK client is lenient about framing; refuse what the NIO transport refuses.
      String framing = ResponseParser.framingProblem(response.statusCode(),
          joined(response.headers().allValues("content-length")),
          joined(response.headers().allValues("transfer-encoding")));
      if (framing != null) {
        throw new CompletionException(new ProtocolException(framing));
      }
      return new Response(response.statusCode(), response.body(),
          response.headers().firstValue("retry-after").orElse(null));
    });
  }

  private HttpRequest toHttpRequest(WireRequest r) {
    HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(r.scheme() + "://" + r.authority() + r.target()))
        .method(r.method(), r.body().length == 0
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(r.body()))
        .timeout(requestTimeout);
    for (Map.Entry<String, String> h : r.headers()) {
      rb.header(h.getKey(), h.getValue());
    }
    return rb.build();
  }

  private static String joined(List<String> values) {
    return values.isEmpty() ? null : String.join(", ", values);
  }

  private HttpClient client() {
    HttpClient c = client;
    if (c == null) {
      synchronized (this) {
        c = client;
        if (c == null) {
          if (given != null) {
            c = given;
          } else {
            clientThreads = Executors.newFixedThreadPool(2, new DaemonThreads("fanout-http"));
            c = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .executor(clientThreads)
                .build();
          }
          client = c;
        }
      }
    }
    return c;
  }

  @Override
  public String name() {
    return "jdk";
  }

  @Override
  public void close() {
    ExecutorService threads = clientThreads;
    if (threads != null) {
      threads.shutdown();
    }
  }
}
