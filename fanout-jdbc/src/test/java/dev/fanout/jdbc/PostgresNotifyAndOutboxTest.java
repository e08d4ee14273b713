package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.fanout.Invalidation;
import java.time.Instant;
import dev.fanout.spi.Lease;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.JournalException;
import dev.fanout.spi.Appended;
import dev.fanout.spi.Journal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * LISTEN/NOTIFY and the transactional outbox on real PostgreSQL. Subscribers here poll once an
 * hour, so anything they see within seconds came from a notification.
 */
class PostgresNotifyAndOutboxTest {
  private static final AtomicInteger TABLES = new AtomicInteger();
  private final String table = "notify_" + TABLES.incrementAndGet();
  private final DataSource ds = TestPostgres.shared().pool();
  private final List<JdbcJournal> journals = new ArrayList<>();

  private JdbcJournal journal() {
    JdbcJournal j = JdbcJournal.builder().dataSource(ds).table(table).createSchema(true)
        .pollInterval(Duration.ofHours(1)).build();
    journals.add(j);
    return j;
  }

  @BeforeEach
  void posts() throws Exception {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS posts (id INT PRIMARY KEY, title TEXT)");
    }
  }

  @AfterEach
  void close() {
    journals.forEach(JdbcJournal::close);
  }

  /** Subscribes and returns the call counter once the listener is connected. */
  private static AtomicInteger listening(Journal j) {
    AtomicInteger calls = new AtomicInteger();
    j.subscribe(calls::incrementAndGet);
    // The listener calls once when its LISTEN is in place (to cover what it may have missed).
    await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() >= 1);
    return calls;
  }

  @Test
  void anAppendInAnotherProcessWakesASubscriberAtOnce() {
    JdbcJournal sender = journal();
    JdbcJournal backend = journal();
    AtomicInteger calls = listening(sender);
    int before = calls.get();

    backend.append(Invalidation.ofPaths("/notified"));

    await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() > before);
  }

  @Test
  void anOutboxAppendThatCommitsIsDeliveredAndNotifies() throws Exception {
    JdbcJournal journal = journal();
    AtomicInteger calls = listening(journal);
    int before = calls.get();
    Invalidation inv = Invalidation.builder().id("outbox-commit").path("/post/1").entity("post:1", 2).build();

    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO posts VALUES (1, 'hello')")) {
        ps.executeUpdate();
      }
      Appended a = journal.append(c, inv);
      assertThat(a.outcome()).isEqualTo(Appended.Outcome.ACCEPTED);
      assertThat(journal.status("outbox-commit")).as("not visible before commit").isEmpty();
      c.commit();
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() > before);
    assertThat(journal.status("outbox-commit").orElseThrow().state()).isEqualTo(State.PENDING);
    assertThat(journal.claim("sender", 10, Duration.ofMinutes(1)))
        .singleElement().satisfies(e -> assertThat(e.invalidation()).isEqualTo(inv));
  }

  @Test
  void anOutboxAppendThatRollsBackIsNeverDeliveredNorNotified() throws Exception {
    JdbcJournal journal = journal();
    AtomicInteger calls = listening(journal);
    int before = calls.get();

    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO posts VALUES (2, 'draft')")) {
        ps.executeUpdate();
      }
      journal.append(c, Invalidation.builder().id("outbox-rollback").path("/post/2").build());
      c.rollback();
    }
    // A later committed append is notified; the rolled-back one never was, and never exists.
    journal.append(Invalidation.builder().id("after").path("/after").build());
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() > before);

    assertThat(journal.status("outbox-rollback")).isEmpty();
    assertThat(journal.claim("sender", 10, Duration.ofMinutes(1)))
        .extracting(e -> e.id()).containsExactly("after");
    assertThat(calls.get()).as("one notification: the committed append").isEqualTo(before + 1);
  }

  @Test
  void aKeyedCompletionWakesSubscribersOnlyWhenAnotherVersionOfItsKeyWaits() {
    JdbcJournal sender = journal();
    JdbcJournal backend = journal();
    AtomicInteger calls = listening(sender);
    Lease a = new Lease("sender-a", Instant.now().plus(Duration.ofMinutes(5)));
    Lease b = new Lease("sender-b", Instant.now().plus(Duration.ofMinutes(5)));

    // Version 2 arrives while sender a holds version 1: it is not leased, and waits for the key.
    assertThat(sender.append(keyed("w1", "post:waits", 1), a).claimed()).isTrue();
    assertThat(backend.append(keyed("w2", "post:waits", 2), b).claimed()).isFalse();
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() > 1);
    int beforeFreeing = calls.get();
    assertThat(sender.complete("w1", "sender-a", State.DELIVERED, "ok")).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() > beforeFreeing);
    assertThat(backend.claim("sender-b", 10, Duration.ofMinutes(1)))
        .extracting(e -> e.id()).containsExactly("w2");

    // Nothing waits for this key: its completion tells nobody; a later append does.
    int before = calls.get();
    assertThat(sender.append(keyed("alone", "post:alone", 1), a).claimed()).isTrue();
    assertThat(sender.complete("alone", "sender-a", State.DELIVERED, "ok")).isTrue();
    backend.append(Invalidation.builder().id("later").path("/later").build());
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() > before);
    assertThat(calls.get()).as("one notification: the later append").isEqualTo(before + 1);
  }

  private static Invalidation keyed(String id, String key, long version) {
    return Invalidation.builder().id(id).path("/" + id).entity(key, version).build();
  }

  @Test
  void theOutboxNeedsTheCallersTransaction() throws Exception {
    JdbcJournal journal = journal();
    try (Connection c = ds.getConnection()) {
      assertThatThrownBy(() -> journal.append(c, Invalidation.ofPaths("/x")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("auto-commit");
    }
  }

  @Test
  void twoOutboxTransactionsWithTheSameIdCannotBothCommit() throws Exception {
    JdbcJournal journal = journal();
    Invalidation inv = Invalidation.builder().id("same").path("/same").build();
    try (Connection first = ds.getConnection(); Connection second = ds.getConnection()) {
      first.setAutoCommit(false);
      second.setAutoCommit(false);
      journal.append(first, inv);
      first.commit();
      assertThat(journal.append(second, inv).isDuplicate()).isTrue();
      second.commit();
    }
    assertThat(journal.backlog().pending()).isEqualTo(1);
  }

  @Test
  void aMissingTableIsNamedWithWhatToDo() {
    JdbcJournal j = JdbcJournal.builder().dataSource(ds).table("never_created").build();
    journals.add(j);
    assertThatThrownBy(() -> j.claim("s", 1, Duration.ofSeconds(1)))
        .isInstanceOf(JournalException.class)
        .hasMessageContaining("never_created does not exist")
        .hasMessageContaining("schema-postgresql.sql")
        .satisfies(e -> assertThat(((JournalException) e).isRetryable()).isFalse());
    assertThatThrownBy(() -> j.append(Invalidation.ofPaths("/x")))
        .isInstanceOf(JournalException.class).hasMessageContaining("does not exist");
  }
}
