package dev.fanout.catchup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Invalidation;
import dev.fanout.journal.InMemoryJournal;
import dev.fanout.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The history sources: the in-memory record and the journal's history, compacted. */
class HistoryTest {
  private final ManualClock clock = new ManualClock();

  @Test
  void theRecordForgetsWhatIsOlderThanItsRetention() {
    RecentHistory h = new RecentHistory(clock, Duration.ofMinutes(5), 100);
    h.record(Invalidation.ofPaths("/a"));
    clock.advance(Duration.ofMinutes(6));
    h.record(Invalidation.ofPaths("/b"));

    assertThat(h.size()).isEqualTo(1);
    History history = h.since(Instant.EPOCH);
    assertThat(history.paths()).containsExactly("/b");
    assertThat(history.complete()).isTrue();
  }

  @Test
  void aRecordPastItsCapacityMakesAHistoryThatReachesBackIncomplete() {
    RecentHistory h = new RecentHistory(clock, Duration.ofHours(1), 3);
    Instant start = clock.instant();
    h.record(Invalidation.ofPaths("/a", "/b"));
    clock.advance(Duration.ofSeconds(1));
    Instant second = clock.instant();
    h.record(Invalidation.ofPaths("/c", "/d"));

    assertThat(h.since(start).complete()).isFalse();
    assertThat(h.since(start).paths()).containsExactly("/c", "/d");
    assertThat(h.since(second).complete()).as("nothing of this window was dropped").isTrue();
  }

  @Test
  void theJournalsHistoryIsReadPageByPageAndCompacted() {
    InMemoryJournal journal = InMemoryJournal.builder().clock(clock).build();
    for (int k = 0; k < JournalHistory.PAGE * 2 + 10; k++) {
      journal.append(Invalidation.builder().path("/posts/" + (k % 700)).tag("post:" + (k % 3)).build());
    }
    History h = HistorySource.of(journal).since(Instant.EPOCH);

    assertThat(h.entries()).isEqualTo(JournalHistory.PAGE * 2 + 10);
    assertThat(h.paths()).hasSize(700).startsWith("/posts/0", "/posts/1");
    assertThat(h.tags()).containsExactly("post:0", "post:1", "post:2");
    assertThat(h.complete()).isTrue();
  }
}
