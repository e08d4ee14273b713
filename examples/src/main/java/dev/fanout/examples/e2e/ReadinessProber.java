package dev.fanout.examples.e2e;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Probes every backend of the front at {@code GET /api/ready} every 250 ms, as a kubelet runs a
 * readinessProbe, and tells the front: a replica holding its readiness until caught up gets no
 * user until it answers 200.
 */
final class ReadinessProber implements AutoCloseable {
  static final Duration PERIOD = Duration.ofMillis(250);

  private final RoundRobinFront front;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofMillis(500)).build();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(Stack.daemon("readiness-prober"));

  ReadinessProber(RoundRobinFront front) {
    this.front = front;
    timer.scheduleWithFixedDelay(this::probeAll, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void probeAll() {
    for (InetSocketAddress b : front.backends()) {
      front.ready(b, probe(b));
    }
  }

  private boolean probe(InetSocketAddress b) {
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + b.getAddress().getHostAddress() + ":"
          + b.getPort() + "/api/ready")).timeout(Duration.ofSeconds(1)).build();
      return http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (java.io.IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
