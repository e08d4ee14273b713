package dev.fanout.cloudfront;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.ErrorKind;
import dev.fanout.Invalidation;
import dev.fanout.PurgeException;
import dev.fanout.spi.PurgeResult;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudfront.CloudFrontAsyncClient;

/**
 * Tests for {@link CloudFrontPurger} through the real AWS SDK (signing, REST-XML marshalling, error
 * unmarshalling, its own retries) against {@link FakeCloudFront} on loopback. The purger's own
 * waits run on a {@link ManualScheduler}, so nothing here sleeps.
 */
class CloudFrontPurgerWireTest {

  private static final Duration AWAIT = Duration.ofSeconds(20);
  private static final Duration POLL = CloudFrontPurger.DEFAULT_POLL_INTERVAL;

  private ManualClock clock;
  private ManualScheduler scheduler;
  private FakeCloudFront cloudFront;
  private CloudFrontAsyncClient client;

  @BeforeEach
  void start() throws Exception {
    clock = new ManualClock();
    scheduler = new ManualScheduler(clock);
    cloudFront = new FakeCloudFront(clock, "E123");
    client = TestClients.client(cloudFront.endpoint());
  }

  @AfterEach
  void stop() {
    client.close();
    cloudFront.close();
  }

  private CloudFrontPurger.Builder purger() {
    return CloudFrontPurger.builder()
        .client(client)
        .distributionId("E123")
        .clock(clock)
        .scheduler(scheduler)
        .random(new SplittableRandom(42));
  }

