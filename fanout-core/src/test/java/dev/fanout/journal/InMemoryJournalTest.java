package dev.fanout.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.JournalException;
import dev.fanout.catchup.CatchUpReport;
import dev.fanout.spi.Journal;
import dev.fanout.testing.JournalContract;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The journal contract on {@link InMemoryJournal}, plus its capacity rules. */
class InMemoryJournalTest extends JournalContract {

  @Override
  protected Journal createJournal(Clock clock) {
    return InMemoryJournal.builder().clock(clock).build();
  }

  @Test
  void keepsTheNewestCatchUpRecordsOnly() {
    for (int i = 0; i <= InMemoryJournal.CATCH_UP_RECORDS; i++) {
      journal.recordCatchUp(catchUp("10.0.0.1:" + (1000 + i), CatchUpReport.Outcome.CAUGHT_UP));
    }
    var kept = journal.recentCatchUps(Integer.MAX_VALUE);
    assertThat(kept).hasSize(InMemoryJournal.CATCH_UP_RECORDS);
    assertThat(kept.get(0).target()).isEqualTo("10.0.0.1:" + (1000 + InMemoryJournal.CATCH_UP_RECORDS));
    assertThat(kept.get(kept.size() - 1).target()).as("the oldest was dropped").isEqualTo("10.0.0.1:1001");
  }

  @Test
  void whenFullTheOldestFinishedEntryMakesRoom() {
    InMemoryJournal small = InMemoryJournal.builder().clock(clock).capacity(2).build();
    small.append(inv("f1"));
    small.claim("a", 1, Duration.ofSeconds(5));
    small.complete("f1", "a", State.DELIVERED, "ok");
    small.append(inv("p1"));

    small.append(inv("p2"));
    assertThat(small.status("f1")).as("finished history made room").isEmpty();
    assertThat(small.status("p1")).isPresent();
    assertThat(small.status("p2")).isPresent();
  }

  @Test
  void whenFullOfUnfinishedEntriesAnAppendFailsAndAcceptsNothing() {
    InMemoryJournal small = InMemoryJournal.builder().clock(clock).capacity(2).build();
    small.append(inv("p1"));
    small.append(inv("p2"));

    assertThatThrownBy(() -> small.append(inv("p3")))
        .isInstanceOf(JournalException.class)
        .hasMessageContaining("full")
        .hasMessageContaining("nothing was accepted")
        .satisfies(e -> assertThat(((JournalException) e).isRetryable()).isTrue());
    assertThat(small.status("p3")).isEmpty();
    assertThat(small.backlog().pending()).isEqualTo(2);
    assertThat(small.append(inv("p1")).isDuplicate()).as("a duplicate needs no room").isTrue();
  }

  @Test
  void aClosedJournalRefusesCalls() {
    InMemoryJournal j = InMemoryJournal.create();
    j.close();
    assertThatThrownBy(() -> j.append(Invalidation.ofPaths("/x")))
        .isInstanceOf(JournalException.class).hasMessageContaining("closed");
  }

  @Test
  void capacityIsValidated() {
    assertThatThrownBy(() -> InMemoryJournal.builder().capacity(0).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity");
  }
}
