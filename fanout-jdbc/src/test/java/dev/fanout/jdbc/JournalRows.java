package dev.fanout.jdbc;

import dev.fanout.spi.Journal;
import dev.fanout.spi.JournalEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Every entry a journal holds, read page by page: what the proofs compare the receivers with. */
final class JournalRows {
  private JournalRows() {}

  static List<JournalEntry> all(Journal journal) {
    List<JournalEntry> rows = new ArrayList<>();
    long after = 0;
    List<JournalEntry> page;
    while (!(page = journal.history(Instant.EPOCH, after, 5_000)).isEmpty()) {
      rows.addAll(page);
      after = page.get(page.size() - 1).seq();
    }
    return rows;
  }
}
