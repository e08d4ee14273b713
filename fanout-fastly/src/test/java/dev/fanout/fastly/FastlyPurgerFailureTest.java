package dev.fanout.fastly;

import static dev.fanout.fastly.FakeFastly.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.PurgeException;
import dev.fanout.RetryPolicy;
import dev.fanout.spi.PurgeResult;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tests for {@link FastlyPurger}: rate limits, retries, refused credentials, broken connections and
 * cancellation (fault matrix C5), driven by a manual clock and scheduler.
 */
class FastlyPurgerFailureTest {
  private static final RetryPolicy POLICY = RetryPolicy.defaults();
  @AutoClose private final Harness h = new Harness();

  private long nowEpochSecond() {
    return h.clock.instant().getEpochSecond();
  }

  @Test
  void rateLimitedWaitsForFastlyRateLimitResetThenRetries() {
    // Given: 429 with the reset 20 s away
    FastlyPurger purger = h.purger().build();
    h.server.enqueue(status(429, "{\"msg\":\"Too many requests\"}",
        "Fastly-RateLimit-Remaining", "0",
        "Fastly-RateLimit-Reset", String.valueOf(nowEpochSecond() + 20)));

    // When
    CompletableFuture<PurgeResult> f =
        purger.purge(Invalidation.ofTags("post:42")).toCompletableFuture();

    // Then: the retry waits exactly until the reset, and not a moment less
    h.awaitNextDelay(Duration.ofSeconds(20));
    h.scheduler.advance(Duration.ofSeconds(19));
    assertThat(h.server.requests()).hasSize(1);
    assertThat(f).isNotDone();
    h.scheduler.advance(Duration.ofSeconds(1));
    PurgeResult result = Harness.join(f);
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(2);
    assertThat(h.server.requests()).hasSize(2);
  }

  @Test
  void rateLimitedHonoursRetryAfterSeconds() {
    // Given
    FastlyPurger purger = h.purger().build();
    h.server.enqueue(status(429, "", "Retry-After", "7"));

    // When
    CompletableFuture<PurgeResult> f =
        purger.purge(Invalidation.ofTags("post:42")).toCompletableFuture();

    // Then
    h.awaitNextDelay(Duration.ofSeconds(7));
    h.scheduler.advance(Duration.ofSeconds(7));
    assertThat(Harness.join(f).isSuccess()).isTrue();
  }

  @Test
  void rateLimitedWithBothHintsWaitsForTheLaterOne() {
    // Given: Retry-After as an HTTP-date 30 s away, reset 12 s away
    FastlyPurger purger = h.purger().build();
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        h.clock.instant().plusSeconds(30).atZone(ZoneOffset.UTC));
    h.server.enqueue(status(429, "", "Retry-After", date,
        "Fastly-RateLimit-Reset", String.valueOf(nowEpochSecond() + 12)));

    // When
    CompletableFuture<PurgeResult> f =
        purger.purge(Invalidation.ofTags("post:42")).toCompletableFuture();

