package dev.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.InvalidationStatus.State;
import dev.fanout.journal.InMemoryJournal;
import dev.fanout.journal.RedeliveryPolicy;
import dev.fanout.spi.Ack;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.Journal;
import dev.fanout.spi.JournalEntry;
import dev.fanout.spi.Notifier;
import dev.fanout.spi.Progress;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The journal sender's logic, one claim at a time ({@link SenderLoop#runOnce()}) on a manual clock:
 * merging, progress and skipping on retry, backoff, maximum age, poison isolation, entity versions,
 * a journal that fails. Nothing here sleeps or starts the sender thread.
 */
class SenderLoopTest {
  private static final Endpoint A = Endpoint.of("10.0.0.1", 3000);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 3000);

  private final ManualClock clock = new ManualClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final InMemoryJournal memory = InMemoryJournal.builder().clock(clock).build();
  private final FlakyJournal journal = new FlakyJournal(memory);
  private final JournalProgress progress = new JournalProgress();

  /** Per authority, the statuses to answer in turn (then 200). */
  private final Map<String, List<Integer>> script = new ConcurrentHashMap<>();
  private final List<String> sent = Collections.synchronizedList(new ArrayList<>());
  private final List<Invalidation> delivered = Collections.synchronizedList(new ArrayList<>());
  private final Notifier notifier = (e, inv) -> {
    sent.add(e.authority() + " " + inv.id());
    if (inv.paths().contains("/poison")) {
      return CompletableFuture.failedFuture(DeliveryException.ofStatus(400, null, "bad path"));
    }
    List<Integer> statuses = script.get(e.authority());
    int status = statuses == null || statuses.isEmpty() ? 200 : statuses.remove(0);
    if (status != 200) {
      return CompletableFuture.failedFuture(DeliveryException.ofStatus(status, null, "scripted"));
    }
    delivered.add(inv);
    return CompletableFuture.completedFuture(Ack.of(200));
  };
  private final RecordingPurger cdnA = new RecordingPurger("cdn-a");
  private final RecordingPurger cdnB = new RecordingPurger("cdn-b");
  private final RedeliveryPolicy policy = RedeliveryPolicy.builder()
      .owner("backend-1")
      .maxAge(Duration.ofMinutes(10))
      .backoff(new RetryPolicy(Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ofSeconds(8)))
      .build();
  private Invalidator engine;
  private SenderLoop loop;

  private SenderLoop loop(Stage... stages) {
    Invalidator.Builder b = Invalidator.builder().clock(clock).scheduler(scheduler)
        .executor(Runnable::run);
    for (Stage s : progress.wrap(List.of(stages))) {
      b.stage(s);
    }
    engine = b.build();
    BiFunction<Invalidation, Integer, CompletableFuture<InvalidationReport>> runner =
        (inv, n) -> engine.invalidate(inv);
    loop = new SenderLoop(journal, policy, clock, new SplittableRandom(7), 10_000, runner, progress,
        engine.stages());
    return loop;
  }

  private SenderLoop webAndCdn() {
    return loop(Stage.fanout("web", Discovery.of(A, B), notifier).retry(RetryPolicy.none()).recheck(false),
        Stage.purge("cdn", cdnA, cdnB));
  }

  @AfterEach
  void close() {
    if (loop != null) {
      loop.stop();
      loop.awaitStopped(Duration.ZERO);
    }
    if (engine != null) {
      engine.close(Duration.ZERO);
    }
  }

  private static Invalidation path(String id, String path) {
    return Invalidation.builder().id(id).path(path).build();
  }

  private State state(String id) {
    return memory.status(id).orElseThrow().state();
  }

  @Test
  void submitJournalsAndOneClaimSendsEverythingDueAsOneDelivery() {
    webAndCdn();
    CompletableFuture<InvalidationReport> f1 = loop.submit(path("i1", "/a"));
    CompletableFuture<InvalidationReport> f2 = loop.submit(path("i2", "/b"));
    CompletableFuture<InvalidationReport> f3 = loop.submit(path("i3", "/c"));
    // Journaled, leased to this sender at once: no other sender takes them, no claim is needed.
    assertThat(state("i1")).isEqualTo(State.IN_FLIGHT);
    assertThat(memory.claim("backend-2", 10, Duration.ofSeconds(30))).isEmpty();
    assertThat(sent).isEmpty();

    assertThat(loop.runOnce()).isTrue();

    assertThat(delivered).hasSize(2); // one merged invalidation per pod
    assertThat(delivered.get(0).paths()).containsExactly("/a", "/b", "/c");
    assertThat(cdnA.calls).hasSize(1);
    for (String id : List.of("i1", "i2", "i3")) {
      InvalidationStatus s = memory.status(id).orElseThrow();
      assertThat(s.state()).isEqualTo(State.DELIVERED);
      assertThat(s.summary()).contains("web");
    }
    assertThat(f1.join().isComplete()).isTrue();
    assertThat(f2.join()).isSameAs(f1.join());
    assertThat(f3.isDone()).isTrue();
    assertThat(loop.runOnce()).isFalse();
  }

  @Test
  void aLoneEntryKeepsItsIdAndMergedOnesGetAnIdDerivedFromTheirs() {
    JournalEntry e1 = memory.append(path("x1", "/x")).entry();
    JournalEntry e2 = memory.append(path("x2", "/y")).entry();
    assertThat(SenderLoop.merged(List.of(e1)).id()).isEqualTo("x1");
    String merged = SenderLoop.merged(List.of(e1, e2)).id();
    assertThat(merged).startsWith("inv_").isEqualTo(SenderLoop.merged(List.of(e1, e2)).id());
    assertThat(SenderLoop.merged(List.of(e2, e1)).id()).isNotEqualTo(merged);
  }

  @Test
  void aRetrySkipsTargetsThatAcknowledgedAndPurgersThatSucceeded() {
    webAndCdn();
    script.put(B.authority(), new ArrayList<>(List.of(503)));
    CompletableFuture<InvalidationReport> f = loop.submit(path("i1", "/a"));

    loop.runOnce();

    assertThat(sent).containsExactly(A.authority() + " i1", B.authority() + " i1");
    InvalidationStatus first = memory.status("i1").orElseThrow();
    assertThat(first.state()).isEqualTo(State.PENDING);
    // An editor reads it: the failure by status and kind, never the replica's address.
    assertThat(first.summary()).contains("503").doesNotContain(B.address());
    assertThat(first.summary()).as("the stage's status").startsWith("web: failed, 1/2 replicas fresh");
    assertThat(f).isNotDone();
    assertThat(memory.claim("peek", 1, Duration.ofSeconds(1))).isEmpty(); // backoff: not due yet

    // B answers now, cdn-b fails once: the purge stage half succeeds.
    cdnB.failures = 1;
    clock.advance(Duration.ofSeconds(2));
    sent.clear();
    loop.runOnce();
    assertThat(sent).containsExactly(B.authority() + " i1");
    assertThat(cdnA.calls).hasSize(1);
    assertThat(cdnB.calls).hasSize(1);
    assertThat(state("i1")).isEqualTo(State.PENDING);

    clock.advance(Duration.ofSeconds(8));
    sent.clear();
    loop.runOnce();
    assertThat(sent).isEmpty();
    assertThat(cdnA.calls).hasSize(1); // not run again
    assertThat(cdnB.calls).hasSize(2);
    assertThat(state("i1")).isEqualTo(State.DELIVERED);
    InvalidationReport report = f.join();
    assertThat(report.isComplete()).isTrue();
    assertThat(report.stage("web").targets()).allSatisfy(t ->
        assertThat(t.detail()).isEqualTo(JournalProgress.SKIPPED_DETAIL));
  }

  @Test
  void entriesThatFailUntilTheMaximumAgeEndFailedWithTheirLastReport() {
    webAndCdn();
    script.put(B.authority(), new ArrayList<>(Collections.nCopies(1000, 503)));
    CompletableFuture<InvalidationReport> f = loop.submit(path("i1", "/a"));
    int rounds = 0;
    while (!f.isDone() && rounds++ < 200) {
      loop.runOnce();
      clock.advance(Duration.ofSeconds(8));
    }
    assertThat(f).isDone();
    InvalidationStatus s = memory.status("i1").orElseThrow();
    assertThat(s.state()).isEqualTo(State.FAILED);
    assertThat(s.summary()).contains("older than the maximum age").contains("503")
        .doesNotContain(B.address());
    assertThat(s.attempts()).isBetween(60, 600);
    assertThat(f.join().isComplete()).isFalse();
    // A was sent it once only, whatever the number of retries.
    assertThat(sent).filteredOn(x -> x.startsWith(A.authority())).hasSize(1);
  }

  @Test
  void theBackoffsMaxAttemptsAlsoEndsAnEntry() {
    RedeliveryPolicy three = RedeliveryPolicy.builder().owner("o")
        .backoff(new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(1))).build();
    webAndCdn();
    loop = new SenderLoop(journal, three, clock, new SplittableRandom(1), 10_000,
        (inv, n) -> engine.invalidate(inv), progress, engine.stages());
    script.put(B.authority(), new ArrayList<>(Collections.nCopies(10, 503)));
    loop.submit(path("i1", "/a"));
    for (int i = 0; i < 5; i++) {
      loop.runOnce();
      clock.advance(Duration.ofSeconds(2));
    }
    InvalidationStatus s = memory.status("i1").orElseThrow();
    assertThat(s.state()).isEqualTo(State.FAILED);
    assertThat(s.attempts()).isEqualTo(3);
    assertThat(s.summary()).startsWith("gave up after 3 attempts");
  }

  @Test
  void aPoisonEntryFailsAloneAndTheOthersAreDelivered() {
    webAndCdn();
    List<CompletableFuture<InvalidationReport>> good = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      good.add(loop.submit(path("g" + i, "/good/" + i)));
    }
    CompletableFuture<InvalidationReport> bad = loop.submit(path("bad", "/poison"));
    for (int i = 6; i < 9; i++) {
      good.add(loop.submit(path("g" + i, "/good/" + i)));
    }

    loop.runOnce();

    assertThat(state("bad")).isEqualTo(State.FAILED);
    assertThat(memory.status("bad").orElseThrow().summary()).startsWith("refused").contains("400")
        .doesNotContain(A.address(), B.address());
    assertThat(bad.join().stage("web").failed()).isEqualTo(2);
    for (int i = 0; i < 9; i++) {
      assertThat(state("g" + i)).isEqualTo(State.DELIVERED);
    }
    assertThat(good).allSatisfy(f -> assertThat(f.join().isComplete()).isTrue());
    assertThat(memory.backlog().unfinished()).isZero();
    assertThat(loop.runOnce()).isFalse();
  }

  @Test
  void versionsOfOneEntityGoOutTogetherAsTheNewestAndOlderOnesAreSuperseded() {
    webAndCdn();
    Invalidation v1 = Invalidation.builder().id("v1").path("/post/1").entity("post:1", 1).build();
    Invalidation v3 = Invalidation.builder().id("v3").path("/post/1").tag("t3").entity("post:1", 3).build();
    Invalidation v2 = Invalidation.builder().id("v2").path("/post/1").entity("post:1", 2).build();
    loop.submit(v1);
    loop.submit(v3);
    CompletableFuture<InvalidationReport> late = loop.submit(v2);
    assertThat(late.join().isSuperseded()).isTrue();
    assertThat(late.join().supersededBy()).isEqualTo(3L);

    loop.runOnce();

    assertThat(delivered).hasSize(2);
    assertThat(delivered.get(0).version()).isEqualTo(3L);
    assertThat(delivered.get(0).entity()).isEqualTo("post:1");
    assertThat(state("v1")).isEqualTo(State.DELIVERED);
    assertThat(state("v3")).isEqualTo(State.DELIVERED);
    assertThat(state("v2")).isEqualTo(State.SUPERSEDED);
  }

  @Test
  void deliveriesGroupEntriesByTheirProgressAndStayWithinTheCapacity() {
    Invalidation big = Invalidation.builder().id("big").paths(pathsFrom(0, 6)).build();
    Invalidation small1 = Invalidation.builder().id("s1").paths(pathsFrom(10, 3)).build();
    Invalidation small2 = Invalidation.builder().id("s2").paths(pathsFrom(20, 3)).build();
    Invalidation done = path("d1", "/d");
    for (Invalidation inv : List.of(big, small1, small2, done)) {
      memory.append(inv);
    }
    List<JournalEntry> claimed = memory.claim("o", 10, Duration.ofSeconds(30));
    memory.recordProgress("d1", "o", Progress.acked("web", List.of(A.authority())));
    claimed = new ArrayList<>(claimed);
    claimed.set(3, memory.history(clock.instant().minusSeconds(1), 0, 10).get(3));

    List<List<SenderLoop.Unit>> plan = SenderLoop.plan(claimed, 8);

    assertThat(plan).hasSize(3);
    assertThat(ids(plan.get(0))).containsExactly("big");
    assertThat(ids(plan.get(1))).containsExactly("s1", "s2");
    assertThat(ids(plan.get(2))).containsExactly("d1");
    assertThat(plan.get(2).get(0).done().isAcked("web", A.authority())).isTrue();
  }

  @Test
  void aJournalThatFailsWhileSendingLosesNothing() {
    webAndCdn();
    memory.append(path("i1", "/a")); // by another process: it must be claimed
    loop.submit(path("own", "/own"));
    journal.down = true;
    // The claim fails; this process's own submission goes out, its completion fails.
    assertThat(loop.runOnce()).isTrue();
    assertThat(sent).hasSize(2).allSatisfy(x -> assertThat(x).endsWith(" own"));
    assertThat(state("own")).isEqualTo(State.IN_FLIGHT);
    assertThat(loop.runOnce()).isFalse();
    journal.down = false;
    clock.advance(policy.lease().plusSeconds(1));
    sent.clear();
    assertThat(loop.runOnce()).isTrue();
    assertThat(state("i1")).isEqualTo(State.DELIVERED);
    assertThat(state("own")).isEqualTo(State.DELIVERED);
    assertThat(sent).hasSize(2); // one merged delivery per pod

    // Down between sending and completing: the lease ends and the entry is sent again.
    memory.append(path("i2", "/b"));
    journal.downAfterClaim = true;
    loop.runOnce();
    assertThat(memory.status("i2").orElseThrow().state()).isEqualTo(State.IN_FLIGHT);
    journal.down = false;
    journal.downAfterClaim = false;
    clock.advance(policy.lease().plusSeconds(1));
    sent.clear();
    loop.runOnce();
    assertThat(sent).hasSize(2);
    assertThat(state("i2")).isEqualTo(State.DELIVERED);
    assertThat(memory.status("i2").orElseThrow().attempts()).isEqualTo(2);
  }

  @Test
  void aJournalDownAtSubmitFailsTheCallAndAcceptsNothing() {
    webAndCdn();
    journal.down = true;
    assertThatThrownBy(() -> loop.submit(path("i1", "/a")))
        .isInstanceOf(JournalException.class)
        .hasMessageContaining("unreachable");
    journal.down = false;
    assertThat(memory.status("i1")).isEmpty();
    assertThat(memory.backlog().unfinished()).isZero();
  }

  @Test
  void aSubmissionOfAFinishedIdIsRefusedAndAnUnfinishedOneSharesItsFuture() {
    webAndCdn();
    CompletableFuture<InvalidationReport> first = loop.submit(path("i1", "/a"));
    assertThat(loop.submit(path("i1", "/a"))).isSameAs(first);
    loop.runOnce();
    assertThat(first.join().isComplete()).isTrue();
    CompletableFuture<InvalidationReport> again = loop.submit(path("i1", "/a"));
    assertThatThrownBy(again::join).hasCauseInstanceOf(SubmissionRejectedException.class)
        .hasMessageContaining("DELIVERED");
  }

  @Test
  void afterStopNothingIsClaimedAndUnfinishedFuturesFailWithTheEntryStillJournaled() {
    webAndCdn();
    CompletableFuture<InvalidationReport> f = loop.submit(path("i1", "/a"));
    loop.stop();
    assertThat(loop.runOnce()).isFalse();
    loop.awaitStopped(Duration.ZERO);
    assertThatThrownBy(f::join).hasCauseInstanceOf(InvalidatorClosedException.class)
        .hasMessageContaining("stays in the journal");
    assertThat(state("i1")).isEqualTo(State.PENDING);
    assertThatThrownBy(() -> loop.submit(path("i2", "/b")))
        .isInstanceOf(InvalidatorClosedException.class);
  }

  @Test
  void aSubmissionAnotherBackendFinishedCompletesWithThatOutcome() {
    RedeliveryPolicy quick = RedeliveryPolicy.builder().owner("backend-1")
        .lease(Duration.ofMillis(200)).pollInterval(Duration.ofMillis(50)).build();
    webAndCdn();
    loop = new SenderLoop(journal, quick, clock, new SplittableRandom(1), 10_000,
        (inv, n) -> engine.invalidate(inv), progress, engine.stages());
    CompletableFuture<InvalidationReport> ok = loop.submit(path("i1", "/a"));
    CompletableFuture<InvalidationReport> failed = loop.submit(path("i2", "/b"));
    // This sender stalls past its lease; backend-2 takes both over and finishes them.
    clock.advance(Duration.ofSeconds(1));
    assertThat(memory.claim("backend-2", 10, Duration.ofSeconds(30))).hasSize(2);
    memory.complete("i1", "backend-2", State.DELIVERED, "web: 2/2 acked");
    memory.complete("i2", "backend-2", State.FAILED, "web: 1/2 acked");
    // This sender comes back and sends them again (at least once); the journal refuses its
    // completions, since backend-2 holds them now.
    loop.runOnce();
    assertThat(state("i1")).isEqualTo(State.DELIVERED);
    assertThat(state("i2")).isEqualTo(State.FAILED);

    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
      loop.sweep();
      return ok.isDone() && failed.isDone();
    });

    assertThat(ok.join().isComplete()).isTrue();
    assertThat(ok.join().stage("web").detail()).contains("another backend process")
        .contains("2/2 acked");
    assertThat(failed.join().isComplete()).isFalse();
    assertThat(failed.join().stage("cdn").detail()).contains("FAILED");
  }

  @Test
  void theBuildersRefuseInconsistentSettings() {
    assertThatThrownBy(() -> Invalidator.builder()
        .stage(Stage.fanout("web", Discovery.of(A), notifier))
        .redelivery(RedeliveryPolicy.defaults()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no journal");
    assertThatThrownBy(() -> RedeliveryPolicy.builder().claimBatch(0).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("claimBatch");
    assertThatThrownBy(() -> RedeliveryPolicy.builder().lease(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease");
    assertThatThrownBy(() -> RedeliveryPolicy.builder().lease(Duration.ofSeconds(1))
        .pollInterval(Duration.ofSeconds(2)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pollInterval");
    assertThatThrownBy(() -> RedeliveryPolicy.builder().owner("a\nb").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("control character");
    assertThat(RedeliveryPolicy.defaults().owner()).isNotBlank();
  }

  @Test
  void withoutAJournalStatusIsEmptyAndStagesAreAsConfigured() {
    Stage web = Stage.fanout("web", Discovery.of(A), notifier);
    try (Invalidator plain = Invalidator.builder().stage(web).build()) {
      assertThat(plain.status("x")).isEmpty();
      assertThat(plain.stages()).containsExactly(web);
    }
  }

  private static List<String> pathsFrom(int start, int n) {
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      paths.add("/p/" + (start + i));
    }
    return paths;
  }

  private static List<String> ids(List<SenderLoop.Unit> units) {
    List<String> ids = new ArrayList<>();
    for (SenderLoop.Unit u : units) {
      u.entries().forEach(e -> ids.add(e.invalidation().id()));
    }
    return ids;
  }

  /** A purger that records its calls and fails the first {@link #failures} of them. */
  private static final class RecordingPurger implements Purger {
    final String name;
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    volatile int failures;

    RecordingPurger(String name) {
      this.name = name;
    }

    @Override
    public CompletionStage<PurgeResult> purge(Invalidation invalidation) {
      calls.add(invalidation.id());
      if (failures > 0) {
        failures--;
        return CompletableFuture.completedFuture(PurgeResult.failed(name, ErrorKind.UNAVAILABLE,
            "503 from the CDN", invalidation.paths()));
      }
      return CompletableFuture.completedFuture(PurgeResult.succeeded(name, 1, List.of("r1")));
    }

    @Override
    public String name() {
      return name;
    }
  }

  /** A journal whose store can be switched off, as a database that went away. */
  static final class FlakyJournal implements Journal {
    private final Journal inner;
    volatile boolean down;
    /** Goes down right after the next successful claim. */
    volatile boolean downAfterClaim;

    FlakyJournal(Journal inner) {
      this.inner = inner;
    }

    private void check(String call) {
      if (down) {
        throw new JournalException(call + " failed: the database is unreachable", true, null);
      }
    }

    @Override
    public dev.fanout.spi.Appended append(Invalidation invalidation, dev.fanout.spi.Lease claimAs) {
      check("append");
      return inner.append(invalidation, claimAs);
    }

    @Override
    public List<JournalEntry> claim(String owner, int max, Duration lease) {
      check("claim");
      List<JournalEntry> got = inner.claim(owner, max, lease);
      if (downAfterClaim && !got.isEmpty()) {
        down = true;
      }
      return got;
    }

    @Override
    public Set<String> renew(String owner, java.util.Collection<String> ids, Duration lease) {
      check("renew");
      return inner.renew(owner, ids, lease);
    }

    @Override
    public boolean recordProgress(String id, String owner, Progress progress) {
      check("recordProgress");
      return inner.recordProgress(id, owner, progress);
    }

    @Override
    public boolean complete(String id, String owner, State finalState, String summary) {
      check("complete");
      return inner.complete(id, owner, finalState, summary);
    }

    @Override
    public boolean release(String id, String owner, Duration delay, String summary) {
      check("release");
      return inner.release(id, owner, delay, summary);
    }

    @Override
    public java.util.Optional<InvalidationStatus> status(String id) {
      check("status");
      return inner.status(id);
    }

    @Override
    public List<JournalEntry> history(java.time.Instant since, long afterSeq, int limit) {
      check("history");
      return inner.history(since, afterSeq, limit);
    }

    @Override
    public int expire(java.time.Instant acceptedBefore) {
      check("expire");
      return inner.expire(acceptedBefore);
    }

    @Override
    public dev.fanout.spi.Backlog backlog() {
      check("backlog");
      return inner.backlog();
    }

    @Override
    public Subscription subscribe(Runnable onChange) {
      return inner.subscribe(onChange);
    }
  }
}
