package dev.fanout.examples;

import com.sun.net.httpserver.HttpServer;
import dev.fanout.Invalidation;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/** A stand-in CDN purge API on loopback, and a purger that calls it. */
final class StandInCdn implements AutoCloseable, Purger {
  private final HttpServer server;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final AtomicInteger purges = new AtomicInteger();
  volatile long lastPurgeNanos;

  StandInCdn(String ip) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), 0), 16);
    server.createContext("/purge", ex -> {
      try (ex) {
        ex.getRequestBody().readAllBytes();
        lastPurgeNanos = System.nanoTime();
        byte[] id = ("{\"id\":\"purge-" + purges.incrementAndGet() + "\"}").getBytes();
        ex.sendResponseHeaders(201, id.length);
        ex.getResponseBody().write(id);
      }
    });
    server.start();
  }

  @Override
  public CompletionStage<PurgeResult> purge(Invalidation inv) {
    URI uri = URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":"
        + server.getAddress().getPort() + "/purge");
    return client.sendAsync(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(
            String.join("\n", inv.paths()))).build(), HttpResponse.BodyHandlers.ofString())
        .thenApply(r -> PurgeResult.succeeded(name(), 1, List.of(r.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1"))));
  }

  @Override
  public String name() {
    return "cdn:stand-in";
  }

  int purges() {
    return purges.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
