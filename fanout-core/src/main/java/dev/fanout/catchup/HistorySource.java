package dev.fanout.catchup;

import dev.fanout.spi.Journal;
import java.time.Instant;

/**
 * Where a catch-up reads what was invalidated in its window: the {@link Journal}'s history when
 * the invalidator has one, otherwise a {@link RecentHistory} of what the invalidator ran.
 *
 * @since 0.2
 */
@FunctionalInterface
public interface HistorySource {

  /**
   * Returns the compacted history of what was invalidated at or after {@code since}. May block (a
   * database read); it is called on the invalidator's worker threads, never on a timer thread.
   *
   * @param since the start of the window
   * @return the history
   * @throws RuntimeException if the source failed (a {@code JournalException}); the catch-up
   *     attempt then fails and is retried
   */
  History since(Instant since);

  /**
   * Returns a source that reads a journal's history ({@link Journal#history}), page by page.
   *
   * @param journal the journal
   * @return the source
   */
  static HistorySource of(Journal journal) {
    return new JournalHistory(journal);
  }
}
