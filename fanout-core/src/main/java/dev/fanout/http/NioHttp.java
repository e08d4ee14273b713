package dev.fanout.http;

import java.time.Duration;
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
    return nio.send(request.address(), request.buffers(), maxResponseBytes);
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