  private static PurgeResult result(CompletableFuture<PurgeResult> f) throws Exception {
    return f.get(AWAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static PurgeException failure(CompletableFuture<PurgeResult> f) {
    Throwable t =
        org.assertj.core.api.Assertions.catchThrowable(
            () -> f.get(AWAIT.toSeconds(), TimeUnit.SECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(PurgeException.class);
    return (PurgeException) t.getCause();
  }

  private static List<String> paths(String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  /** Lets the purger's next timer (a refresh or a poll) run, once it is scheduled. */
  private void advanceToNextTimer(Duration atMost) {
    await()
        .atMost(AWAIT)
        .until(
            () -> {
              Duration next = scheduler.nextDelay();
              return next != null && next.compareTo(atMost) <= 0;
            });
    scheduler.advance(scheduler.nextDelay());
  }

  /**
   * Runs the purger's timers one at a time until the purge completes: each step waits for a timer
   * due within {@code step} (a refresh, a poll or a backoff) and lets it fire.
   */
  private void driveUntilDone(CompletableFuture<PurgeResult> f, Duration step) {
    while (!f.isDone()) {
      await()
          .atMost(AWAIT)
          .until(
              () -> {
                Duration next = scheduler.nextDelay();
                return f.isDone() || (next != null && next.compareTo(step) <= 0);
              });
      if (!f.isDone()) {
        scheduler.advance(scheduler.nextDelay());
      }
    }
  }

  private static Invalidation of(String id, List<String> paths) {
    return Invalidation.builder().id(id).paths(paths).build();
  }

  @Test
  void purgeSendsASignedInvalidationBatchAndReportsTheInvalidationId() throws Exception {
    // Given
    CloudFrontPurger purger = purger().build();
    Invalidation inv = Invalidation.builder().id("inv_1").path("/blog/hello").path("/").build();

    // When
    PurgeResult result = result(purger.purge(inv));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.target()).isEqualTo("cloudfront:E123");
    assertThat(result.requests()).isEqualTo(1);
    assertThat(result.requestIds()).containsExactly("IFAKE000000001");
    assertThat(result.detail()).contains("1 invalidation", "InProgress", "IFAKE000000001");
    FakeCloudFront.Call call = cloudFront.posts().get(0);
    assertThat(call.path()).isEqualTo("/2020-05-31/distribution/E123/invalidation");
    assertThat(call.items()).containsExactly("/", "/blog/hello");
    assertThat(call.callerReference())
        .isEqualTo(purger.plan(inv).batches().get(0).callerReference());
    assertThat(call.authorization())
        .startsWith("AWS4-HMAC-SHA256 Credential=" + TestClients.ACCESS_KEY + "/")
        .contains("/us-east-1/cloudfront/aws4_request")
        .doesNotContain(TestClients.SECRET_KEY);
  }

  // ---- batching and the in-flight limits (fault matrix C4)

  @Test
  void sevenThousandFiveHundredPathsGoOutAsThreeBatchesNeverPastThreeThousandInFlight()
      throws Exception {
    // Given: CloudFront enforces its limits and reports an invalidation Completed when first read
    cloudFront.completeAfterPolls(1);
    CloudFrontPurger purger = purger().build();
    List<String> paths = paths("/products/item-", 7_500);

    // When
    CompletableFuture<PurgeResult> f = purger.purge(of("big", paths));
    await().atMost(AWAIT).until(() -> cloudFront.posts().size() == 1);
    assertThat(purger.inFlightPaths()).isEqualTo(3_000);
    driveUntilDone(f, POLL);
    PurgeResult result = result(f);

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requestIds()).hasSize(3).doesNotHaveDuplicates();
    assertThat(result.requests()).isEqualTo(3);
    assertThat(cloudFront.posts())
        .extracting(c -> c.items().size())
        .containsExactly(3_000, 3_000, 1_500);
    assertThat(cloudFront.posts())
        .extracting(FakeCloudFront.Call::callerReference)
        .doesNotHaveDuplicates();
    Set<String> sent = new HashSet<>();
    cloudFront.posts().forEach(c -> sent.addAll(c.items()));
    assertThat(sent).isEqualTo(new HashSet<>(paths));
    assertThat(cloudFront.limitRejections()).isZero();
    assertThat(cloudFront.maxInFlightPaths())
        .isLessThanOrEqualTo(CloudFrontPurger.MAX_IN_FLIGHT_PATHS);
  }

  @Test
  void wildcardsAreSplitFifteenPerBatchAndWaitForRoom() throws Exception {
    // Given
    cloudFront.completeAfterPolls(1);
    CloudFrontPurger purger = purger().build();
    List<String> wildcards = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      wildcards.add("/section-" + i + "/*");
    }

    // When
    CompletableFuture<PurgeResult> f = purger.purge(of("wild", wildcards));
    driveUntilDone(f, POLL);

    // Then
    assertThat(result(f).isSuccess()).isTrue();
    assertThat(cloudFront.posts()).extracting(c -> c.items().size()).containsExactly(15, 5);
    assertThat(cloudFront.maxInFlightWildcards()).isEqualTo(15);
    assertThat(cloudFront.limitRejections()).isZero();
  }

  @Test
  void aLaterPurgeWaitsForWildcardsAnEarlierPurgeStillHasInProgress() throws Exception {
    // Given: a first purge leaves 10 wildcards in progress
    cloudFront.completeAfterPolls(1);
    CloudFrontPurger purger = purger().build();
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      first.add("/a" + i + "/*");
      second.add("/b" + i + "/*");
    }
    assertThat(result(purger.purge(of("first", first))).isSuccess()).isTrue();
    assertThat(purger.inFlightWildcards()).isEqualTo(10);

    // When: 10 more would make 20 > 15
    CompletableFuture<PurgeResult> f = purger.purge(of("second", second));
    await().atMost(AWAIT).until(() -> scheduler.nextDelay() != null);
    assertThat(cloudFront.posts()).hasSize(1);
    driveUntilDone(f, POLL);

    // Then: sent only once the first one was seen Completed
    assertThat(result(f).isSuccess()).isTrue();
    assertThat(cloudFront.gets()).isNotEmpty();
    assertThat(cloudFront.gets().get(0).outcome()).isEqualTo("Completed");
    assertThat(cloudFront.posts()).hasSize(2);
    assertThat(cloudFront.maxInFlightWildcards()).isLessThanOrEqualTo(15);
    assertThat(cloudFront.limitRejections()).isZero();
  }

  @Test
  void pathsAreEncodedWhereCloudFrontRequiresItAndTravelIntactThroughTheXml() throws Exception {
    // Given
    CloudFrontPurger purger = purger().build();
    Invalidation inv =
        Invalidation.builder()
            .path("/a|b/caf\u00e9")
            .path("/search?q=x&y=<z>")
            .path("/~user/%41")
            .build();

    // When
    PurgeResult result = result(purger.purge(inv));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(cloudFront.posts().get(0).items())
        .containsExactlyInAnyOrder("/a%7Cb/caf%C3%A9", "/search?q=x&y=%3Cz%3E", "/~user/%41");
  }

  @Test
  void anInvalidPathIsRejectedUpFrontWithoutAnyCall() {
    // Given
    CloudFrontPurger purger = purger().build();

    // When
    PurgeException e = failure(purger.purge(Invalidation.ofPaths("/ok", "/images/*/thumb.png")));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.target()).isEqualTo("cloudfront:E123");
    assertThat(e.getMessage()).contains("'E123'", "/images/*/thumb.png", "last character");
    assertThat(cloudFront.calls()).isEmpty();
  }

