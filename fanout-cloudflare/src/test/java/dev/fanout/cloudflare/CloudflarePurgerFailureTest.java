package dev.fanout.cloudflare;

import static dev.fanout.cloudflare.FakeCloudflare.error;
import static dev.fanout.cloudflare.FakeCloudflare.status;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tests for {@link CloudflarePurger}: rate limits (its own and Cloudflare's 429), retries, refused
 * credentials, unknown zones, Cloudflare's error envelope, broken connections and cancellation, on
 * a manual clock shared with the stand-in.
 */
class CloudflarePurgerFailureTest {
  private static final RetryPolicy POLICY = RetryPolicy.defaults();
  private static final String SLOW_DOWN = "Please wait and consider throttling your request speed";
  /** Each test builds its own, for the plan it needs. */
  @AutoClose private Harness h;

  private static Invalidation tags(int n) {
    return Invalidation.builder()
        .tags(IntStream.range(0, n).mapToObj(i -> "post:" + i).toList()).build();
  }

  private static CompletableFuture<PurgeResult> purge(CloudflarePurger p, Invalidation inv) {
    return p.purge(inv).toCompletableFuture();
  }

  // ---- 429 and the account's rate limit ----

  @Test
  void a429WaitsExactlyForRetryAfter() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    h.server.enqueue(error(429, 971, SLOW_DOWN, "Retry-After", "7"));

    // When
    CompletableFuture<PurgeResult> f = purge(purger, Invalidation.ofTags("post:42"));

    // Then: the retry is due in exactly 7 s, and not a moment earlier
    h.awaitNextDelay(Duration.ofSeconds(7));
    h.scheduler.advance(Duration.ofMillis(6_999));
    assertThat(h.server.requests()).hasSize(1);
    assertThat(f).isNotDone();
    h.scheduler.advance(Duration.ofMillis(1));
    PurgeResult result = Harness.join(f);
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(2);
    assertThat(h.server.requests().get(1).at())
        .isEqualTo(h.server.requests().get(0).at().plusSeconds(7));
  }

  @Test
  void a429FromASecondSenderOnTheAccountIsWaitedOut() {
    // Given: Free plan; another JVM (here: a purger keyed by another account id, so with buckets
    // of its own) spends the whole bucket of 25 that the stand-in keeps for the account
    h = new Harness(Plan.FREE);
    CloudflarePurger other = h.purger().accountId("ffffffffffffffffffffffffffffff01".substring(0, 30)
        + h.accountId.substring(30)).build();
    CompletableFuture<PurgeResult> first = purge(other, tags(2_500));
    h.drive(other, first);
    assertThat(Harness.join(first).requests()).isEqualTo(25);
    Instant t0 = h.clock.instant();
    CloudflarePurger purger = h.purger().build();

    // When: this purger's own bucket is full, but Cloudflare's is empty
    CompletableFuture<PurgeResult> f = purge(purger, Invalidation.ofTags("post:42"));
    h.drive(purger, f);

    // Then: 429 with Retry-After 12 s (the next token of 5 per minute), then accepted at 12 s
    PurgeResult result = Harness.join(f);
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(2);
    List<FakeCloudflare.Recorded> mine = h.server.requests().subList(25, 27);
    assertThat(mine).extracting(FakeCloudflare.Recorded::status).containsExactly(429, 200);
    assertThat(mine.get(0).header("Authorization")).isNotNull();
    assertThat(mine.get(1).at()).isEqualTo(t0.plusSeconds(12));
    assertThat(h.server.throttled()).isEqualTo(1);
  }

  @Test
  void a429WithoutRetryAfterBacksOffThenWaitsForTheEmptiedBucket() {
    // Given: Free plan, a 429 without Retry-After
    h = new Harness(Plan.FREE);
    CloudflarePurger purger = h.purger().build();
    h.server.enqueue(error(429, 971, SLOW_DOWN));
    Instant t0 = h.clock.instant();

    // When
    CompletableFuture<PurgeResult> f = purge(purger, Invalidation.ofTags("post:42"));
    h.drive(purger, f);

    // Then: the 429 emptied the account's bucket, so the retry went with the next token, 12 s on
    assertThat(Harness.join(f).isSuccess()).isTrue();
    assertThat(h.server.requests()).extracting(FakeCloudflare.Recorded::at)
        .containsExactly(t0, t0.plusSeconds(12));
  }

  @Test
  void a429BeyondTheDeadlineFailsAtOnce() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().deadline(Duration.ofSeconds(30)).build();
    h.server.enqueue(error(429, 971, SLOW_DOWN, "Retry-After", "3600"));

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.THROTTLED);
    assertThat(e.getMessage()).contains(FakeCloudflare.ZONE).contains("HTTP 429, error 971")
        .contains("next attempt in 3600000 ms would start after the deadline");
    assertThat(h.server.requests()).hasSize(1);
    assertThat(h.scheduler.pending()).isZero();
  }

  @Test
  void requestsThatTheRateLimitCannotFitBeforeTheDeadlineAreNotSent() {
    // Given: Free plan (bucket 25, then one per 12 s), 30 requests' worth of tags, 30 s deadline
    h = new Harness(Plan.FREE);
    CloudflarePurger purger = h.purger().deadline(Duration.ofSeconds(30)).build();
    Invalidation inv = tags(3_000);
    Instant t0 = h.clock.instant();

    // When
    CompletableFuture<PurgeResult> f = purge(purger, inv);
    h.drive(purger, f);

    // Then: 25 at once, one at 12 s, one at 24 s; the other three would go after 30 s, so they
    // are not sent, and Cloudflare never had to refuse anything
    PurgeResult result = Harness.join(f);
    assertThat(result.status()).isEqualTo(PurgeResult.Status.FAILED);
    assertThat(result.requests()).isEqualTo(27);
    assertThat(result.requestIds()).hasSize(27);
    assertThat(result.notPurged()).hasSize(300);
    assertThat(result.errorKind()).isEqualTo(ErrorKind.THROTTLED);
    assertThat(result.detail()).contains("3 of 30 requests failed")
        .contains("not sent: the account's purge rate limit (5 requests per PT1M (bucket 25)")
        .contains("before the deadline");
    assertThat(h.server.throttled()).isZero();
    List<Instant> at = h.server.requests().stream().map(FakeCloudflare.Recorded::at).toList();
    assertThat(at.subList(0, 25)).containsOnly(t0);
    assertThat(at.subList(25, 27)).containsExactly(t0.plusSeconds(12), t0.plusSeconds(24));
  }

  @Test
  void purgersOfOneAccountShareOneBucket() {
    // Given: two purgers of the same account on Pro (bucket 25, 5 per second), 20 requests each
    h = new Harness(Plan.PRO);
    CloudflarePurger a = h.purger().concurrency(20).build();
    CloudflarePurger b = h.purger().concurrency(20).build();
    Instant t0 = h.clock.instant();

    // When: both purge at the same moment
    CompletableFuture<PurgeResult> fa = purge(a, tags(2_000));
    CompletableFuture<PurgeResult> fb = purge(b, tags(2_000));
    h.drive(List.of(a, b), List.of(fa, fb));

    // Then: 25 at once, then one every 200 ms: the 40th at 3 s; Cloudflare refused none
    assertThat(Harness.join(fa).isSuccess()).isTrue();
    assertThat(Harness.join(fb).isSuccess()).isTrue();
    assertThat(h.server.throttled()).isZero();
    List<Instant> at = h.server.requests().stream().map(FakeCloudflare.Recorded::at).sorted()
        .toList();
    assertThat(at).hasSize(40);
    assertThat(at.subList(0, 25)).containsOnly(t0);
    assertThat(at.get(25)).isEqualTo(t0.plusMillis(200));
    assertThat(at.get(39)).isEqualTo(t0.plusSeconds(3));
  }

  // ---- 5xx and connections ----

  @Test
  void serverErrorsAreRetriedWithTheSeededFullJitterBackoff() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    h.server.enqueue(error(503, 10000, "Service unavailable"), status(500, "oops"),
        error(502, 10000, "Bad gateway"));

    // When
    CompletableFuture<PurgeResult> f = purge(purger, Invalidation.ofTags("post:42"));

    // Then: each retry waits exactly the next full-jitter draw
    for (int n = 1; n <= 3; n++) {
      int[] draws = IntStream.rangeClosed(1, n).toArray();
      Duration d = Harness.backoff(POLICY, draws);
      h.awaitRequests(n);
      h.awaitNextDelay(d);
      h.scheduler.advance(d);
    }
    PurgeResult result = Harness.join(f);
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(4);
  }

  @Test
  void a503RetryAfterIsHonoured() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    h.server.enqueue(status(503, "", "Retry-After", "2"));

    // When
    CompletableFuture<PurgeResult> f = purge(purger, Invalidation.ofTags("post:42"));

    // Then
    h.awaitNextDelay(Duration.ofSeconds(2));
    h.scheduler.advance(Duration.ofSeconds(2));
    assertThat(Harness.join(f).isSuccess()).isTrue();
  }

  @Test
  void exhaustedAttemptsFailWithTheLastError() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().retry(POLICY.withMaxAttempts(2)).build();
    h.server.enqueue(error(503, 10000, "Service unavailable"),
        error(503, 10000, "Service unavailable"));

    // When
    CompletableFuture<PurgeResult> f = purge(purger, Invalidation.ofTags("post:42"));
    h.drive(purger, f);

    // Then
    PurgeException e = Harness.failure(f);
    assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("HTTP 503, error 10000 Service unavailable")
        .contains("after 2 attempts");
  }

  @Test
  void connectionRefusedIsRetriedThenReported() throws Exception {
    // Given: a port nobody listens on
    h = new Harness(Plan.PRO);
    int port;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      port = s.getLocalPort();
    }
    CloudflarePurger purger = h.purger().baseUri(URI.create("http://127.0.0.1:" + port))
        .retry(POLICY.withMaxAttempts(3)).build();

    // When
    CompletableFuture<PurgeResult> f = purge(purger, Invalidation.ofTags("post:42"));
    h.drive(purger, f);

    // Then
    PurgeException e = Harness.failure(f);
    assertThat(e.kind()).isEqualTo(ErrorKind.CONNECT);
    assertThat(e.getMessage()).contains("after 3 attempts");
  }

  @Test
  void aStalledBodyTimesOutOnTheSchedulerAndIsRetried() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().attemptTimeout(Duration.ofSeconds(2)).build();
    h.server.enqueue(FakeCloudflare.stallBody());

    // When
    CompletableFuture<PurgeResult> f = purge(purger, Invalidation.ofTags("post:42"));

    // Then: the timer of the first attempt fires at 2 s; the retry succeeds
    h.awaitRequests(1);
    h.awaitNextDelay(Duration.ofSeconds(2));
    h.scheduler.advance(Duration.ofSeconds(2));
    h.drive(purger, f);
    PurgeResult result = Harness.join(f);
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(2);
  }

  // ---- refused credentials, unknown zones, Cloudflare's errors ----

  @Test
  void aBadTokenStopsThePurgeNamingTheZone() {
    // Given: a token the stand-in does not know; three batches, one at a time
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().apiToken("not-the-token").concurrency(1).build();

    // When
    CompletableFuture<PurgeResult> f = purge(purger, tags(300));
    h.drive(purger, f);

    // Then: one request, refused; the other two never sent
    PurgeException e = Harness.failure(f);
    assertThat(e.kind()).isEqualTo(ErrorKind.UNAUTHORIZED);
    assertThat(e.getMessage())
        .startsWith("Cloudflare refused the API token for zone '" + FakeCloudflare.ZONE + "'")
        .contains("HTTP 403, error 10000 Authentication error")
        .contains("Zone > Cache Purge > Purge");
    assertThat(h.server.requests()).hasSize(1);
    assertThat(h.scheduler.pending()).isZero();
  }

  @ParameterizedTest
  @ValueSource(ints = {401, 403})
  void refusedCredentialsAreNotRetried(int status) {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    h.server.enqueue(error(status, 10000, "Authentication error"));

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.UNAUTHORIZED);
    assertThat(e.getMessage()).contains("HTTP " + status);
    assertThat(h.server.requests()).hasSize(1);
  }

  @Test
  void anUnknownZoneStopsThePurgeNamingIt() {
    // Given: a well-formed zone id the stand-in does not have
    h = new Harness(Plan.PRO);
    String zone = "11111111111111111111111111111111";
    CloudflarePurger purger = h.purger().zoneId(zone).concurrency(1).build();

    // When
    CompletableFuture<PurgeResult> f = purge(purger, tags(300));
    h.drive(purger, f);

    // Then
    PurgeException e = Harness.failure(f);
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.target()).isEqualTo("cloudflare:" + zone);
    assertThat(e.getMessage())
        .startsWith("Cloudflare has no zone '" + zone + "' for this token")
        .contains("HTTP 400, error 7003 Could not route to /client/v4/zones/" + zone)
        .contains("error 7000 No route for that URI").contains("check zoneId");
    assertThat(h.server.requests()).hasSize(1);
  }

  @Test
  void successFalseIsAFailureWithCloudflaresCodes() {
    // Given: a 200 whose envelope says it failed
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    h.server.enqueue(status(200, "{\"success\":false,\"errors\":[{\"code\":1234,\"message\":"
        + "\"nope\"}],\"messages\":[],\"result\":null}"));

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.getMessage()).contains("success:false, HTTP 200, error 1234 nope");
    assertThat(h.server.requests()).hasSize(1);
  }

  @Test
  void aRequestOverThePerRequestLimitIsReportedWithTheCode() {
    // Given: limits that allow 200 tags per request against a stand-in that allows 100
    h = new Harness(Plan.PRO);
    CloudflarePurger purger =
        h.purger().limits(Plan.PRO.limits().withMaxPerRequest(200, 100)).build();

    // When
    PurgeException e = Harness.failure(purger.purge(tags(200)));

    // Then: refused by Cloudflare, reported with its code, not retried
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.getMessage())
        .contains("HTTP 400, error 1015 More than 100 tags in one request (200)");
    assertThat(h.server.requests()).hasSize(1);
  }

  @Test
  void aPartialFailureListsWhatWasNotPurgedAndKeepsTheIds() {
    // Given: the second of three batches is refused
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().concurrency(1).build();
    h.server.enqueue(FakeCloudflare.asCloudflare(), error(400, 1015, "invalid tag"));
    Invalidation inv = tags(300);

    // When
    PurgeResult result = Harness.join(purger.purge(inv));

    // Then
    assertThat(result.status()).isEqualTo(PurgeResult.Status.FAILED);
    assertThat(result.requests()).isEqualTo(3);
    assertThat(result.requestIds()).hasSize(2);
    assertThat(result.notPurged()).containsExactlyElementsOf(inv.tags().subList(100, 200));
    assertThat(result.errorKind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(result.detail())
        .isEqualTo("1 of 3 requests failed; tags 2/3 (100 tags): HTTP 400, error 1015 invalid tag");
  }

  @Test
  void aRedirectIsNotFollowed() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    h.server.enqueue(status(301, "", "Location", "http://127.0.0.1:1/elsewhere"));

    // When
    PurgeException e = Harness.failure(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.REDIRECT);
    assertThat(h.server.requests()).hasSize(1);
  }

  @Test
  void anUnreadable2xxCountsAsPurgedWithoutAnId() {
    // Given
    h = new Harness(Plan.PRO);
    CloudflarePurger purger = h.purger().build();
    h.server.enqueue(status(200, "<html>ok</html>"));

    // When
    PurgeResult result = Harness.join(purger.purge(Invalidation.ofTags("post:42")));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requestIds()).isEmpty();
  }

  // ---- cancellation ----

  @Test
  void cancellingDuringARateLimitWaitSendsNothingMore() {
    // Given: Free plan, 26 requests: 25 go, the 26th waits 12 s for its token
    h = new Harness(Plan.FREE);
    CloudflarePurger purger = h.purger().build();
    CompletableFuture<PurgeResult> f = purge(purger, tags(2_600));
    h.awaitRequests(25);
    Harness.settle(purger);
    h.awaitNextDelay(Duration.ofSeconds(12));

    // When
    f.cancel(true);
    h.scheduler.advance(Duration.ofMinutes(1));

    // Then
    assertThat(h.server.requests()).hasSize(25);
    assertThat(h.scheduler.pending()).isZero();
  }
}
