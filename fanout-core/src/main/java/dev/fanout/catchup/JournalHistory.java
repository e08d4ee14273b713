package dev.fanout.catchup;

import dev.fanout.spi.Journal;
import dev.fanout.spi.JournalEntry;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** Reads a journal's history window page by page and compacts it. */
final class JournalHistory implements HistorySource {
  /** Entries read per {@link Journal#history} call. */
  static final int PAGE = 500;

  private final Journal journal;

  JournalHistory(Journal journal) {
    this.journal = Objects.requireNonNull(journal, "journal");
  }

  @Override
  public History since(Instant since) {
    History.Compactor history = new History.Compactor(since);
    long after = 0;
    while (true) {
      List<JournalEntry> page = journal.history(since, after, PAGE);
      for (JournalEntry e : page) {
        if (!history.add(e.invalidation())) {
          return history.build();
        }
        after = e.seq();
      }
      if (page.size() < PAGE) {
        return history.build();
      }
    }
  }

  @Override
  public String toString() {
    return "JournalHistory[" + journal + "]";
  }
}