  // ---- CallerReference idempotency (fault matrix C3)

  @Test
  void aTimedOutRequestIsResentWithTheSameCallerReferenceAndCreatesOneInvalidation()
      throws Exception {
    // Given: CloudFront accepts the first request but never answers it; the SDK gives up on the
    // attempt after 300 ms and retries
    cloudFront.answerNextPosts(FakeCloudFront.Answer.STALL_AFTER_ACCEPT);
    try (CloudFrontAsyncClient quick =
        TestClients.client(cloudFront.endpoint(), Region.US_EAST_1, Duration.ofMillis(300))) {
      CloudFrontPurger purger = purger().client(quick).build();
      Invalidation inv = of("inv_timeout", List.of("/a", "/b"));

      // When
      PurgeResult result = result(purger.purge(inv));

      // Then: the retry got the invalidation the first attempt created
      assertThat(result.isSuccess()).isTrue();
      assertThat(result.requestIds()).containsExactly("IFAKE000000001");
      assertThat(result.requests()).isEqualTo(1);
      assertThat(cloudFront.posts()).hasSize(2);
      assertThat(cloudFront.posts())
          .extracting(FakeCloudFront.Call::callerReference)
          .containsOnly(purger.plan(inv).batches().get(0).callerReference());
      assertThat(cloudFront.posts())
          .extracting(FakeCloudFront.Call::outcome)
          .containsExactly("created IFAKE000000001", "existing IFAKE000000001");
      assertThat(cloudFront.created()).hasSize(1);
    }
  }

  @Test
  void thePurgerBoundsACallWhenTheClientSetsNoTimeouts() throws Exception {
    // Given: a client with the SDK's defaults (no API timeouts) and a CloudFront that accepts the
    // first request but never answers it
    cloudFront.answerNextPosts(FakeCloudFront.Answer.STALL_AFTER_ACCEPT);
    try (CloudFrontAsyncClient plain = TestClients.clientWithoutTimeouts(cloudFront.endpoint())) {
      CloudFrontPurger purger = purger().client(plain)
          .attemptTimeout(Duration.ofMillis(300)).callTimeout(Duration.ofSeconds(10)).build();

      // When
      PurgeResult result = result(purger.purge(of("inv_bounded", List.of("/a"))));

      // Then: the purger's attempt timeout ended the stalled attempt and the SDK's retry found the
      // invalidation the first attempt created
      assertThat(result.isSuccess()).isTrue();
      assertThat(cloudFront.posts()).hasSize(2);
      assertThat(cloudFront.created()).hasSize(1);
    }
  }

  @Test
  void aPurgeRetriedAfterTheSdkGaveUpOnTimeoutsGetsTheInvalidationTheFirstTryCreated()
      throws Exception {
    // Given: every SDK attempt of the first purge times out after CloudFront accepted it
    cloudFront.answerNextPosts(
        FakeCloudFront.Answer.STALL_AFTER_ACCEPT,
        FakeCloudFront.Answer.STALL_AFTER_ACCEPT,
        FakeCloudFront.Answer.STALL_AFTER_ACCEPT);
    try (CloudFrontAsyncClient quick =
        TestClients.client(cloudFront.endpoint(), Region.US_EAST_1, Duration.ofMillis(300))) {
      CloudFrontPurger purger = purger().client(quick).build();
      Invalidation inv = of("inv_retried", List.of("/a"));
      PurgeException first = failure(purger.purge(inv));
      assertThat(first.kind()).isEqualTo(ErrorKind.TIMEOUT);
      assertThat(first.getMessage()).contains("'E123'", "timed out");

      // When: the purge is retried (by the engine or the caller)
      PurgeResult again = result(purger.purge(inv));

      // Then: no second invalidation, none billed twice
      assertThat(again.requestIds()).containsExactly("IFAKE000000001");
      assertThat(cloudFront.created()).hasSize(1);
      assertThat(cloudFront.posts()).hasSize(TestClients.SDK_ATTEMPTS + 1);
      assertThat(cloudFront.posts())
          .extracting(FakeCloudFront.Call::callerReference)
          .containsOnly(purger.plan(inv).batches().get(0).callerReference());
    }
  }

