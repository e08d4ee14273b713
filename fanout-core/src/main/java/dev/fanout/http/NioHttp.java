package dev.fanout.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Requests over fanout's own HTTP/1.1 client, {@link NioTransport}: plain HTTP to IP literals. A
 * host-name endpoint, which would need a look-up, goes through {@code java.net.http} instead.
 */
final class NioHttp implements HttpTransport {
  private final NioTransport nio;
  private final JdkHttp hostNames;
  private final int maxResponseBytes;

  NioHttp(Duration connectTimeout, JdkHttp hostNames, int maxResponseBytes) {
    this.nio = new NioTransport(connectTimeout);
    this.hostNames = hostNames;
    this.maxResponseBytes = maxResponseBytes;
  }

  @Override
  public CompletableFuture<Response> send(WireRequest request) {
    if (request.address().isUnresolved()) {
      return hostNames.send(request);
    }
    CompletableFuture<NioTransport.Response> call = nio.send(request.address(), toBytes(request), maxResponseBytes);
    return HttpTransport.cancelling(call, call.thenApply(response ->
        new Response(response.status(), response.body(), response.headers().get("retry-after"))));
  }

  /** The request as HTTP/1.1 bytes: head in ISO-8859-1 (the header values are checked ASCII), then the body. */
  static byte[] toBytes(WireRequest r) {
    StringBuilder sb = new StringBuilder(160 + 96 * r.headers().size()).append(r.method()).append(' ')
        .append(r.target()).append(" HTTP/1.1\r\nhost: ").append(r.authority()).append("\r\n");
    for (Map.Entry<String, String> h : r.headers()) {
      sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    sb.append("content-length: ").append(r.body().length).append("\r\n\r\n");
    byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = Arrays.copyOf(head, head.length + r.body().length);
    System.arraycopy(r.body(), 0, all, head.length, r.body().length);
    return all;
  }

  @Override
  public String name() {
    return "nio";
  }

  @Override
  public void close() {
    nio.close();
    hostNames.close();
  }
}
