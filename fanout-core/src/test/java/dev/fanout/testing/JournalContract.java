package dev.fanout.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.catchup.CatchUpRecord;
import dev.fanout.catchup.CatchUpReport;
import dev.fanout.spi.Appended;
import dev.fanout.spi.Backlog;
import dev.fanout.spi.Journal;
import dev.fanout.spi.JournalEntry;
import dev.fanout.spi.Lease;
import dev.fanout.spi.Progress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The promises of {@link Journal}, for every implementation: subclass it, return a fresh, empty
 * journal on the given clock from {@link #createJournal(Clock)}, and every test here runs against
 * it. Time is a {@link ManualClock}: leases end and retries come due only when a test advances it.
 */
public abstract class JournalContract {
  /** The clock every journal under test reads. */
  protected final ManualClock clock = new ManualClock();

  /** The journal under test, fresh for each test. */
  protected Journal journal;

  private static final Duration LEASE = Duration.ofSeconds(30);

  /**
   * Creates an empty journal that reads the given clock and shares no entry with journals made
   * for earlier tests.
   *
   * @param clock the clock
   * @return the journal
   * @throws Exception if it cannot be made
   */
  protected abstract Journal createJournal(Clock clock) throws Exception;

  /**
   * Returns how long a subscriber may wait to be told of an append: a journal that polls needs its
   * poll interval.
   *
   * @return the time limit
   */
  protected Duration notificationTimeout() {
    return Duration.ofSeconds(5);
  }

  @BeforeEach
  void openJournal() throws Exception {
    journal = createJournal(clock);
  }

  @AfterEach
  void closeJournal() {
    if (journal != null) {
      journal.close();
    }
  }

  /**
   * Returns an invalidation of one path with the given id.
   *
   * @param id the id
   * @return the invalidation
   */
  protected static Invalidation inv(String id) {
    return Invalidation.builder().id(id).path("/p/" + id).build();
  }

  /**
   * Returns an invalidation of an entity version.
   *
   * @param id the id
   * @param key the entity key
   * @param version the version
   * @return the invalidation
   */
  protected static Invalidation inv(String id, String key, long version) {
    return Invalidation.builder().id(id).path("/p/" + id).tag(key).entity(key, version).build();
  }

  private static List<String> ids(List<JournalEntry> entries) {
    return entries.stream().map(JournalEntry::id).toList();
  }

  // ---- append

  @Test
  void appendedEntryIsPendingWithItsAcceptanceTime() {
    Instant t0 = clock.instant();
    Invalidation inv = Invalidation.builder().id("a1").path("/x").path("/y").tag("t").build();
    Appended a = journal.append(inv);

    assertThat(a.outcome()).isEqualTo(Appended.Outcome.ACCEPTED);
    assertThat(a.claimed()).isFalse();
    assertThat(a.entry().invalidation()).isEqualTo(inv);
    assertThat(a.entry().seq()).isPositive();
    InvalidationStatus s = journal.status("a1").orElseThrow();
    assertThat(s.state()).isEqualTo(State.PENDING);
    assertThat(s.acceptedAt()).isEqualTo(t0);
    assertThat(s.attempts()).isZero();
    assertThat(s.summary()).isEmpty();
    assertThat(journal.status("unknown")).isEmpty();
  }

  @Test
  void appendIsIdempotentById() {
    Appended first = journal.append(inv("dup"));
    Invalidation sameIdOtherContent = Invalidation.builder().id("dup").path("/other").build();
    Appended second = journal.append(sameIdOtherContent);

    assertThat(second.outcome()).isEqualTo(Appended.Outcome.DUPLICATE);
    assertThat(second.isDuplicate()).isTrue();
    assertThat(second.entry().seq()).isEqualTo(first.entry().seq());
    assertThat(second.entry().invalidation()).isEqualTo(inv("dup"));
    assertThat(journal.backlog().pending()).isEqualTo(1);
    assertThat(journal.claim("s1", 10, LEASE)).hasSize(1);
  }

  @Test
  void sameEntityVersionUnderAnotherIdIsADuplicateOfTheFirst() {
    journal.append(inv("hook-replica-a", "post:42", 7));
    Appended second = journal.append(inv("hook-replica-b", "post:42", 7));

    assertThat(second.outcome()).isEqualTo(Appended.Outcome.DUPLICATE);
    assertThat(second.entry().id()).isEqualTo("hook-replica-a");
    assertThat(journal.status("hook-replica-b")).isEmpty();
    assertThat(ids(journal.claim("s1", 10, LEASE))).containsExactly("hook-replica-a");
  }

  @Test
  void olderVersionThanOneJournaledIsSupersededAndNeverSent() {
    journal.append(inv("v5", "post:1", 5));
    Appended late = journal.append(inv("v3", "post:1", 3));

    assertThat(late.outcome()).isEqualTo(Appended.Outcome.SUPERSEDED);
    assertThat(late.newerVersion()).isEqualTo(5L);
    assertThat(late.entry().state()).isEqualTo(State.SUPERSEDED);
    InvalidationStatus s = journal.status("v3").orElseThrow();
    assertThat(s.state()).isEqualTo(State.SUPERSEDED);
    assertThat(s.isFinished()).isTrue();
    assertThat(s.summary()).contains("5");
    assertThat(ids(journal.claim("s1", 10, LEASE))).containsExactly("v5");
    assertThat(journal.backlog().unfinished()).isEqualTo(1);
  }

  @Test
  void newerVersionsAndEntitiesWithoutVersionAreAccepted() {
    assertThat(journal.append(inv("v1", "post:1", 1)).outcome()).isEqualTo(Appended.Outcome.ACCEPTED);
    assertThat(journal.append(inv("v2", "post:1", 2)).outcome()).isEqualTo(Appended.Outcome.ACCEPTED);
    Invalidation noVersion = Invalidation.builder().id("nv").path("/n").entity("post:1").build();
    assertThat(journal.append(noVersion).outcome()).isEqualTo(Appended.Outcome.ACCEPTED);
    assertThat(journal.append(inv("other", "post:2", 1)).outcome()).isEqualTo(Appended.Outcome.ACCEPTED);
  }

  @Test
  void appendWithALeaseClaimsTheEntryForTheAppender() {
    Lease mine = new Lease("me", clock.instant().plus(LEASE));
    Appended a = journal.append(inv("own"), mine);

    assertThat(a.claimed()).isTrue();
    assertThat(a.entry().lease()).isEqualTo(mine);
    assertThat(a.entry().attempts()).isEqualTo(1);
    assertThat(journal.status("own").orElseThrow().state()).isEqualTo(State.IN_FLIGHT);
    assertThat(journal.claim("other", 10, LEASE)).isEmpty();
    assertThat(journal.complete("own", "me", State.DELIVERED, "web: 3/3 acked")).isTrue();
  }

  @Test
  void appendWithALeaseIsNotClaimedWhileAnotherVersionOfTheEntityIsUnfinished() {
    journal.append(inv("v1", "post:9", 1));
    Appended a = journal.append(inv("v2", "post:9", 2), new Lease("me", clock.instant().plus(LEASE)));

    assertThat(a.outcome()).isEqualTo(Appended.Outcome.ACCEPTED);
    assertThat(a.claimed()).isFalse();
    assertThat(journal.status("v2").orElseThrow().state()).isEqualTo(State.PENDING);
    assertThat(ids(journal.claim("other", 10, LEASE))).containsExactly("v1", "v2");
  }

  @Test
  void aDuplicateAppendWithALeaseIsNotClaimed() {
    journal.append(inv("d"));
    Appended again = journal.append(inv("d"), new Lease("me", clock.instant().plus(LEASE)));
    assertThat(again.isDuplicate()).isTrue();
    assertThat(again.claimed()).isFalse();
  }

  // ---- claim

  @Test
  void claimReturnsDueEntriesInAppendOrderAndHoldsThem() {
    journal.append(inv("c1"));
    journal.append(inv("c2"));
    journal.append(inv("c3"));

    List<JournalEntry> got = journal.claim("s1", 10, LEASE);
    assertThat(ids(got)).containsExactly("c1", "c2", "c3");
    assertThat(got).allSatisfy(e -> {
      assertThat(e.attempts()).isEqualTo(1);
      assertThat(e.lease()).isEqualTo(new Lease("s1", clock.instant().plus(LEASE)));
      assertThat(e.state()).isEqualTo(State.PENDING);
      assertThat(e.stateAt(clock.instant())).isEqualTo(State.IN_FLIGHT);
    });
    assertThat(got.get(0).seq()).isLessThan(got.get(1).seq());
    assertThat(got.get(1).seq()).isLessThan(got.get(2).seq());
    assertThat(journal.status("c2").orElseThrow().state()).isEqualTo(State.IN_FLIGHT);
    assertThat(journal.claim("s2", 10, LEASE)).isEmpty();
    assertThat(journal.claim("s1", 10, LEASE)).as("held entries are not claimed again").isEmpty();
  }

  @Test
  void claimTakesAtMostMaxOldestFirst() {
    for (int i = 0; i < 5; i++) {
      journal.append(inv("m" + i));
    }
    assertThat(ids(journal.claim("s1", 2, LEASE))).containsExactly("m0", "m1");
    assertThat(ids(journal.claim("s2", 2, LEASE))).containsExactly("m2", "m3");
    assertThat(ids(journal.claim("s3", 2, LEASE))).containsExactly("m4");
  }

  @Test
  void concurrentClaimersNeverShareAnEntry() throws Exception {
    int entries = 240;
    for (int i = 0; i < entries; i++) {
      // every fourth entry carries an entity key, two versions per key
      journal.append(i % 4 == 0 ? inv("x" + i, "k" + (i / 8), i) : inv("x" + i));
    }
    int threads = 4;
    Map<String, String> claimedBy = new ConcurrentHashMap<>();
    List<String> doubles = Collections.synchronizedList(new ArrayList<>());
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String owner = "sender-" + t;
        done.add(pool.submit(() -> {
          start.await();
          int emptyInARow = 0;
          while (emptyInARow < 3) {
            List<JournalEntry> got = journal.claim(owner, 7, LEASE);
            emptyInARow = got.isEmpty() ? emptyInARow + 1 : 0;
            for (JournalEntry e : got) {
              if (claimedBy.putIfAbsent(e.id(), owner) != null) {
                doubles.add(e.id());
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(doubles).isEmpty();
    assertThat(claimedBy).hasSize(entries);
    assertThat(journal.backlog()).isEqualTo(new Backlog(0, entries, clock.instant()));
  }

  @Test
  void anEndedLeaseIsTakenOverAndTheFormerHolderCanNoLongerRecord() {
    journal.append(inv("t1"));
    assertThat(journal.claim("a", 10, LEASE)).hasSize(1);
    clock.advance(LEASE.minusSeconds(1));
    assertThat(journal.claim("b", 10, LEASE)).as("lease still live").isEmpty();
    clock.advance(Duration.ofSeconds(1));
    assertThat(journal.status("t1").orElseThrow().state()).isEqualTo(State.PENDING);

    List<JournalEntry> taken = journal.claim("b", 10, LEASE);
    assertThat(ids(taken)).containsExactly("t1");
    assertThat(taken.get(0).attempts()).isEqualTo(2);
    assertThat(journal.renew("a", List.of("t1"), LEASE)).containsExactly("t1");
    assertThat(journal.recordProgress("t1", "a", Progress.stageDone("web"))).isFalse();
    assertThat(journal.release("t1", "a", Duration.ZERO, "late")).isFalse();
    assertThat(journal.complete("t1", "a", State.FAILED, "late")).isFalse();
    assertThat(journal.complete("t1", "b", State.DELIVERED, "web: 1/1 acked")).isTrue();
    assertThat(journal.status("t1").orElseThrow().state()).isEqualTo(State.DELIVERED);
  }

  @Test
  void theHolderMayFinishAfterItsLeaseEndedWhenNobodyTookOver() {
    journal.append(inv("slow"));
    journal.claim("a", 10, LEASE);
    clock.advance(LEASE.plusSeconds(5));
    assertThat(journal.complete("slow", "a", State.DELIVERED, "ok")).isTrue();
    assertThat(journal.claim("b", 10, LEASE)).isEmpty();
  }

  @Test
  void renewExtendsTheLeaseAndNamesWhatIsNoLongerHeld() {
    journal.append(inv("r1"));
    journal.append(inv("r2"));
    journal.claim("a", 10, LEASE);
    clock.advance(Duration.ofSeconds(20));
    assertThat(journal.renew("a", List.of("r1", "r2", "never-appended"), LEASE))
        .containsExactly("never-appended");
    clock.advance(Duration.ofSeconds(20));
    assertThat(journal.claim("b", 10, LEASE)).as("renewed until t0+50s").isEmpty();
    clock.advance(Duration.ofSeconds(10));
    assertThat(ids(journal.claim("b", 10, LEASE))).containsExactly("r1", "r2");
  }

  // ---- entity ordering

  @Test
  void aKeyHeldByOneSenderIsNotClaimedByAnother() {
    journal.append(inv("k-v1", "post:7", 1));
    journal.append(inv("plain"));
    assertThat(ids(journal.claim("a", 1, LEASE))).containsExactly("k-v1");
    journal.append(inv("k-v2", "post:7", 2));

    assertThat(ids(journal.claim("b", 10, LEASE))).as("post:7 is held by a").containsExactly("plain");
    assertThat(ids(journal.claim("a", 10, LEASE))).as("the holder takes the next version").containsExactly("k-v2");
  }

  @Test
  void finishingAVersionFreesTheKeyForOthers() {
    journal.append(inv("k-v1", "post:8", 1));
    journal.claim("a", 10, LEASE);
    journal.append(inv("k-v2", "post:8", 2));
    assertThat(journal.claim("b", 10, LEASE)).isEmpty();
    journal.complete("k-v1", "a", State.DELIVERED, "ok");
    assertThat(ids(journal.claim("b", 10, LEASE))).containsExactly("k-v2");
  }

  @Test
  void pendingVersionsOfAKeyAreClaimedTogetherEvenBeyondMax() {
    journal.append(inv("v1", "post:3", 1));
    journal.append(inv("other"));
    journal.append(inv("v2", "post:3", 2));
    journal.append(inv("v3", "post:3", 3));

    assertThat(ids(journal.claim("a", 1, LEASE))).containsExactly("v1", "v2", "v3");
    assertThat(ids(journal.claim("a", 1, LEASE))).containsExactly("other");
  }

  @Test
  void aClaimedKeyBringsItsVersionsThatAreNotDueYet() {
    journal.append(inv("v1", "post:4", 1));
    journal.claim("a", 10, LEASE);
    journal.release("v1", "a", Duration.ofMinutes(5), "web: 0/2 acked");
    journal.append(inv("v2", "post:4", 2));

    List<JournalEntry> got = journal.claim("b", 10, LEASE);
    assertThat(ids(got)).containsExactly("v1", "v2");
    assertThat(got.get(0).attempts()).isEqualTo(2);
  }

  // ---- progress, release, complete

  @Test
  void progressIsTheUnionOfWhatWasRecorded() {
    journal.append(inv("p1"));
    journal.claim("a", 10, LEASE);
    assertThat(journal.recordProgress("p1", "a", Progress.acked("web", List.of("10.0.0.1:3000")))).isTrue();
    assertThat(journal.recordProgress("p1", "a", Progress.acked("web", List.of("10.0.0.2:3000")))).isTrue();
    assertThat(journal.recordProgress("p1", "a", Progress.acked("varnish", List.of("10.0.1.1:80")))).isTrue();
    assertThat(journal.recordProgress("p1", "a", Progress.stageDone("web"))).isTrue();
    assertThat(journal.recordProgress("p1", "a", Progress.acked("web", List.of("10.0.0.1:3000")))).isTrue();
    assertThat(journal.recordProgress("p1", "b", Progress.acked("web", List.of("10.9.9.9:3000"))))
        .as("not the holder").isFalse();
    assertThat(journal.recordProgress("missing", "a", Progress.stageDone("web"))).isFalse();
    journal.release("p1", "a", Duration.ZERO, "cdn: timed out");

    Progress p = journal.claim("b", 10, LEASE).get(0).progress();
    assertThat(p.acked()).isEqualTo(Map.of(
        "web", Set.of("10.0.0.1:3000", "10.0.0.2:3000"), "varnish", Set.of("10.0.1.1:80")));
    assertThat(p.stagesDone()).containsExactly("web");
    assertThat(p.isAcked("web", "10.0.0.2:3000")).isTrue();
    assertThat(p.isAcked("web", "10.9.9.9:3000")).isFalse();
  }

  @Test
  void aReleasedEntryIsDueAgainAfterItsDelay() {
    journal.append(inv("rt"));
    journal.claim("a", 10, LEASE);
    assertThat(journal.release("rt", "a", Duration.ofSeconds(30), "web: 2/3 acked, 1 failed")).isTrue();

    InvalidationStatus s = journal.status("rt").orElseThrow();
    assertThat(s.state()).isEqualTo(State.PENDING);
    assertThat(s.summary()).isEqualTo("web: 2/3 acked, 1 failed");
    assertThat(s.attempts()).isEqualTo(1);
    assertThat(journal.claim("a", 10, LEASE)).isEmpty();
    clock.advance(Duration.ofSeconds(29));
    assertThat(journal.claim("b", 10, LEASE)).isEmpty();
    clock.advance(Duration.ofSeconds(1));
    List<JournalEntry> again = journal.claim("b", 10, LEASE);
    assertThat(ids(again)).containsExactly("rt");
    assertThat(again.get(0).attempts()).isEqualTo(2);
    assertThat(journal.release("rt", "a", Duration.ZERO, "x")).as("a no longer holds it").isFalse();
  }

  @Test
  void aCompletedEntryIsFinishedAndCompletingAgainIsIdempotent() {
    journal.append(inv("done"));
    journal.claim("a", 10, LEASE);
    clock.advance(Duration.ofSeconds(3));
    assertThat(journal.complete("done", "a", State.DELIVERED, "web: 3/3 acked; cdn: purged")).isTrue();

    InvalidationStatus s = journal.status("done").orElseThrow();
    assertThat(s.state()).isEqualTo(State.DELIVERED);
    assertThat(s.summary()).isEqualTo("web: 3/3 acked; cdn: purged");
    assertThat(s.updatedAt()).isEqualTo(clock.instant());
    assertThat(journal.complete("done", "a", State.DELIVERED, "again")).isTrue();
    assertThat(journal.complete("done", "a", State.FAILED, "other")).isFalse();
    assertThat(journal.status("done").orElseThrow().state()).isEqualTo(State.DELIVERED);
    assertThat(journal.release("done", "a", Duration.ZERO, "x")).isFalse();
    assertThat(journal.renew("a", List.of("done"), LEASE)).containsExactly("done");
    clock.advance(Duration.ofHours(1));
    assertThat(journal.claim("b", 10, LEASE)).isEmpty();
    assertThat(journal.backlog()).isEqualTo(Backlog.EMPTY);
  }

  @Test
  void completeAllFinishesWhatTheOwnerHoldsAndNamesTheRest() {
    for (String id : List.of("c1", "c2", "c3", "other")) {
      journal.append(inv(id));
    }
    assertThat(journal.claim("a", 3, LEASE)).hasSize(3);
    assertThat(journal.claim("b", 10, LEASE)).hasSize(1);
    journal.complete("c3", "a", State.DELIVERED, "earlier");

    assertThat(journal.completeAll(List.of("c1", "c2", "c3", "other", "unknown"), "a",
        State.DELIVERED, "web: 2/2 acked")).containsExactlyInAnyOrder("other", "unknown");

    assertThat(journal.status("c1").orElseThrow().state()).isEqualTo(State.DELIVERED);
    assertThat(journal.status("c2").orElseThrow().summary()).isEqualTo("web: 2/2 acked");
    assertThat(journal.status("other").orElseThrow().state()).isEqualTo(State.IN_FLIGHT);
    assertThat(journal.completeAll(List.of(), "a", State.FAILED, "x")).isEmpty();
    assertThatThrownBy(() -> journal.completeAll(List.of("c1"), "a", State.PENDING, "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void statusFollowsTheLifeOfAnEntry() {
    Instant t0 = clock.instant();
    journal.append(inv("life"));
    assertThat(journal.status("life").orElseThrow().state()).isEqualTo(State.PENDING);
    clock.advance(Duration.ofSeconds(1));
    journal.claim("a", 10, LEASE);
    InvalidationStatus inFlight = journal.status("life").orElseThrow();
    assertThat(inFlight.state()).isEqualTo(State.IN_FLIGHT);
    assertThat(inFlight.updatedAt()).isEqualTo(t0.plusSeconds(1));
    clock.advance(LEASE);
    assertThat(journal.status("life").orElseThrow().state()).as("lease ended").isEqualTo(State.PENDING);
    journal.claim("b", 10, LEASE);
    clock.advance(Duration.ofSeconds(2));
    journal.complete("life", "b", State.FAILED, "web: 0/2 acked, 2 failed (401 unauthorized)");
    InvalidationStatus end = journal.status("life").orElseThrow();
    assertThat(end).isEqualTo(new InvalidationStatus("life", State.FAILED, t0,
        t0.plusSeconds(33), 2, "web: 0/2 acked, 2 failed (401 unauthorized)"));
  }

  @Test
  void longSummariesAreCut() {
    journal.append(inv("long"));
    journal.claim("a", 10, LEASE);
    journal.complete("long", "a", State.FAILED, "x".repeat(5000));
    String s = journal.status("long").orElseThrow().summary();
    assertThat(s).hasSize(InvalidationStatus.MAX_SUMMARY_LENGTH).endsWith("...");
  }

  // ---- history, expire, backlog

  @Test
  void historyPagesBySequenceFromAMomentWithoutSupersededEntries() {
    Instant t0 = clock.instant();
    journal.append(inv("h0"));
    clock.advance(Duration.ofMinutes(1));
    Instant t1 = clock.instant();
    journal.append(inv("h1", "post:1", 2));
    journal.append(inv("h2-superseded", "post:1", 1));
    journal.append(inv("h3"));
    journal.claim("a", 10, LEASE);
    journal.complete("h3", "a", State.DELIVERED, "ok");
    journal.append(inv("h4"));

    List<JournalEntry> page1 = journal.history(t1, 0, 2);
    assertThat(ids(page1)).containsExactly("h1", "h3");
    List<JournalEntry> page2 = journal.history(t1, page1.get(1).seq(), 2);
    assertThat(ids(page2)).containsExactly("h4");
    assertThat(journal.history(t1, page2.get(0).seq(), 2)).isEmpty();
    assertThat(ids(journal.history(t0, 0, 100))).containsExactly("h0", "h1", "h3", "h4");
    assertThat(page1.get(0).invalidation()).isEqualTo(inv("h1", "post:1", 2));
  }

  @Test
  void expireDeletesOnlyOldFinishedEntries() {
    journal.append(inv("old-done"));
    journal.append(inv("old-pending"));
    journal.append(inv("old-superseded-base", "post:1", 5));
    journal.append(inv("old-superseded", "post:1", 4));
    journal.claim("a", 1, LEASE);
    journal.complete("old-done", "a", State.DELIVERED, "ok");
    clock.advance(Duration.ofHours(2));
    journal.append(inv("new"));
    journal.claim("a", 10, LEASE);
    journal.complete("new", "a", State.DELIVERED, "ok");

    assertThat(journal.expire(clock.instant().minus(Duration.ofHours(1)))).isEqualTo(2);
    assertThat(journal.status("old-done")).isEmpty();
    assertThat(journal.status("old-superseded")).isEmpty();
    assertThat(journal.status("old-pending")).isPresent();
    assertThat(journal.status("old-superseded-base")).isPresent();
    assertThat(journal.status("new")).isPresent();
    assertThat(journal.expire(clock.instant().plusSeconds(1))).as("pending ones are never expired").isEqualTo(1);
    assertThat(journal.status("old-pending")).isPresent();
  }

  @Test
  void backlogCountsPendingAndInFlightWithTheOldest() {
    assertThat(journal.backlog()).isEqualTo(Backlog.EMPTY);
    Instant t0 = clock.instant();
    journal.append(inv("b1"));
    clock.advance(Duration.ofSeconds(10));
    journal.append(inv("b2"));
    journal.append(inv("b3"));
    journal.claim("a", 1, LEASE);

    Backlog b = journal.backlog();
    assertThat(b).isEqualTo(new Backlog(2, 1, t0));
    assertThat(b.oldestAge(clock.instant())).isEqualTo(Duration.ofSeconds(10));
    journal.complete("b1", "a", State.DELIVERED, "ok");
    assertThat(journal.backlog()).isEqualTo(new Backlog(2, 0, t0.plusSeconds(10)));
  }

  // ---- subscribe

  @Test
  void subscribersAreToldOfAppendsUntilTheyUnsubscribe() {
    AtomicInteger calls = new AtomicInteger();
    Journal.Subscription sub = journal.subscribe(calls::incrementAndGet);
    int before = calls.get();
    journal.append(inv("n1"));
    await().atMost(notificationTimeout()).until(() -> calls.get() > before);

    sub.close();
    sub.close();
    int afterClose = calls.get();
    journal.append(inv("n2"));
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
        .until(() -> calls.get() == afterClose);
  }

  // ---- catch-up records

  /**
   * Returns a catch-up record ending now on the test clock.
   *
   * @param target the replica's host:port
   * @param outcome how it ended
   * @return the record
   */
  protected CatchUpRecord catchUp(String target, CatchUpReport.Outcome outcome) {
    boolean failed = outcome == CatchUpReport.Outcome.FAILED;
    return new CatchUpRecord("web", target, CatchUpReport.Reason.JOINED, outcome,
        clock.instant().truncatedTo(ChronoUnit.MICROS),
        failed ? null : clock.instant().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MICROS),
        failed ? 0 : 12, failed ? 0 : 3, failed ? 0 : 7, failed ? 8 : 1, Duration.ofMillis(1500),
        failed ? "connect: connection refused" : null);
  }

  @Test
  void catchUpRecordsComeBackNewestFirstWithEveryField() {
    CatchUpRecord first = catchUp("10.0.0.1:3000", CatchUpReport.Outcome.CAUGHT_UP);
    journal.recordCatchUp(first);
    clock.advance(Duration.ofSeconds(1));
    CatchUpRecord second = catchUp("10.0.0.2:3000", CatchUpReport.Outcome.FAILED);
    journal.recordCatchUp(second);
    clock.advance(Duration.ofSeconds(1));
    CatchUpRecord third = catchUp("[2001:db8::1]:3000", CatchUpReport.Outcome.CAUGHT_UP);
    journal.recordCatchUp(third);

    assertThat(journal.recentCatchUps(10)).containsExactly(third, second, first);
    assertThat(journal.recentCatchUps(2)).containsExactly(third, second);
    assertThatThrownBy(() -> journal.recentCatchUps(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limit");
  }

  @Test
  void catchUpRecordsAreApartFromTheInvalidationHistory() {
    journal.append(inv("h1"));
    journal.recordCatchUp(catchUp("10.0.0.1:3000", CatchUpReport.Outcome.CAUGHT_UP));

    assertThat(ids(journal.history(Instant.EPOCH, 0, 10))).containsExactly("h1");
    assertThat(journal.backlog().pending()).isEqualTo(1);
    assertThat(journal.recentCatchUps(10)).hasSize(1);
  }

  // ---- bad input

  @Test
  void badArgumentsAreRefusedBeforeAnyWork() {
    assertThatThrownBy(() -> journal.claim("a", 0, LEASE)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max");
    assertThatThrownBy(() -> journal.claim(" ", 1, LEASE)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("owner");
    assertThatThrownBy(() -> journal.claim("a", 1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lease");
    journal.append(inv("bad"));
    journal.claim("a", 1, LEASE);
    assertThatThrownBy(() -> journal.release("bad", "a", Duration.ofSeconds(-1), "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delay");
    assertThatThrownBy(() -> journal.complete("bad", "a", State.PENDING, "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("finalState");
    assertThatThrownBy(() -> journal.history(clock.instant(), 0, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
    assertThatThrownBy(() -> journal.append(null)).isInstanceOf(NullPointerException.class);
    assertThat(journal.status("bad").orElseThrow().state()).isEqualTo(State.IN_FLIGHT);
  }
}