  @Test
  void aCallerReferenceTakenByADifferentBatchIsHandledByResendingUnderTheLongReference()
      throws Exception {
    // Given: another writer used our short reference for other paths
    CloudFrontPurger purger = purger().build();
    Invalidation inv = of("inv_taken", List.of("/a", "/b"));
    String shortRef = purger.plan(inv).batches().get(0).callerReference();
    cloudFront.seed(shortRef, List.of("/something-else"));

    // When
    PurgeResult result = result(purger.purge(inv));
    PurgeResult again = result(purger.purge(inv));

    // Then
    assertThat(result.isSuccess()).isTrue();
    List<FakeCloudFront.Call> posts = cloudFront.posts();
    assertThat(posts)
        .extracting(FakeCloudFront.Call::outcome)
        .containsExactly(
            "InvalidationBatchAlreadyExists", "created IFAKE000000002",
            "InvalidationBatchAlreadyExists", "existing IFAKE000000002");
    String longRef = posts.get(1).callerReference();
    assertThat(longRef).startsWith("fanout-inv_taken-1-").isNotEqualTo(shortRef);
    assertThat(posts.get(3).callerReference()).isEqualTo(longRef);
    assertThat(again.requestIds()).isEqualTo(result.requestIds()).containsExactly("IFAKE000000002");
  }

