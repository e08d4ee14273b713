package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import dev.fanout.testing.LoopbackPod;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Once {@code close(timeout)} has run out, nothing starts any more and nothing is printed: the
 * pods see no request after it, and no stack trace reaches the console.
 */
class CloseAfterTimeoutTest {
  private static final String SECRET = WebhookSigner.generateSecret();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream originalErr;

  @BeforeEach
  void captureStderr() {
    originalErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void stop() throws Exception {
    System.setErr(originalErr);
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private String printed() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private List<LoopbackPod> heldPods(int count) throws Exception {
    List<LoopbackPod> pods = new ArrayList<>();
    for (int n = 2; n < 2 + count; n++) {
      LoopbackPod p = LoopbackPod.start("127.0.0." + n, 0, "pod-" + n, null);
      p.behave(p.holdUntilReleased(200));
      closeables.add(p);
      pods.add(p);
    }
    return pods;
  }

  private static int requests(List<LoopbackPod> pods) {
    return pods.stream().mapToInt(p -> p.requests().size()).sum();
  }

  @Test
  void anAttemptHeldUpBeforeItsRequestDoesNotSendItAfterCloseRanOut() throws Exception {
    // Given: a listener that holds the first attempt up just before its request goes out (a slow
    // metrics call, say) until close() has given up and returned
    LoopbackPod pod = LoopbackPod.start("127.0.0.2", LoopbackPod.ok());
    closeables.add(pod);
    java.util.concurrent.CountDownLatch closedLatch = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
    FanoutListener slow = new FanoutListener() {
      @Override
      public void onAttemptStart(Invalidation inv, String stage, Endpoint endpoint, int attempt) {
        holding.countDown();
        try {
          closedLatch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    HttpNotifier notifier = HttpNotifier.builder().signingSecret(SECRET).build();
    closeables.add(notifier);
    Invalidator invalidator = Invalidator.builder()
        .stage(Stage.fanout("web", Discovery.of(pod.endpoint()), notifier))
        .listener(slow)
        .build();
    CompletableFuture<InvalidationReport> f = invalidator.invalidate(Invalidation.ofPaths("/a"));
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();

    // When
    invalidator.close(Duration.ofMillis(100));
    closedLatch.countDown();

    // Then: the invalidation failed as closed, its request never went out, nothing was printed
    assertThat(f).failsWithin(1, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(InvalidatorClosedException.class);
    await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(3)).until(() -> pod.requests().isEmpty());
    assertThat(printed()).doesNotContain("RejectedExecutionException").doesNotContain("Exception in thread")
        .doesNotContain("\tat ");
  }

  @Test
  void queuedDeliveriesDoNotStartAfterCloseRanOut() throws Exception {
    // Given: one attempt at a time, eight replicas that hold every request
    List<LoopbackPod> pods = heldPods(8);
    List<Endpoint> endpoints = new ArrayList<>();
    pods.forEach(p -> endpoints.add(p.endpoint()));
    HttpNotifier notifier = HttpNotifier.builder().signingSecret(SECRET).build();
    closeables.add(notifier);
    Invalidator invalidator = Invalidator.builder()
        .stage(Stage.fanout("web", Discovery.of(endpoints), notifier).concurrency(1)
            .attemptTimeout(Duration.ofSeconds(20)))
        .deadline(Duration.ofSeconds(30))
        .build();
    CompletableFuture<InvalidationReport> direct = invalidator.invalidate(Invalidation.ofPaths("/a"));
    CompletableFuture<InvalidationReport> submitted = invalidator.submit(Invalidation.ofPaths("/b"));
    invalidator.flush();
    await().atMost(10, TimeUnit.SECONDS).until(() -> requests(pods) == 2);

    // When: close gives up after 100 ms, then the replicas answer
    invalidator.close(Duration.ofMillis(100));
    pods.forEach(LoopbackPod::release);

    // Then: both futures failed with the closed exception, no further request arrives, and
    // nothing was printed
    assertThat(direct).failsWithin(1, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(InvalidatorClosedException.class);
    assertThat(submitted).failsWithin(1, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(InvalidatorClosedException.class);
    await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(3)).until(() -> requests(pods) == 2);
    assertThat(printed()).doesNotContain("RejectedExecutionException").doesNotContain("Exception in thread")
        .doesNotContain("\tat ");
  }

  @Test
  void retriesDueAfterCloseDoNotStartOnACallersScheduler() throws Exception {
    // Given: the caller's own executor and scheduler, which close() leaves running, and a replica
    // that asks to be retried
    java.util.concurrent.ScheduledExecutorService scheduler =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    java.util.concurrent.ExecutorService executor = java.util.concurrent.Executors.newFixedThreadPool(2);
    closeables.add(scheduler::shutdownNow);
    closeables.add(executor::shutdownNow);
    LoopbackPod busy = LoopbackPod.start("127.0.0.2", (ex, i) -> {
      ex.getResponseHeaders().set("retry-after", "1");
      LoopbackPod.respond(ex, 503, "{}");
    });
    closeables.add(busy);
    HttpNotifier notifier = HttpNotifier.builder().signingSecret(SECRET).build();
    closeables.add(notifier);
    Invalidator invalidator = Invalidator.builder()
        .stage(Stage.fanout("web", Discovery.of(busy.endpoint()), notifier))
        .deadline(Duration.ofSeconds(30))
        .scheduler(scheduler).executor(executor)
        .build();
    CompletableFuture<InvalidationReport> f = invalidator.invalidate(Invalidation.ofPaths("/a"));
    await().atMost(10, TimeUnit.SECONDS).until(() -> busy.requests().size() == 1);

    // When: closed while the retry waits for its Retry-After
    invalidator.close(Duration.ofMillis(50));

    // Then: the retry does not go out
    assertThat(f).failsWithin(1, TimeUnit.SECONDS);
    await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(4)).until(() -> busy.requests().size() == 1);
    assertThat(printed()).doesNotContain("Exception in thread").doesNotContain("\tat ");
  }
}