    // Then
    h.awaitNextDelay(Duration.ofSeconds(30));
    h.scheduler.advance(Duration.ofSeconds(30));
    assertThat(Harness.join(f).isSuccess()).isTrue();
  }

  @Test
  void aResetBeyondTheDeadlineFailsAtOnceInsteadOfWaiting() {
    // Given: the hourly limit resets in an hour; the deadline is 30 s
    FastlyPurger purger = h.purger().deadline(Duration.ofSeconds(30)).build();
    h.server.enqueue(status(429, "{\"msg\":\"Too many requests\"}",
        "Fastly-RateLimit-Reset", String.valueOf(nowEpochSecond() + 3600)));

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.THROTTLED);
    assertThat(e.getMessage()).contains("HTTP 429").contains("3600000 ms")
        .contains("would start after the deadline, 30000 ms away").contains("SU1Z0isx");
    assertThat(h.server.requests()).hasSize(1);
    assertThat(h.scheduler.pending()).isZero();
  }

  @Test
  void unreadableRateLimitHeadersFallBackToBackoff() {
    // Given
    FastlyPurger purger = h.purger().build();
    h.server.enqueue(status(429, "", "Retry-After", "soon", "Fastly-RateLimit-Reset", "-1"));

    // When
    CompletableFuture<PurgeResult> f =
        purger.purge(Invalidation.ofTags("post:42")).toCompletableFuture();

    // Then
    Duration backoff = Harness.backoff(POLICY, 1);
    h.awaitNextDelay(backoff);
    h.scheduler.advance(backoff);
    assertThat(Harness.join(f).isSuccess()).isTrue();
  }

  @Test
  void serverErrorsAreRetriedWithFullJitterBackoff() {
    // Given: 503, 500, 502, then Fastly answers
    FastlyPurger purger = h.purger().build();
    h.server.enqueue(status(503, ""), status(500, "{\"msg\":\"oops\"}"), status(502, ""));

    // When
    CompletableFuture<PurgeResult> f =
        purger.purge(Invalidation.ofTags("post:42")).toCompletableFuture();

    // Then: each wait is the seeded full-jitter draw for that attempt, within its bound
    for (int attempt = 1; attempt <= 3; attempt++) {
      Duration backoff = Harness.backoff(POLICY, IntStream.rangeClosed(1, attempt).toArray());
      assertThat(backoff).isLessThanOrEqualTo(Duration.ofMillis(100L << (attempt - 1)));
      h.awaitNextDelay(backoff);
      h.scheduler.advance(backoff);
    }
    PurgeResult result = Harness.join(f);
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(4);
  }

  @Test
  void serverErrorsStopAfterMaxAttempts() {
    // Given
    FastlyPurger purger = h.purger().retry(POLICY.withMaxAttempts(2)).build();
    h.server.enqueue(status(503, ""), status(504, "{\"msg\":\"Gateway timeout\"}"));

    // When
    CompletionStage<PurgeResult> stage = purger.purge(Invalidation.ofTags("post:42"));
    Duration backoff = Harness.backoff(POLICY, 1);
    h.awaitNextDelay(backoff);
    h.scheduler.advance(backoff);
    PurgeException e = Harness.failure(stage);

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("HTTP 504 Gateway timeout").contains("after 2 attempts");
    assertThat(h.server.requests()).hasSize(2);
  }

  @Test
  void aBackoffPastTheDeadlineFailsInsteadOfWaiting() {
    // Given: a deadline of zero allows no retry at all
    FastlyPurger purger = h.purger().deadline(Duration.ZERO).build();
    h.server.enqueue(status(503, ""));

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("would start after the deadline, 0 ms away");
    assertThat(h.server.requests()).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(ints = {401, 403})
  void refusedCredentialsFailFastNamingTheServiceAndSendNothingMore(int status) {
    // Given: three batches, one at a time
    FastlyPurger purger = h.purger().purgePaths(false).concurrency(1).build();
    h.server.enqueue(status(status, "{\"msg\":\"Provided credentials are missing or invalid\"}"));
    List<String> tags =
        IntStream.range(0, 600).mapToObj(i -> "t" + i).collect(Collectors.toList());

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.builder().tags(tags).build()));

    // Then: one request, no retry, no other batch sent
    assertThat(e.kind()).isEqualTo(ErrorKind.UNAUTHORIZED);
    assertThat(e.getMessage())
        .contains("Fastly refused the API token for service 'SU1Z0isx'")
        .contains("HTTP " + status)
        .contains("Provided credentials are missing or invalid")
        .contains("purge_select")
        .doesNotContain(FakeFastly.TOKEN);
    assertThat(h.server.requests()).hasSize(1);
    assertThat(h.scheduler.pending()).isZero();
  }

  @Test
  void aWrongTokenIsRefusedByTheFake() {
    // Given: the fake checks Fastly-Key like Fastly does
    FastlyPurger purger = h.purger().apiToken("another-token").build();

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofPaths("/a")));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.UNAUTHORIZED);
    assertThat(h.server.requests()).singleElement()
        .satisfies(r -> assertThat(r.header("Fastly-Key")).isEqualTo("another-token"));
  }

  @Test
  void aRejectedBatchLeavesTheOthersPurgedAndListsItsKeys() {
    // Given: batch 2 of 3 is rejected
    FastlyPurger purger = h.purger().purgePaths(false).concurrency(1).build();
    h.server.enqueue(
        FakeFastly.fastly(), status(400, "{\"msg\":\"Bad request\",\"detail\":\"x\"}"));
    List<String> tags =
        IntStream.range(0, 600).mapToObj(i -> "t" + i).collect(Collectors.toList());

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.builder().tags(tags).build()));

    // Then
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.status()).isEqualTo(PurgeResult.Status.FAILED);
    assertThat(result.errorKind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(result.notPurged()).isEqualTo(tags.subList(256, 512));
    assertThat(result.requests()).isEqualTo(3);
    assertThat(result.requestIds()).hasSize(256 + 88);
    assertThat(result.detail()).contains("1 of 3 requests failed")
        .contains("key batch 2/3 (256 keys)").contains("HTTP 400 Bad request: x");
    assertThat(h.server.requests()).hasSize(3);
  }

  @Test
  void aConnectionFailureIsRetriedThenReported() throws Exception {
    // Given: a loopback port nobody listens on
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    FastlyPurger purger = h.purger().baseUri(URI.create("http://127.0.0.1:" + port))
        .retry(POLICY.withMaxAttempts(2)).build();

    // When
    CompletionStage<PurgeResult> stage = purger.purge(Invalidation.ofTags("post:42"));
    Duration backoff = Harness.backoff(POLICY, 1);
    h.awaitNextDelay(backoff);
    h.scheduler.advance(backoff);
    PurgeException e = Harness.failure(stage);

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.CONNECT);
    assertThat(e.getMessage()).contains("ConnectException").contains("after 2 attempts");
    assertThat(e.getCause()).isInstanceOf(java.net.ConnectException.class);
  }

  @Test
  void aBodyCutShortIsRetried() {
    // Given
    FastlyPurger purger = h.purger().build();
    h.server.enqueue(FakeFastly.truncatedBody());

    // When
    CompletableFuture<PurgeResult> f =
        purger.purge(Invalidation.ofTags("post:42")).toCompletableFuture();

    // Then
    Duration backoff = Harness.backoff(POLICY, 1);
    h.awaitNextDelay(backoff);
    h.scheduler.advance(backoff);
    assertThat(Harness.join(f).isSuccess()).isTrue();
    assertThat(h.server.requests()).hasSize(2);
  }

  @Test
  void aStalledBodyTimesOutOnTheSchedulerAndIsRetried() {
    // Given: headers arrive, then the body stalls (HttpRequest.timeout would not fire on Java 17)
    FastlyPurger purger = h.purger().attemptTimeout(Duration.ofSeconds(3)).build();
    h.server.enqueue(FakeFastly.stallBody());

    // When
    CompletableFuture<PurgeResult> f =
        purger.purge(Invalidation.ofTags("post:42")).toCompletableFuture();
    h.awaitRequests(1);
    h.awaitNextDelay(Duration.ofSeconds(3));
    h.scheduler.advance(Duration.ofSeconds(3));

    // Then: the timeout is a retryable failure
    Duration backoff = Harness.backoff(POLICY, 1);
    h.awaitNextDelay(backoff);
    h.scheduler.advance(backoff);
    PurgeResult result = Harness.join(f);
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(2);
  }

  @Test
  void aStalledBodyOnEveryAttemptEndsAsATimeout() {
    // Given
    FastlyPurger purger = h.purger().attemptTimeout(Duration.ofSeconds(3))
        .retry(RetryPolicy.none()).build();
    h.server.enqueue(FakeFastly.stallBody());

    // When
    CompletionStage<PurgeResult> stage = purger.purge(Invalidation.ofTags("post:42"));
    h.awaitRequests(1);
    h.awaitNextDelay(Duration.ofSeconds(3));
    h.scheduler.advance(Duration.ofSeconds(3));
    PurgeException e = Harness.failure(stage);

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(e.getMessage()).contains("no complete response within 3000 ms");
  }

  @Test
  void cancellingAbortsTheRequestInFlightAndSendsNoMore() {
    // Given: a stalled first batch, more batches waiting for a slot
    FastlyPurger purger = h.purger().purgePaths(false).concurrency(1).build();
    h.server.enqueue(FakeFastly.stallBody());
    List<String> tags =
        IntStream.range(0, 600).mapToObj(i -> "t" + i).collect(Collectors.toList());
    CompletableFuture<PurgeResult> f =
        purger.purge(Invalidation.builder().tags(tags).build()).toCompletableFuture();
    h.awaitRequests(1);

    // When
    f.cancel(true);

    // Then: the request's timeout is dropped with it, and time passing sends nothing
    await().atMost(Harness.AWAIT).until(() -> h.scheduler.pending() == 0);
    h.scheduler.advance(Duration.ofMinutes(5));
    assertThat(h.server.requests()).hasSize(1);
  }

  @Test
  void cancellingDuringARetryWaitDropsTheRetry() {
    // Given
    FastlyPurger purger = h.purger().build();
    h.server.enqueue(status(429, "", "Retry-After", "10"));
    CompletableFuture<PurgeResult> f =
        purger.purge(Invalidation.ofTags("post:42")).toCompletableFuture();
    h.awaitNextDelay(Duration.ofSeconds(10));

    // When
    f.cancel(true);

    // Then
    assertThat(h.scheduler.pending()).isZero();
    h.scheduler.advance(Duration.ofSeconds(10));
    assertThat(h.server.requests()).hasSize(1);
  }

  @Test
  void aRedirectIsNotFollowed() throws Exception {
    // Given: a second loopback server the redirect points to
    HttpServer other =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicInteger hits = new AtomicInteger();
    other.createContext("/", ex -> {
      hits.incrementAndGet();
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    other.start();
    try {
      FastlyPurger purger = h.purger().build();
      h.server.enqueue(status(302, "", "Location",
          "http://127.0.0.1:" + other.getAddress().getPort() + "/service/SU1Z0isx/purge"));

      // When
      PurgeException e = Harness.failure(purger.purge(Invalidation.ofTags("post:42")));

      // Then
      assertThat(e.kind()).isEqualTo(ErrorKind.REDIRECT);
      assertThat(hits).hasValue(0);
      assertThat(h.server.requests()).hasSize(1);
    } finally {
      other.stop(0);
    }
  }

  @Test
  void anUnreadableSuccessAnswerStillCountsAsPurged() {
    // Given: Fastly accepted the purge, but the body is not the expected JSON
    FastlyPurger purger = h.purger().build();
    h.server.enqueue(status(200, "<html>ok</html>"));

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requestIds()).isEmpty();
  }

  @Test
  void anOversizedErrorAnswerIsReportedAsAShortExcerpt() {
    // Given: 3 MiB of error body
    FastlyPurger purger = h.purger().build();
    h.server.enqueue(status(400, "x".repeat(3 << 20)));

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(e.getMessage()).contains("HTTP 400 xxxxxxxx").hasSizeLessThan(500);
  }
}