  @Test
  void aCallerReferenceConflictThatPersistsFailsWithTheErrorCode() {
    // Given
    CloudFrontPurger purger = purger().build();
    Invalidation inv = of("inv_conflict", List.of("/a"));
    cloudFront.answerNextPosts(
        FakeCloudFront.Answer.ALREADY_EXISTS, FakeCloudFront.Answer.ALREADY_EXISTS);

    // When
    PurgeException e = failure(purger.purge(inv));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.getMessage()).contains("'E123'", "InvalidationBatchAlreadyExists");
    assertThat(cloudFront.posts()).hasSize(2);
  }

  // ---- TooManyInvalidationsInProgress (fault matrix C1)

  @Test
  void whenCloudFrontIsAtItsLimitTheSameBatchIsResentAfterABackoffUntilItIsAccepted()
      throws Exception {
    // Given: other writers fill the distribution for two attempts
    cloudFront.answerNextPosts(FakeCloudFront.Answer.TOO_MANY, FakeCloudFront.Answer.TOO_MANY);
    CloudFrontPurger purger =
        purger().retry(limitRetry(Duration.ofSeconds(1), Duration.ofSeconds(8))).build();
    Invalidation inv = of("inv_limit", List.of("/a", "/b/*"));

    // When
    CompletableFuture<PurgeResult> f = purger.purge(inv);
    driveUntilDone(f, Duration.ofSeconds(8));
    PurgeResult result = result(f);

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(3);
    List<FakeCloudFront.Call> posts = cloudFront.posts();
    assertThat(posts)
        .extracting(FakeCloudFront.Call::outcome)
        .containsExactly(
            "TooManyInvalidationsInProgress",
            "TooManyInvalidationsInProgress",
            "created IFAKE000000001");
    assertThat(posts)
        .extracting(FakeCloudFront.Call::callerReference)
        .containsOnly(purger.plan(inv).batches().get(0).callerReference());
    // full jitter: the n-th wait is within [0, min(8 s, 1 s * 2^n)]
    assertThat(Duration.between(posts.get(0).at(), posts.get(1).at()))
        .isBetween(Duration.ZERO, Duration.ofSeconds(1));
    assertThat(Duration.between(posts.get(1).at(), posts.get(2).at()))
        .isBetween(Duration.ZERO, Duration.ofSeconds(2));
    assertThat(cloudFront.created()).hasSize(1);
  }

  @Test
  void whenCloudFrontStaysAtItsLimitThePurgeFailsOnceTheDeadlineIsOver() {
    // Given
    FakeCloudFront.Answer[] tooMany = new FakeCloudFront.Answer[100];
    java.util.Arrays.fill(tooMany, FakeCloudFront.Answer.TOO_MANY);
    cloudFront.answerNextPosts(tooMany);
    CloudFrontPurger purger =
        purger()
            .retry(limitRetry(Duration.ofSeconds(1), Duration.ofSeconds(4)))
            .deadline(Duration.ofSeconds(30))
            .build();

    // When
    CompletableFuture<PurgeResult> f = purger.purge(of("inv_stuck", List.of("/a")));
    driveUntilDone(f, Duration.ofSeconds(4));
    PurgeException e = failure(f);

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.THROTTLED);
    assertThat(e.getMessage()).contains("'E123'", "TooManyInvalidationsInProgress", "PT30S");
    List<FakeCloudFront.Call> posts = cloudFront.posts();
    assertThat(posts.size()).isGreaterThanOrEqualTo(8);
    assertThat(Duration.between(posts.get(0).at(), posts.get(posts.size() - 1).at()))
        .isLessThanOrEqualTo(Duration.ofSeconds(30));
    for (int i = 1; i < posts.size(); i++) {
      Duration cap = Duration.ofSeconds(Math.min(4, 1L << (i - 1)));
      assertThat(Duration.between(posts.get(i - 1).at(), posts.get(i).at()))
          .isBetween(Duration.ZERO, cap);
    }
    assertThat(purger.inFlightPaths()).isZero();
  }

  // ---- throttling and 5xx are the SDK's to retry (fault matrix C2)

  @Test
  void throttlingIsRetriedByTheSdkInsideOneCall() throws Exception {
    // Given
    cloudFront.answerNextPosts(FakeCloudFront.Answer.THROTTLING, FakeCloudFront.Answer.THROTTLING);
    CloudFrontPurger purger = purger().build();

    // When
    PurgeResult result = result(purger.purge(of("inv_throttled", List.of("/a"))));

    // Then: three requests on the wire, one call by the purger
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requests()).isEqualTo(1);
    assertThat(cloudFront.posts()).hasSize(3);
  }

  @Test
  void throttlingThatOutlastsTheSdkRetriesIsNotRetriedAgainByThePurger() {
    // Given
    cloudFront.answerNextPosts(
        FakeCloudFront.Answer.THROTTLING, FakeCloudFront.Answer.THROTTLING,
        FakeCloudFront.Answer.THROTTLING, FakeCloudFront.Answer.THROTTLING);
    CloudFrontPurger purger = purger().build();

    // When
    PurgeException e = failure(purger.purge(of("inv_throttled", List.of("/a"))));

    // Then: exactly the SDK's attempts, no second retry layer, and no timer left behind
    assertThat(e.kind()).isEqualTo(ErrorKind.THROTTLED);
    assertThat(e.getMessage()).contains("'E123'", "Throttling", "after the SDK's retries");
    assertThat(cloudFront.posts()).hasSize(TestClients.SDK_ATTEMPTS);
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void serviceUnavailableThatOutlastsTheSdkRetriesFailsAsUnavailable() {
    // Given
    cloudFront.answerNextPosts(
        FakeCloudFront.Answer.UNAVAILABLE,
        FakeCloudFront.Answer.UNAVAILABLE,
        FakeCloudFront.Answer.UNAVAILABLE);
    CloudFrontPurger purger = purger().build();

    // When
    PurgeException e = failure(purger.purge(of("inv_503", List.of("/a"))));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("'E123'", "ServiceUnavailable");
    assertThat(cloudFront.posts()).hasSize(TestClients.SDK_ATTEMPTS);
  }

  // ---- errors that fail fast

  @Test
  void accessDeniedFailsAtOnceNamingTheDistributionAndThePermission() {
    // Given
    cloudFront.answerNextPosts(FakeCloudFront.Answer.ACCESS_DENIED);
    CloudFrontPurger purger = purger().build();

    // When
    PurgeException e = failure(purger.purge(of("inv_denied", List.of("/a"))));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.UNAUTHORIZED);
    assertThat(e.target()).isEqualTo("cloudfront:E123");
    assertThat(e.getMessage())
        .contains("'E123'", "AccessDenied", "cloudfront:CreateInvalidation")
        .doesNotContain(TestClients.SECRET_KEY)
        .doesNotContain(TestClients.ACCESS_KEY);
    assertThat(cloudFront.posts()).hasSize(1);
  }

  @Test
  void anUnknownDistributionFailsAtOnceNamingIt() {
    // Given
    CloudFrontPurger purger = purger().distributionId("EMISSING").build();

    // When
    PurgeException e = failure(purger.purge(of("inv_missing", List.of("/a"))));

    // Then
    assertThat(e.kind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(e.target()).isEqualTo("cloudfront:EMISSING");
    assertThat(e.getMessage()).contains("'EMISSING' does not exist", "NoSuchDistribution");
    assertThat(cloudFront.posts()).hasSize(1);
  }

  @Test
  void aRejectedBatchStopsThePurgeAndTheResultListsWhatWasNotPurged() throws Exception {
    // Given: batches of two paths; the first is accepted, the second rejected
    cloudFront.createStatus("Completed");
    cloudFront.answerNextPosts(
        FakeCloudFront.Answer.ACCEPT, FakeCloudFront.Answer.INVALID_ARGUMENT);
    CloudFrontPurger purger = purger().inFlightLimits(2, 15).build();
    Invalidation inv = of("inv_partial", List.of("/1", "/2", "/3", "/4", "/5"));

    // When
    PurgeResult result = result(purger.purge(inv));

    // Then
    assertThat(result.status()).isEqualTo(PurgeResult.Status.FAILED);
    assertThat(result.errorKind()).isEqualTo(ErrorKind.REJECTED);
    assertThat(result.requestIds()).containsExactly("IFAKE000000001");
    assertThat(result.notPurged()).containsExactlyInAnyOrder("/3", "/4", "/5");
    assertThat(result.detail()).contains("'E123'", "InvalidArgument");
    assertThat(cloudFront.posts()).hasSize(2);
    assertThat(purger.inFlightPaths()).isZero();
  }

  // ---- tags

  @Test
  void tagsAreSentAsHashItemsOnceEachWhateverTheirCase() throws Exception {
    // Given
    CloudFrontPurger purger = purger().tagInvalidation(true).build();
    Invalidation inv =
        Invalidation.builder()
            .path("/blog/x")
            .tag("Post:42")
            .tag("post:42")
            .tag("category:tv")
            .build();

    // When
    PurgeResult result = result(purger.purge(inv));

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(cloudFront.posts().get(0).items())
        .containsExactly("#Post:42", "#category:tv", "/blog/x");
  }

  @Test
  void withTagInvalidationOffTagsAreLeftToTheOtherTiersAndReported() throws Exception {
    // Given
    CloudFrontPurger purger = purger().build();

    // When
    PurgeResult tagsOnly = result(purger.purge(Invalidation.ofTags("post:42", "post:43")));
    PurgeResult mixed =
        result(purger.purge(Invalidation.builder().path("/blog/x").tag("post:42").build()));

    // Then
    assertThat(tagsOnly.isSuccess()).isTrue();
    assertThat(tagsOnly.requests()).isZero();
    assertThat(tagsOnly.detail()).contains("nothing to purge", "2 tags ignored");
    assertThat(mixed.detail()).contains("1 tags ignored");
    assertThat(cloudFront.posts()).hasSize(1);
    assertThat(cloudFront.posts().get(0).items()).containsExactly("/blog/x");
  }

  // ---- waiting for completion

  @Test
  void waitForCompletionPollsUntilEveryInvalidationIsCompleted() throws Exception {
    // Given
    cloudFront.completeAfterPolls(2);
    CloudFrontPurger purger = purger().waitForCompletion(Duration.ofMinutes(2)).build();

    // When
    CompletableFuture<PurgeResult> f = purger.purge(of("inv_wait", List.of("/a")));
    driveUntilDone(f, POLL);
    PurgeResult result = result(f);

    // Then
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.detail()).contains("1 Completed", "IFAKE000000001");
    assertThat(result.requests()).isEqualTo(3);
    assertThat(cloudFront.gets()).hasSize(2);
    assertThat(cloudFront.gets().get(0).path())
        .isEqualTo("/2020-05-31/distribution/E123/invalidation/IFAKE000000001");
    assertThat(purger.inFlightPaths()).isZero();
  }

  @Test
  void waitForCompletionThatTimesOutReportsTheUnconfirmedPaths() throws Exception {
    // Given: the invalidation never completes
    CloudFrontPurger purger = purger().waitForCompletion(Duration.ofSeconds(12)).build();

    // When
    CompletableFuture<PurgeResult> f = purger.purge(of("inv_slow", List.of("/a", "/b")));
    driveUntilDone(f, POLL);
    PurgeResult result = result(f);

    // Then: polled at 5 s, 10 s and 12 s
    assertThat(result.status()).isEqualTo(PurgeResult.Status.FAILED);
    assertThat(result.errorKind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(result.requestIds()).containsExactly("IFAKE000000001");
    assertThat(result.notPurged()).containsExactly("/a", "/b");
    assertThat(result.detail()).contains("InProgress", "not Completed within PT12S");
    assertThat(cloudFront.gets()).hasSize(3);
  }

  @Test
  void waitForCompletionWithoutPermissionToReadTheStatusSaysSo() throws Exception {
    // Given
    cloudFront.answerNextGets(FakeCloudFront.Answer.ACCESS_DENIED);
    CloudFrontPurger purger = purger().waitForCompletion(Duration.ofMinutes(1)).build();

    // When
    CompletableFuture<PurgeResult> f = purger.purge(of("inv_noget", List.of("/a")));
    driveUntilDone(f, POLL);
    PurgeResult result = result(f);

    // Then
    assertThat(result.status()).isEqualTo(PurgeResult.Status.FAILED);
    assertThat(result.errorKind()).isEqualTo(ErrorKind.UNAUTHORIZED);
    assertThat(result.detail())
        .contains("could not confirm completion", "cloudfront:GetInvalidation");
    assertThat(cloudFront.gets()).hasSize(1);
  }

  // ---- cancellation

  @Test
  void cancellingThePurgeSendsNoFurtherBatchButKeepsCountingWhatWasSent() throws Exception {
    // Given: the first of three batches is in progress, the others wait for room
    cloudFront.completeAfterPolls(1);
    CloudFrontPurger purger = purger().build();
    CompletableFuture<PurgeResult> f = purger.purge(of("inv_cancel", paths("/p/", 7_500)));
    await()
        .atMost(AWAIT)
        .until(() -> cloudFront.posts().size() == 1 && purger.inFlightPaths() == 3_000);

    // When: the engine's deadline passes, then time goes on and another purge comes
    f.cancel(true);
    scheduler.advance(Duration.ofMinutes(10));
    CompletableFuture<PurgeResult> next = purger.purge(of("inv_after", List.of("/later")));
    driveUntilDone(next, POLL);

    // Then: the cancelled purge sent nothing more; its first batch still counted until CloudFront
    // reported it Completed, so the next purge waited for that
    assertThat(f).isCancelled();
    assertThat(result(next).isSuccess()).isTrue();
    assertThat(cloudFront.posts()).extracting(c -> c.items().size()).containsExactly(3_000, 1);
    assertThat(cloudFront.gets()).isNotEmpty();
    assertThat(cloudFront.limitRejections()).isZero();
    assertThat(purger.inFlightPaths()).isEqualTo(1);
  }

  @Test
  void aPurgeFutureCompletedByTheCallerStopsLikeACancellation() throws Exception {
    // Given
    CloudFrontPurger purger = purger().build();
    CompletableFuture<PurgeResult> f = purger.purge(of("inv_deadline", paths("/p/", 7_500)));
    await().atMost(AWAIT).until(() -> cloudFront.posts().size() == 1);
    // one refresh, and one limit-wait timer for each of the two waiting batches
    assertThat(scheduler.pending()).isEqualTo(3);

    // When: a caller bounds the future with orTimeout or completes it itself
    f.completeExceptionally(new java.util.concurrent.TimeoutException("deadline"));

    // Then: the waiting batches left the queue at once and their timers are gone
    assertThat(scheduler.pending()).isEqualTo(1);
    scheduler.advance(Duration.ofMinutes(10));
    await().atMost(AWAIT).until(() -> scheduler.pending() == 0);
    assertThat(cloudFront.posts()).hasSize(1);
  }

  // ---- region

  @Test
  void worksWithTheGlobalRegionTheSdkDocumentsForCloudFront() throws Exception {
    // Given
    try (CloudFrontAsyncClient global =
        TestClients.client(cloudFront.endpoint(), Region.AWS_GLOBAL, Duration.ofSeconds(5))) {
      CloudFrontPurger purger = purger().client(global).build();

      // When
      PurgeResult result = result(purger.purge(Invalidation.ofPaths("/a")));

      // Then
      assertThat(result.isSuccess()).isTrue();
      assertThat(cloudFront.posts().get(0).authorization()).contains("/cloudfront/aws4_request");
    }
  }

  /** Resends at the limit for as long as the deadline allows, with the given backoff bounds. */
  private static dev.fanout.RetryPolicy limitRetry(Duration base, Duration max) {
    return new dev.fanout.RetryPolicy(Integer.MAX_VALUE, base, max);
  }
}
