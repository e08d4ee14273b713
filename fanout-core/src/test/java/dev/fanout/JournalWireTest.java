package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.fanout.InvalidationStatus.State;
import dev.fanout.http.HttpNotifier;
import dev.fanout.journal.InMemoryJournal;
import dev.fanout.journal.RedeliveryPolicy;
import dev.fanout.spi.Discovery;
import dev.fanout.testing.LoopbackPod;
import dev.fanout.testing.ReceiverPod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * An invalidator with a journal, its sender thread and real receivers on loopback: everything
 * submitted arrives, a refused submission fails alone, and close releases what is in flight.
 */
class JournalWireTest {
  private static final String SECRET = "whsec_" + java.util.Base64.getEncoder()
      .encodeToString("journal-wire-test-secret-32-bytes!".getBytes(java.nio.charset.StandardCharsets.UTF_8));

  private static HttpNotifier notifier() {
    return HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build();
  }

  private static RedeliveryPolicy fast() {
    return RedeliveryPolicy.builder().owner("wire-test")
        .backoff(new RetryPolicy(Integer.MAX_VALUE, Duration.ofMillis(50), Duration.ofMillis(200)))
        .lease(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200)).build();
  }

  /** An invalidator that sends from {@code journal} to one replica. */
  private static Invalidator sendingTo(InMemoryJournal journal, ReceiverPod pod) {
    return Invalidator.builder().journal(journal).redelivery(fast())
        .stage(Stage.fanout("web", Discovery.of(pod.endpoint()), notifier())).build();
  }

  @Test
  void everySubmissionFromSeveralThreadsReachesEveryReplicaAndEndsDelivered() throws Exception {
    InMemoryJournal journal = InMemoryJournal.create();
    try (ReceiverPod a = ReceiverPod.start("127.0.0.2", SECRET);
        ReceiverPod b = ReceiverPod.start("127.0.0.3", SECRET);
        Invalidator invalidator = Invalidator.builder()
            .journal(journal).redelivery(fast())
            .stage(Stage.fanout("web", Discovery.of(a.endpoint(), b.endpoint()), notifier()))
            .build()) {
      ExecutorService threads = Executors.newFixedThreadPool(4);
      List<Future<CompletableFuture<InvalidationReport>>> calls = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        String path = "/item/" + i;
        calls.add(threads.submit(() -> invalidator.submit(
            Invalidation.builder().id("item-" + path.substring(6)).path(path).build())));
      }
      for (Future<CompletableFuture<InvalidationReport>> c : calls) {
        assertThat(c.get().get(30, java.util.concurrent.TimeUnit.SECONDS).isComplete()).isTrue();
      }
      threads.shutdown();
      for (ReceiverPod pod : List.of(a, b)) {
        for (int i = 0; i < 400; i++) {
          assertThat(pod.applied()).containsKey("/item/" + i);
        }
      }
      assertThat(invalidator.status("item-7").orElseThrow().state()).isEqualTo(State.DELIVERED);
      assertThat(journal.backlog().unfinished()).isZero();
      // Batching: far fewer requests than submissions when they arrive together.
      assertThat(a.requests()).isLessThan(400);
    }
  }

  @Test
  void anEntryAppendedOutsideSubmitIsFollowedToItsDeliveryReport() throws Exception {
    InMemoryJournal journal = InMemoryJournal.create();
    try (ReceiverPod a = ReceiverPod.start("127.0.0.2", SECRET);
        Invalidator invalidator = sendingTo(journal, a)) {
      // As the outbox does: followed first, then made visible (appended, as a commit would).
      Invalidation inv = Invalidation.builder().path("/outbox/1").build();
      CompletableFuture<InvalidationReport> followed = invalidator.follow(inv);
      Invalidation rolledBack = Invalidation.builder().path("/outbox/never").build();
      invalidator.follow(rolledBack).cancel(false);
      journal.append(inv);

      InvalidationReport r = followed.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.invalidation().id()).isEqualTo(inv.id());
      assertThat(r.stage("web").targets()).singleElement()
          .satisfies(t -> assertThat(t.outcome()).isEqualTo(TargetResult.Outcome.ACKED));
      assertThat(a.applied()).containsKey("/outbox/1").doesNotContainKey("/outbox/never");
    }
    try (Invalidator none = Invalidator.builder()
        .stage(Stage.fanout("web", Discovery.of(), notifier())).build()) {
      assertThatThrownBy(() -> none.follow(Invalidation.builder().path("/x").build()))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a journal");
    }
  }

  /**
   * Two transactions append the same id (a fixed id, two editors): the first rolls back after the
   * second followed it. The second must still get its report, and so must a submit of that id.
   */
  @Test
  void aRollbackOfOneFollowerLeavesTheOtherFollowersOfTheSameIdWaitingForTheirReport() throws Exception {
    InMemoryJournal journal = InMemoryJournal.create();
    try (ReceiverPod a = ReceiverPod.start("127.0.0.2", SECRET);
        Invalidator invalidator = sendingTo(journal, a)) {
      Invalidation inv = Invalidation.builder().id("post-42-v7").path("/outbox/twice").build();
      CompletableFuture<InvalidationReport> first = invalidator.follow(inv);
      CompletableFuture<InvalidationReport> second = invalidator.follow(inv);
      first.cancel(false); // the first transaction rolled back
      journal.append(inv); // the second committed the same id
      // A submit of the id, after both: a duplicate of the pending entry, it waits on the same report.
      CompletableFuture<InvalidationReport> submitted = invalidator.submit(inv);

      InvalidationReport r = second.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.isComplete()).isTrue();
      assertThat(submitted.get(30, java.util.concurrent.TimeUnit.SECONDS).isComplete()).isTrue();
      assertThat(first).isCancelled();
      assertThat(a.applied()).containsKey("/outbox/twice");
    }
  }

  @Test
  void aCancelledFollowOfASubmittedIdDoesNotTakeTheSubmittersReportAway() throws Exception {
    InMemoryJournal journal = InMemoryJournal.create();
    try (ReceiverPod a = ReceiverPod.start("127.0.0.2", SECRET);
        Invalidator invalidator = sendingTo(journal, a)) {
      Invalidation inv = Invalidation.builder().id("post-43-v1").path("/outbox/shared").build();
      CompletableFuture<InvalidationReport> followed = invalidator.follow(inv);
      CompletableFuture<InvalidationReport> submitted = invalidator.submit(inv);
      followed.cancel(false);

      assertThat(submitted.get(30, java.util.concurrent.TimeUnit.SECONDS).isComplete()).isTrue();
    }
  }

  @Test
  void aFollowAfterCloseIsRefusedAndAFollowBeforeItFailsAtClose() {
    InMemoryJournal journal = InMemoryJournal.create();
    Invalidator invalidator = Invalidator.builder().journal(journal).redelivery(fast())
        .stage(Stage.fanout("web", Discovery.of(), notifier())).build();
    CompletableFuture<InvalidationReport> before = invalidator.follow(Invalidation.builder().path("/a").build());
    invalidator.close();
    assertThat(before).isCompletedExceptionally();
    assertThatThrownBy(() -> invalidator.follow(Invalidation.builder().path("/b").build()))
        .isInstanceOf(InvalidatorClosedException.class);
  }

  @Test
  void aSubmissionTheReceiversRefuseFailsAloneWithItsReport() throws Exception {
    InMemoryJournal journal = InMemoryJournal.create();
    try (ReceiverPod a = ReceiverPod.start("127.0.0.2", SECRET, o -> o.allowedPathPrefix("/ok/"));
        Invalidator invalidator = sendingTo(journal, a)) {
      invalidator.pause(); // has no effect on the journal path; submissions go at once
      List<CompletableFuture<InvalidationReport>> ok = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        ok.add(invalidator.submit(Invalidation.builder().id("ok-" + i).path("/ok/" + i).build()));
      }
      CompletableFuture<InvalidationReport> bad =
          invalidator.submit(Invalidation.builder().id("bad").path("/admin").build());
      assertThat(bad.get(30, java.util.concurrent.TimeUnit.SECONDS).isComplete()).isFalse();
      for (CompletableFuture<InvalidationReport> f : ok) {
        assertThat(f.get(30, java.util.concurrent.TimeUnit.SECONDS).isComplete()).isTrue();
      }
      InvalidationStatus s = invalidator.status("bad").orElseThrow();
      assertThat(s.state()).isEqualTo(State.FAILED);
      assertThat(s.summary()).contains("400");
      assertThat(journal.backlog().unfinished()).isZero();
    }
  }

  @Test
  void closeReleasesWhatIsInFlightAndSendsNothingAfterwards() throws Exception {
    InMemoryJournal journal = InMemoryJournal.create();
    try (LoopbackPod pod = LoopbackPod.start("127.0.0.2", LoopbackPod.ok())) {
      pod.behave(pod.holdUntilReleased(200));
      Invalidator invalidator = Invalidator.builder()
          .journal(journal).redelivery(fast())
          .stage(Stage.fanout("web", Discovery.of(pod.endpoint()), notifier()))
          .build();
      CompletableFuture<InvalidationReport> f =
          invalidator.submit(Invalidation.builder().id("held").path("/held").build());
      await().atMost(Duration.ofSeconds(10)).until(() -> pod.requests().size() == 1);
      assertThat(invalidator.status("held").orElseThrow().state()).isEqualTo(State.IN_FLIGHT);

      invalidator.close(Duration.ofMillis(100));

      assertThat(invalidator.status("held").orElseThrow().state()).isEqualTo(State.PENDING);
      assertThatThrownBy(f::join).hasCauseInstanceOf(InvalidatorClosedException.class);
      assertThatThrownBy(() -> invalidator.submit(Invalidation.builder().path("/x").build()))
          .isInstanceOf(InvalidatorClosedException.class);
      pod.release();
      // Released entries are due at once: a claim by the next sender gets it.
      assertThat(journal.claim("next", 10, Duration.ofSeconds(5))).hasSize(1);
      assertThat(pod.requests()).hasSize(1);
    }
  }
}
