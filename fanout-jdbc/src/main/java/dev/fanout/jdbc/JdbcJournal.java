// Over 500 lines for one job: the Journal contract over JDBC, each operation one transaction with its SQL for both dialects; group commit is in GroupCommitter, the driver's own API in PgDriver, rows in Codec, catch-up records in CatchUpRecords.
package dev.fanout.jdbc;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.JournalException;
import dev.fanout.RetryPolicy;
import dev.fanout.catchup.CatchUpRecord;
import dev.fanout.internal.Checks;
import dev.fanout.internal.Retry;
import dev.fanout.spi.Appended;
import dev.fanout.spi.Backlog;
import dev.fanout.spi.Journal;
import dev.fanout.spi.JournalEntry;
import dev.fanout.spi.Lease;
import dev.fanout.spi.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A {@link Journal} in the application's own database, over plain JDBC: PostgreSQL (the reference)
 * or H2 (demos and tests in one process).
 *
 * <pre>{@code
 * JdbcJournal journal = JdbcJournal.builder().dataSource(dataSource).build();
 * }</pre>
 *
 * <p><b>Durability.</b> {@link #append(Invalidation, Lease)} returns once the entry's transaction
 * committed. Concurrent appends are <em>group-committed</em>: one thread writes everything that is
 * waiting in one transaction, so many callers share one commit; each caller returns only after its
 * batch committed, and a failed batch fails every caller in it (nothing of it was committed).
 * {@link #append(Connection, Invalidation)} instead writes inside the caller's own transaction:
 * the transactional outbox.
 *
 * <p><b>Claims</b> take unkeyed entries with {@code SELECT ... FOR UPDATE SKIP LOCKED}, so
 * concurrent senders in any number of processes take disjoint entries without waiting for each
 * other, and give them a lease. Entries with an entity key are claimed a key at a time under a
 * PostgreSQL advisory lock, every unfinished version of the key together (see {@link Journal}).
 *
 * <p><b>Notifications.</b> On PostgreSQL appends, releases and completions run {@code pg_notify} in
 * their transaction, and a subscriber's dedicated connection {@code LISTEN}s, so senders in every
 * process wake when the transaction commits (a rolled-back outbox transaction notifies nobody).
 * When the listening connection fails it reconnects, and polls meanwhile. H2 has no notifications:
 * subscribers are polled.
 *
 * <p><b>Time</b> is this process's {@link Builder#clock(Clock) clock}, stored with microsecond
 * precision. Processes sharing a journal must keep their clocks synchronized (NTP): a skew of S
 * shortens or lengthens a lease by S, so leases should be much longer than any skew.
 *
 * <p><b>Failures.</b> Every call that fails throws a {@link JournalException} whose message names
 * the call and the SQLState and never contains credentials or a connection URL; {@link
 * JournalException#isRetryable()} is true when the database was unreachable, shut down, or chose
 * the transaction as a deadlock victim. A transaction that meets a deadlock or serialization
 * failure is attempted up to three times here first (twice for the calls that read what they
 * changed), a few milliseconds apart with jitter. Every call is safe to retry (see {@link Journal}). The journal takes a
 * connection from the {@code DataSource} per call (and one more, held, for {@code LISTEN}): use a
 * pool with a connect timeout, so that an unreachable database fails a call at once.
 *
 * <p>Thread-safe. {@link #close()} commits or fails pending appends, stops the journal's threads
 * and closes its own connection; it does not close the {@code DataSource}.
 *
 * @since 0.2
 */
public final class JdbcJournal implements Journal {
  /** The default table name. */
  public static final String DEFAULT_TABLE = "fanout_journal";

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,40}");
  private static final String COLUMNS = "seq, payload, state, accepted_at, updated_at,"
      + " next_attempt_at, attempts, lease_owner, lease_until, progress, summary";
  private static final String DUE =
      "state = 'P' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)";
  /**
   * Deadlocks and serialization failures: three attempts in all, the later ones after a short
   * jittered wait, so that the transactions that collided do not collide again in lock-step.
   */
  private static final Retry CONFLICTS = new Retry(
      new RetryPolicy(3, Duration.ofMillis(2), Duration.ofMillis(20)), Retry.defaultRandom());
  /** The conflict retries' deadline: none to speak of, the attempts bound them. */
  private static final Duration NO_DEADLINE = Duration.ofMinutes(1);

  private final DataSource dataSource;
  private final String table;
  private final String tableName;
  private final String channel;
  private final Clock clock;
  private final GroupCommitter committer;
  private final Changes changes;
  private final ReentrantLock processLock = new ReentrantLock();
  private volatile Dialect dialect;

  private JdbcJournal(Builder b) {
    this.dataSource = b.dataSource;
    this.tableName = b.table;
    this.table = b.schema == null ? b.table : b.schema + "." + b.table;
    this.channel = b.table.toLowerCase(java.util.Locale.ROOT);
    this.clock = b.clock;
    if (b.createSchema) {
      createSchema();
    }
    this.committer = new GroupCommitter(
        this::writeBatch, b.maxBatchSize, b.committers, b.appendTimeout, "fanout-journal-commit");
    this.changes = new Changes(
        dataSource, this::dialect, channel, b.pollInterval, b.listen, "fanout-journal-listen");
  }

  /**
   * Returns a builder.
   *
   * @return a builder; {@link Builder#dataSource(DataSource)} is required
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the SQL that creates the journal's table and indexes in PostgreSQL, as shipped in
   * {@code dev/fanout/jdbc/schema-postgresql.sql}, for migrations tools and DBAs.
   *
   * @return the SQL script, statements separated by {@code ;}
   */
  public static String postgresqlSchema() {
    return resource(Dialect.POSTGRESQL.schemaResource);
  }

  // ---- append

  @Override
  public Appended append(Invalidation invalidation, Lease claimAs) {
    Objects.requireNonNull(invalidation, "invalidation");
    return committer.append(invalidation, claimAs);
  }

  /**
   * Appends an invalidation inside the caller's transaction: the transactional outbox. Nothing is
   * committed or rolled back here. When the caller commits, the entry is pending and subscribers
   * in every process are notified; when it rolls back, the entry never existed and nobody is
   * notified. A backend that updates its entity and appends in one transaction therefore never
   * publishes a change without its invalidation, nor invalidates a change that did not happen.
   *
   * <pre>{@code
   * try (Connection c = dataSource.getConnection()) {
   *   c.setAutoCommit(false);
   *   updatePost(c, post);
   *   journal.append(c, Invalidation.builder().path("/blog/" + post.slug())
   *       .entity("post:" + post.id(), post.version()).build());
   *   c.commit();
   * }
   * }</pre>
   *
   * <p>The duplicate and superseded rules of {@link #append(Invalidation, Lease)} apply, judged
   * against what is committed. With two concurrent transactions appending the same id on PostgreSQL,
   * the second waits until the first ends: it is a {@code DUPLICATE} if the first committed, and
   * {@code ACCEPTED} if the first rolled back. On H2 (demos and tests) it may fail with a unique
   * violation instead (a {@link JournalException}), and its transaction must roll back.
   *
   * @param connection the caller's connection, with auto-commit off, on the journal's database
   * @param invalidation the invalidation
   * @return what the journal did, valid once the caller commits
   * @throws IllegalArgumentException if the connection is in auto-commit mode
   * @throws JournalException if a statement failed; the caller's transaction should be rolled back
   */
  public Appended append(Connection connection, Invalidation invalidation) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(invalidation, "invalidation");
    try {
      if (connection.getAutoCommit()) {
        throw new IllegalArgumentException(
            "the outbox append needs the caller's transaction: turn auto-commit off on the connection");
      }
      Dialect d = dialect(connection);
      List<GroupCommitter.Request> one =
          List.of(new GroupCommitter.Request(invalidation, null, null));
      return locked(d, () -> appendAll(connection, d, one, false)).get(0);
    } catch (SQLException e) {
      throw SqlErrors.wrap("journal append in the caller's transaction", table, e);
    }
  }

  private List<Appended> writeBatch(List<GroupCommitter.Request> batch) {
    return inTransaction("journal append", (c, d) -> {
      try {
        return appendAll(c, d, batch, true);
      } catch (SQLException e) {
        if (SqlErrors.isUniqueViolation(e)) {
          // Another process committed the same id or entity version after this batch looked:
          // roll back and look again (the conflicting entry is now visible as a duplicate).
          throw new SQLException("concurrent append of the same entry", "40001", e);
        }
        throw e;
      }
    }, true);
  }

  /**
   * Decides and inserts a batch, in the caller's transaction. Results in request order. With
   * {@code ownTransaction}, the transaction is the journal's own: a keyed batch may commit it
   * together with its insert (see {@link #insert}).
   */
  private List<Appended> appendAll(Connection c, Dialect d, List<GroupCommitter.Request> batch,
      boolean ownTransaction) throws SQLException {
    Instant now = now();
    Set<String> keys = new LinkedHashSet<>();
    Set<String> ids = new LinkedHashSet<>();
    Set<Long> versions = new HashSet<>();
    for (GroupCommitter.Request r : batch) {
      Invalidation inv = r.invalidation();
      ids.add(inv.id());
      if (inv.hasEntity()) {
        keys.add(inv.entity());
      }
      if (inv.version() != null) {
        versions.add(inv.version());
      }
    }
    if (keys.isEmpty() && d == Dialect.POSTGRESQL) {
      return appendUnkeyed(c, d, batch, now);
    }
    Known known = lockAndLookUp(c, d, ids, keys, versions);
    Map<String, JournalEntry> byId = known.byId();
    Map<String, JournalEntry> byVersion = known.byVersion();
    Map<String, Long> newest = known.newest();
    Set<String> unfinishedKeys = known.unfinishedKeys();

    Appended[] out = new Appended[batch.size()];
    int[] duplicateOf = new int[batch.size()];
    Map<String, Integer> newIds = new HashMap<>();
    Map<String, Integer> newVersions = new HashMap<>();
    List<Integer> inserts = new ArrayList<>();
    List<JournalEntry> rows = new ArrayList<>();
    boolean wake = false;
    for (int i = 0; i < batch.size(); i++) {
      duplicateOf[i] = -1;
      Invalidation inv = batch.get(i).invalidation();
      JournalEntry existing = byId.get(inv.id());
      if (existing == null && inv.version() != null) {
        existing = byVersion.get(versionKey(inv));
      }
      if (existing != null) {
        out[i] = new Appended(Appended.Outcome.DUPLICATE, existing, null);
        continue;
      }
      Integer earlier = newIds.get(inv.id());
      if (earlier == null && inv.version() != null) {
        earlier = newVersions.get(versionKey(inv));
      }
      if (earlier != null) {
        duplicateOf[i] = earlier;
        continue;
      }
      Long newer = inv.version() == null ? null : newest.get(inv.entity());
      JournalEntry row;
      if (newer != null && newer > inv.version()) {
        row = new JournalEntry(0, inv, State.SUPERSEDED, now, now, now, 0, null, Progress.NONE,
            "superseded by version " + newer + " of " + inv.entity());
      } else {
        Lease claimAs = batch.get(i).claimAs();
        boolean lease = claimAs != null && (!inv.hasEntity() || !unfinishedKeys.contains(inv.entity()));
        Lease stored = lease ? new Lease(claimAs.owner(), micros(claimAs.until())) : null;
        row = new JournalEntry(0, inv, State.PENDING, now, now, now, lease ? 1 : 0, stored,
            Progress.NONE, "");
        wake |= !lease;
        if (inv.hasEntity()) {
          unfinishedKeys.add(inv.entity());
        }
      }
      if (inv.version() != null) {
        newest.merge(inv.entity(), inv.version(), Math::max);
        newVersions.put(versionKey(inv), i);
      }
      newIds.put(inv.id(), i);
      inserts.add(i);
      rows.add(row);
      out[i] = new Appended(
          row.state() == State.SUPERSEDED ? Appended.Outcome.SUPERSEDED : Appended.Outcome.ACCEPTED,
          row, row.state() == State.SUPERSEDED ? newer : null);
    }

    if (!rows.isEmpty()) {
      // Nothing is left to do in the database after this insert: its commit can go with it.
      Map<String, Long> seqs = insert(c, d, rows, false, wake, ownTransaction);
      for (int k = 0; k < inserts.size(); k++) {
        int i = inserts.get(k);
        out[i] = new Appended(out[i].outcome(), withSeq(rows.get(k), seqs.get(rows.get(k).id())),
            out[i].newerVersion());
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      if (duplicateOf[i] >= 0) {
        out[i] = new Appended(Appended.Outcome.DUPLICATE, out[duplicateOf[i]].entry(), null);
      }
    }
    return List.of(out);
  }

  /**
   * What the journal holds that decides a batch's appends: the entries with one of its ids, or with
   * one of its keys and one of its versions, and for each of its keys the newest version and
   * whether an entry is unfinished.
   */
  private record Known(Map<String, JournalEntry> byId, Map<String, JournalEntry> byVersion,
      Map<String, Long> newest, Set<String> unfinishedKeys) {}

  /**
   * Locks a batch's keys and reads what decides it, in one round trip whatever the number of keys:
   * the lock statement and the look-up are sent together, and the look-up, which PostgreSQL runs
   * once the locks are held, sees every append of these keys that committed before. Each key's
   * newest version is one step down the (entity key, version) index, and whether it has an
   * unfinished entry one probe of the pending index (a scalar subquery with {@code LIMIT 1}, which
   * PostgreSQL cannot turn into a hash of every pending entry as it may an {@code EXISTS}): neither
   * a key's long history nor the backlog is read. The statements are planned at every execution:
   * a plan kept from when the table was small would scan the whole table as it grows.
   */
  private Known lockAndLookUp(Connection c, Dialect d, Set<String> ids, Set<String> keys,
      Set<Long> versions) throws SQLException {
    Known known = new Known(new HashMap<>(), new HashMap<>(), new HashMap<>(), new HashSet<>());
    String lock = keys.isEmpty() ? null : d.lockKeysStatement("SELECT unnest(?::text[])");
    String lookUp = "SELECT " + COLUMNS + ","
        + " CAST(NULL AS VARCHAR(1024)) AS looked_up, CAST(NULL AS BIGINT) AS newest,"
        + " CAST(NULL AS INTEGER) AS unfinished FROM " + table + " WHERE id = ANY(?)"
        + " OR (entity_key = ANY(?) AND version = ANY(?))"
        + " UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, u.k,"
        + " (SELECT MAX(version) FROM " + table + " WHERE entity_key = u.k),"
        + " (SELECT 1 FROM " + table + " WHERE entity_key = u.k AND state = 'P' LIMIT 1)"
        + " FROM unnest(?) AS u(k)";
    try (PreparedStatement ps = c.prepareStatement(lock == null ? lookUp : lock + "; " + lookUp)) {
      d.planEachExecution(ps);
      Array keyArray = d.strings(c, keys.toArray(new String[0]));
      int p = 1;
      if (lock != null) {
        ps.setInt(p++, tableName.hashCode());
        ps.setArray(p++, keyArray);
      }
      ps.setArray(p++, d.strings(c, ids.toArray(new String[0])));
      ps.setArray(p++, keyArray);
      ps.setArray(p++, d.longs(c, versions.toArray(new Long[0])));
      ps.setArray(p, keyArray);
      try (ResultSet rs = resultAfterLocks(ps, lock != null)) {
        while (rs.next()) {
          String key = rs.getString("looked_up");
          if (key == null) {
            JournalEntry e = read(rs);
            known.byId().put(e.id(), e);
            if (e.invalidation().version() != null) {
              known.byVersion().put(versionKey(e.invalidation()), e);
            }
            continue;
          }
          long max = rs.getLong("newest");
          if (!rs.wasNull()) {
            known.newest().put(key, max);
          }
          if (rs.getInt("unfinished") > 0) {
            known.unfinishedKeys().add(key);
          }
        }
      }
    }
    return known;
  }

  /**
   * Appends a batch without entity keys on PostgreSQL in one round trip: inserts what is new and
   * skips ids that are there already ({@code ON CONFLICT DO NOTHING}, which waits for a concurrent
   * transaction inserting the same id), then reads only the skipped ones, as duplicates. Against
   * looking every id up first, this is one statement fewer per batch, and the look-up before the
   * insert was the statement PostgreSQL spent the most time on under load.
   */
  private List<Appended> appendUnkeyed(Connection c, Dialect d, List<GroupCommitter.Request> batch,
      Instant now) throws SQLException {
    Map<String, Integer> first = new HashMap<>();
    List<JournalEntry> rows = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      Invalidation inv = batch.get(i).invalidation();
      if (first.putIfAbsent(inv.id(), i) == null) {
        Lease claimAs = batch.get(i).claimAs();
        Lease stored = claimAs == null ? null : new Lease(claimAs.owner(), micros(claimAs.until()));
        rows.add(new JournalEntry(0, inv, State.PENDING, now, now, now, stored == null ? 0 : 1,
            stored, Progress.NONE, ""));
      }
    }
    // Leased entries need no notification; one wakes senders for all the unleased ones (a batch
    // whose unleased entries all turn out to be duplicates wakes them for nothing).
    boolean wake = rows.stream().anyMatch(r -> r.lease() == null);
    Map<String, Long> inserted = insert(c, d, rows, true, wake, false);
    Map<String, JournalEntry> existing = new HashMap<>();
    if (inserted.size() < rows.size()) {
      List<String> skipped = new ArrayList<>();
      for (JournalEntry r : rows) {
        if (!inserted.containsKey(r.id())) {
          skipped.add(r.id());
        }
      }
      for (JournalEntry e : select(c, "id = ANY(?)",
          ps -> ps.setArray(1, d.strings(c, skipped.toArray(new String[0]))))) {
        existing.put(e.id(), e);
      }
    }
    Map<String, Appended> byId = new HashMap<>();
    for (JournalEntry r : rows) {
      String id = r.invalidation().id();
      Long seq = inserted.get(id);
      if (seq == null) {
        JournalEntry e = existing.get(id);
        if (e == null) {
          // Skipped, yet not there: only a conflict on another unique index could do that.
          throw new SQLException("journal entry " + id + " conflicted but cannot be read", "40001");
        }
        byId.put(id, new Appended(Appended.Outcome.DUPLICATE, e, null));
        continue;
      }
      byId.put(id, new Appended(Appended.Outcome.ACCEPTED, withSeq(r, seq), null));
    }
    List<Appended> out = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      String id = batch.get(i).invalidation().id();
      Appended a = byId.get(id);
      // A later request for an id earlier in the batch is its duplicate, as appendAll says.
      out.add(first.get(id) == i ? a
          : new Appended(Appended.Outcome.DUPLICATE, a.entry(), null));
    }
    return out;
  }

  /**
   * Inserts rows (ids distinct) and, with {@code wake}, notifies subscribers when the transaction
   * commits. Returns each inserted row's sequence number by id; with {@code skipConflicts}, a row
   * whose id or entity version is there already is skipped ({@code ON CONFLICT DO NOTHING}) and
   * missing from the answer. On PostgreSQL this is one round trip: one {@code INSERT} from arrays,
   * in the rows' order, with the notification sent along, and with {@code commit} the {@code
   * COMMIT} too (the journal's own transaction only, when nothing else is to be done in it): it
   * returns once the commit is durable, as {@code Connection.commit()} would, and the driver
   * then has no transaction left to commit. On H2 a JDBC batch, and the commit is the caller's.
   */
  private Map<String, Long> insert(Connection c, Dialect d, List<JournalEntry> rows,
      boolean skipConflicts, boolean wake, boolean commit) throws SQLException {
    Map<String, Long> seqs = new HashMap<>();
    if (d == Dialect.H2) {
      long[] generated = insertBatch(c, rows);
      for (int k = 0; k < rows.size(); k++) {
        seqs.put(rows.get(k).id(), generated[k]);
      }
      return seqs;
    }
    int n = rows.size();
    String[][] text = new String[7][n];
    Long[] versions = new Long[n];
    Integer[] attempts = new Integer[n];
    for (int k = 0; k < n; k++) {
      JournalEntry r = rows.get(k);
      Invalidation inv = r.invalidation();
      text[0][k] = inv.id();
      text[1][k] = inv.entity();
      text[2][k] = Codec.payload(inv);
      text[3][k] = Codec.state(r.state());
      text[4][k] = r.lease() == null ? null : r.lease().owner();
      text[5][k] = r.lease() == null ? null : r.lease().until().toString();
      text[6][k] = r.summary();
      versions[k] = inv.version();
      attempts[k] = r.attempts();
    }
    // Every row of a batch is accepted at the same moment.
    OffsetDateTime at = ts(rows.get(0).acceptedAt());
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (id, entity_key,"
        + " version, payload, state, attempts, lease_owner, lease_until, summary, accepted_at,"
        + " updated_at, next_attempt_at, progress) SELECT u.id, u.entity_key, u.version, u.payload,"
        + " u.state, u.attempts, u.owner, u.until::timestamptz, u.summary, ?, ?, ?, NULL FROM"
        + " unnest(?::text[], ?::text[], ?::int8[], ?::text[], ?::text[], ?::int[], ?::text[],"
        + " ?::text[], ?::text[]) WITH ORDINALITY AS u(id, entity_key, version, payload, state,"
        + " attempts, owner, until, summary, n) ORDER BY u.n"
        + (skipConflicts ? " ON CONFLICT DO NOTHING" : "") + " RETURNING seq, id"
        + (wake ? "; SELECT pg_notify(?, '')" : "") + (commit ? "; COMMIT" : ""))) {
      ps.setObject(1, at);
      ps.setObject(2, at);
      ps.setObject(3, at);
      ps.setArray(4, d.strings(c, text[0]));
      ps.setArray(5, d.strings(c, text[1]));
      ps.setArray(6, d.longs(c, versions));
      ps.setArray(7, d.strings(c, text[2]));
      ps.setArray(8, d.strings(c, text[3]));
      ps.setArray(9, c.createArrayOf("int4", attempts));
      ps.setArray(10, d.strings(c, text[4]));
      ps.setArray(11, d.strings(c, text[5]));
      ps.setArray(12, d.strings(c, text[6]));
      if (wake) {
        ps.setString(13, channel);
      }
      ps.execute();
      try (ResultSet rs = ps.getResultSet()) {
        while (rs.next()) {
          seqs.put(rs.getString(2), rs.getLong(1));
        }
      }
    }
    return seqs;
  }

  /** H2's insert: a JDBC batch, the generated sequence numbers in the rows' order. */
  private long[] insertBatch(Connection c, List<JournalEntry> rows) throws SQLException {
    String sql = "INSERT INTO " + table + " (id, entity_key, version, payload, state, accepted_at,"
        + " updated_at, next_attempt_at, attempts, lease_owner, lease_until, progress, summary)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)";
    try (PreparedStatement ps = c.prepareStatement(sql, new String[] {"SEQ"})) {
      for (JournalEntry r : rows) {
        Invalidation inv = r.invalidation();
        ps.setString(1, inv.id());
        ps.setString(2, inv.entity());
        ps.setObject(3, inv.version(), java.sql.Types.BIGINT);
        ps.setString(4, Codec.payload(inv));
        ps.setString(5, Codec.state(r.state()));
        ps.setObject(6, ts(r.acceptedAt()));
        ps.setObject(7, ts(r.updatedAt()));
        ps.setObject(8, ts(r.nextAttemptAt()));
        ps.setInt(9, r.attempts());
        ps.setString(10, r.lease() == null ? null : r.lease().owner());
        ps.setObject(11, r.lease() == null ? null : ts(r.lease().until()), java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setString(12, r.summary());
        ps.addBatch();
      }
      ps.executeBatch();
      long[] seqs = new long[rows.size()];
      try (ResultSet keys = ps.getGeneratedKeys()) {
        for (int i = 0; i < seqs.length; i++) {
          if (!keys.next()) {
            throw new SQLException("the driver returned " + i + " generated keys for " + seqs.length + " rows");
          }
          seqs[i] = keys.getLong(1);
        }
      }
      return seqs;
    }
  }

  /**
   * Runs statements sent together, the first of them the key locks when {@code locked}, and
   * returns the result of the one after the locks.
   */
  private static ResultSet resultAfterLocks(PreparedStatement ps, boolean locked)
      throws SQLException {
    ps.execute();
    if (locked) {
      ps.getMoreResults();
    }
    return ps.getResultSet();
  }

  private static JournalEntry withSeq(JournalEntry r, long seq) {
    return new JournalEntry(seq, r.invalidation(), r.state(), r.acceptedAt(), r.updatedAt(),
        r.nextAttemptAt(), r.attempts(), r.lease(), r.progress(), r.summary());
  }

  // ---- claim, renew

  @Override
  public List<JournalEntry> claim(String owner, int max, Duration lease) {
    Lease.checkOwner(owner);
    if (max < 1) {
      throw new IllegalArgumentException("max must be >= 1: " + max);
    }
    Checks.positive(lease, "lease");
    return inTransaction("journal claim", (c, d) -> locked(d, () -> claimIn(c, d, owner, max, lease)), true);
  }

  private List<JournalEntry> claimIn(Connection c, Dialect d, String owner, int max, Duration lease)
      throws SQLException {
    Instant now = now();
    // Plan with the oldest due entries (no locks): how many unkeyed ones, which keys.
    int unkeyed = 0;
    Set<String> keys = new LinkedHashSet<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT entity_key FROM " + table + " WHERE " + DUE + " ORDER BY seq LIMIT ?")) {
      ps.setObject(1, ts(now));
      ps.setObject(2, ts(now));
      ps.setInt(3, max);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String key = rs.getString(1);
          if (key == null) {
            unkeyed++;
          } else {
            keys.add(key);
          }
        }
      }
    }
    List<Long> take = new ArrayList<>();
    if (unkeyed > 0) {
      // Concurrent claimers skip each other's rows instead of waiting, and each gets the oldest
      // rows nobody else is taking.
      try (PreparedStatement ps = c.prepareStatement("SELECT seq FROM " + table + " WHERE " + DUE
          + " AND entity_key IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED")) {
        ps.setObject(1, ts(now));
        ps.setObject(2, ts(now));
        ps.setInt(3, unkeyed);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            take.add(rs.getLong(1));
          }
        }
      }
    }
    for (String key : keys) {
      if (!d.tryLockKey(c, tableName, key)) {
        continue; // another claim or append is working on this key right now
      }
      List<Long> group = new ArrayList<>();
      boolean heldByOther = false;
      try (PreparedStatement ps = c.prepareStatement("SELECT seq, lease_owner, lease_until FROM "
          + table + " WHERE entity_key = ? AND state = 'P' ORDER BY seq FOR UPDATE")) {
        ps.setString(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Instant until = instant(rs, 3);
            boolean live = until != null && now.isBefore(until);
            if (live && !owner.equals(rs.getString(2))) {
              heldByOther = true;
            } else if (!live) {
              group.add(rs.getLong(1));
            }
          }
        }
      }
      if (!heldByOther) {
        take.addAll(group);
      }
    }
    if (take.isEmpty()) {
      return List.of();
    }
    Long[] seqs = take.toArray(new Long[0]);
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET lease_owner = ?,"
        + " lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE seq = ANY(?)")) {
      ps.setString(1, owner);
      ps.setObject(2, ts(now.plus(lease)));
      ps.setObject(3, ts(now));
      ps.setArray(4, d.longs(c, seqs));
      ps.executeUpdate();
    }
    return select(c, "seq = ANY(?) ORDER BY seq", ps -> ps.setArray(1, d.longs(c, seqs)));
  }

  @Override
  public Set<String> renew(String owner, Collection<String> ids, Duration lease) {
    Lease.checkOwner(owner);
    Objects.requireNonNull(ids, "ids");
    Checks.positive(lease, "lease");
    if (ids.isEmpty()) {
      return Set.of();
    }
    String[] idArray = new LinkedHashSet<>(ids).toArray(new String[0]);
    return inTransaction("journal lease renewal", (c, d) -> {
      Instant now = now();
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET lease_until = ?"
          + " WHERE id = ANY(?) AND lease_owner = ? AND state = 'P' AND lease_until IS NOT NULL")) {
        ps.setObject(1, ts(now.plus(lease)));
        ps.setArray(2, d.strings(c, idArray));
        ps.setString(3, owner);
        ps.executeUpdate();
      }
      Set<String> lost = new LinkedHashSet<>(List.of(idArray));
      try (PreparedStatement ps = c.prepareStatement("SELECT id FROM " + table + " WHERE id = ANY(?)"
          + " AND lease_owner = ? AND state = 'P' AND lease_until IS NOT NULL")) {
        ps.setArray(1, d.strings(c, idArray));
        ps.setString(2, owner);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            lost.remove(rs.getString(1));
          }
        }
      }
      return lost;
    }, false);
  }

  // ---- progress, complete, release

  @Override
  public boolean recordProgress(String id, String owner, Progress progress) {
    Objects.requireNonNull(id, "id");
    Lease.checkOwner(owner);
    Objects.requireNonNull(progress, "progress");
    return inTransaction("journal progress", (c, d) -> {
      String stored;
      try (PreparedStatement ps = c.prepareStatement("SELECT progress FROM " + table
          + " WHERE id = ? AND lease_owner = ? AND state = 'P' AND lease_until IS NOT NULL FOR UPDATE")) {
        ps.setString(1, id);
        ps.setString(2, owner);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return false;
          }
          stored = rs.getString(1);
        }
      }
      Progress merged = Codec.progress(stored).union(progress);
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE " + table + " SET progress = ? WHERE id = ?")) {
        ps.setString(1, Codec.progress(merged));
        ps.setString(2, id);
        ps.executeUpdate();
      }
      return true;
    }, false);
  }

  @Override
  public boolean complete(String id, String owner, State finalState, String summary) {
    Objects.requireNonNull(id, "id");
    return completeAll(List.of(id), owner, finalState, summary).isEmpty();
  }

  @Override
  public Set<String> completeAll(
      Collection<String> ids, String owner, State finalState, String summary) {
    List<String> todo = List.copyOf(new LinkedHashSet<>(ids));
    Lease.checkOwner(owner);
    if (finalState != State.DELIVERED && finalState != State.FAILED) {
      throw new IllegalArgumentException("finalState must be DELIVERED or FAILED: " + finalState);
    }
    if (todo.isEmpty()) {
      return Set.of();
    }
    String[] idArray = todo.toArray(new String[0]);
    // One transaction, one round trip: a delivery of many entries costs one commit, whatever its
    // size. Only a keyed entry's end can make something claimable: the next version of its key,
    // which claims skip while another sender holds the key. So on PostgreSQL the entries' keys are
    // locked first (before the UPDATE locks their rows, in the order a claim takes them), and the
    // subscribers are told only when one of those keys has an unfinished entry: under the locks,
    // an append of a key's next version either committed before the check, which sees it, or
    // comes after this commit and sees the key free. A delivery wakes nobody for nothing, its own
    // sender included, and every notifying transaction holds PostgreSQL's notification lock until
    // it has committed, which serializes such commits.
    String keysOfIds = "SELECT entity_key FROM " + table
        + " WHERE id = ANY(?) AND entity_key IS NOT NULL";
    String tell = "SELECT pg_notify(?, '') WHERE EXISTS (SELECT 1 FROM " + table
        + " WHERE state = 'P' AND entity_key IN (" + keysOfIds + "))";
    return inTransaction("journal completion", (c, d) -> {
      String lock = d.lockKeysStatement(keysOfIds);
      String update = d.returning("UPDATE " + table + " SET state = ?, summary = ?,"
          + " updated_at = ? WHERE id = ANY(?) AND lease_owner = ? AND state = 'P'"
          + " AND lease_until IS NOT NULL", "id");
      Set<String> notHeld = new LinkedHashSet<>(todo);
      Array idsArray = d.strings(c, idArray);
      try (PreparedStatement ps = c.prepareStatement(
          lock == null ? update : lock + "; " + update + (d.notifies ? "; " + tell : ""))) {
        d.planEachExecution(ps);
        int p = 1;
        if (lock != null) {
          ps.setInt(p++, tableName.hashCode());
          ps.setArray(p++, idsArray);
        }
        ps.setString(p++, Codec.state(finalState));
        ps.setString(p++, InvalidationStatus.boundSummary(summary));
        ps.setObject(p++, ts(now()));
        ps.setArray(p++, idsArray);
        ps.setString(p++, owner);
        if (lock != null && d.notifies) {
          ps.setString(p++, channel);
          ps.setArray(p, idsArray);
        }
        try (ResultSet rs = resultAfterLocks(ps, lock != null)) {
          while (rs.next()) {
            notHeld.remove(rs.getString(1));
          }
        }
      }
      // Finished by this owner in this state already (a retried call): recorded, as complete() says.
      if (!notHeld.isEmpty()) {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM " + table
            + " WHERE id = ANY(?) AND state = ? AND lease_owner = ?")) {
          ps.setArray(1, d.strings(c, notHeld.toArray(new String[0])));
          ps.setString(2, Codec.state(finalState));
          ps.setString(3, owner);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              notHeld.remove(rs.getString(1));
            }
          }
        }
      }
      return notHeld;
    }, false);
  }

  @Override
  public boolean release(String id, String owner, Duration delay, String summary) {
    Objects.requireNonNull(id, "id");
    Lease.checkOwner(owner);
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must be >= 0: " + delay);
    }
    return inTransaction("journal release", (c, d) -> {
      Instant now = now();
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET lease_owner = NULL,"
          + " lease_until = NULL, next_attempt_at = ?, summary = ?, updated_at = ?"
          + " WHERE id = ? AND lease_owner = ? AND state = 'P' AND lease_until IS NOT NULL")) {
        ps.setObject(1, ts(micros(now.plus(delay))));
        ps.setString(2, InvalidationStatus.boundSummary(summary));
        ps.setObject(3, ts(now));
        ps.setString(4, id);
        ps.setString(5, owner);
        if (ps.executeUpdate() == 0) {
          return false;
        }
      }
      d.notifyChange(c, channel);
      return true;
    }, false);
  }

  // ---- reads, expiry

  @Override
  public Optional<InvalidationStatus> status(String id) {
    Objects.requireNonNull(id, "id");
    return inTransaction("journal status", (c, d) -> {
      List<JournalEntry> found = select(c, "id = ?", ps -> ps.setString(1, id));
      return found.isEmpty() ? Optional.<InvalidationStatus>empty() : Optional.of(found.get(0).status(now()));
    }, false);
  }

  @Override
  public List<JournalEntry> history(Instant since, long afterSeq, int limit) {
    Objects.requireNonNull(since, "since");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1: " + limit);
    }
    return inTransaction("journal history", (c, d) -> select(c,
        "accepted_at >= ? AND seq > ? AND state <> 'S' ORDER BY seq LIMIT ?", ps -> {
          ps.setObject(1, ts(since));
          ps.setLong(2, afterSeq);
          ps.setInt(3, limit);
        }), false);
  }

  @Override
  public int expire(Instant acceptedBefore) {
    Objects.requireNonNull(acceptedBefore, "acceptedBefore");
    return inTransaction("journal expiry", (c, d) -> {
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM " + table + " WHERE state IN ('D', 'F', 'S') AND accepted_at < ?")) {
        ps.setObject(1, ts(acceptedBefore));
        return ps.executeUpdate();
      }
    }, false);
  }

  /**
   * Inserts the record into the catch-up table ({@code <table>_catchup}, created with the schema)
   * and keeps its newest {@value CatchUpRecords#KEPT} rows.
   */
  @Override
  public void recordCatchUp(CatchUpRecord record) {
    Objects.requireNonNull(record, "record");
    CatchUpRecords records = new CatchUpRecords(table);
    inTransaction("recording a catch-up in " + records.table(), (c, d) -> {
      records.insert(c, record);
      return null;
    }, false);
  }

  @Override
  public List<CatchUpRecord> recentCatchUps(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1: " + limit);
    }
    CatchUpRecords records = new CatchUpRecords(table);
    return inTransaction("reading catch-ups from " + records.table(),
        (c, d) -> records.recent(c, limit), false);
  }

  @Override
  public Backlog backlog() {
    return inTransaction("journal backlog", (c, d) -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*),"
          + " SUM(CASE WHEN lease_until > ? THEN 1 ELSE 0 END), MIN(accepted_at) FROM " + table
          + " WHERE state = 'P'")) {
        ps.setObject(1, ts(now()));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          long all = rs.getLong(1);
          long inFlight = rs.getLong(2);
          return all == 0 ? Backlog.EMPTY : new Backlog(all - inFlight, inFlight, instant(rs, 3));
        }
      }
    }, false);
  }

  @Override
  public Subscription subscribe(Runnable onChange) {
    Objects.requireNonNull(onChange, "onChange");
    return changes.subscribe(onChange);
  }

  @Override
  public void close() {
    committer.close();
    changes.close();
  }

  /**
   * Returns the data source the journal runs on, so that an integration can tell whether a
   * caller's transaction is on the same database ({@link #append(Connection, Invalidation)}).
   *
   * @return the data source given to the builder
   * @since 0.2
   */
  public DataSource dataSource() {
    return dataSource;
  }

  @Override
  public String toString() {
    return "JdbcJournal[" + table + (dialect == null ? "" : ", " + dialect) + "]";
  }

  // ---- schema

  private void createSchema() {
    String sql;
    try (Connection c = dataSource.getConnection()) {
      Dialect d = dialect(c);
      sql = resource(d.schemaResource);
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        for (String statement : statements(sql)) {
          s.execute(statement);
        }
      } finally {
        c.setAutoCommit(auto);
      }
    } catch (SQLException e) {
      throw SqlErrors.wrap("creating the journal schema", table, e);
    }
  }

  /** The schema file's statements with the configured table name. */
  private List<String> statements(String sql) {
    List<String> out = new ArrayList<>();
    StringBuilder noComments = new StringBuilder();
    for (String line : sql.split("\n")) {
      int dash = line.indexOf("--");
      noComments.append(dash < 0 ? line : line.substring(0, dash)).append('\n');
    }
    for (String s : noComments.toString().split(";")) {
      String t = s.trim();
      if (!t.isEmpty()) {
        // Index and constraint names start with the table name; the table itself may be qualified.
        // The catch-up table is a table: qualified like the journal's.
        t = t.replaceAll("\\bfanout_journal_catchup\\b", "fanout_journal@catchup")
            .replaceAll("\\bfanout_journal_(\\w+)", tableName + "_$1")
            .replaceAll("\\bfanout_journal@catchup\\b", table + "_catchup")
            .replaceAll("\\bfanout_journal\\b", table);
        out.add(t);
      }
    }
    return out;
  }

  private static String resource(String name) {
    try (InputStream in = JdbcJournal.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read resource " + name, e);
    }
  }

  // ---- plumbing

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c, Dialect d) throws SQLException;
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  @FunctionalInterface
  private interface SqlSupplier<T> {
    T get() throws SQLException;
  }

  private <T> T inTransaction(String what, Work<T> work, boolean retryConflicts) {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = dataSource.getConnection()) {
        Dialect d = dialect(c);
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
          T result = work.run(c, d);
          c.commit();
          return result;
        } catch (SQLException | RuntimeException | Error e) {
          rollback(c);
          throw e;
        } finally {
          restoreAutoCommit(c, auto);
        }
      } catch (SQLException e) {
        // A call that is not safe to repeat blindly gets one more attempt, the others the policy's.
        if (SqlErrors.isConflict(e) && (retryConflicts || attempt == 1)) {
          Retry.Decision next = CONFLICTS.next(attempt, null, NO_DEADLINE);
          if (next.again()) {
            LockSupport.parkNanos(next.delay().toNanos());
            continue;
          }
        }
        throw SqlErrors.wrap(what, table, e);
      }
    }
  }

  private <T> T locked(Dialect d, SqlSupplier<T> work) throws SQLException {
    if (!d.needsProcessLock()) {
      return work.get();
    }
    processLock.lock();
    try {
      return work.get();
    } finally {
      processLock.unlock();
    }
  }

  private List<JournalEntry> select(Connection c, String where, Binder binder) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT " + COLUMNS + " FROM " + table + " WHERE " + where)) {
      binder.bind(ps);
      List<JournalEntry> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(read(rs));
        }
      }
      return out;
    }
  }

  private static JournalEntry read(ResultSet rs) throws SQLException {
    String owner = rs.getString("lease_owner");
    Instant until = instant(rs, "lease_until");
    return new JournalEntry(
        rs.getLong("seq"),
        Codec.invalidation(rs.getString("payload")),
        Codec.state(rs.getString("state")),
        instant(rs, "accepted_at"),
        instant(rs, "updated_at"),
        instant(rs, "next_attempt_at"),
        rs.getInt("attempts"),
        owner == null || until == null ? null : new Lease(owner, until),
        Codec.progress(rs.getString("progress")),
        rs.getString("summary"));
  }

  private Dialect dialect(Connection c) {
    Dialect d = dialect;
    if (d == null) {
      try {
        d = Dialect.of(c);
      } catch (SQLException e) {
        throw SqlErrors.wrap("recognising the journal database", table, e);
      }
      dialect = d;
    }
    return d;
  }

  private Instant now() {
    return micros(clock.instant());
  }

  private static Instant micros(Instant i) {
    return i.truncatedTo(ChronoUnit.MICROS);
  }

  private static OffsetDateTime ts(Instant i) {
    return OffsetDateTime.ofInstant(micros(i), ZoneOffset.UTC);
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  private static String versionKey(Invalidation inv) {
    return inv.version() + ":" + inv.entity();
  }

  private static void rollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // The connection is broken; the database rolls back on its own.
    }
  }

  private static void restoreAutoCommit(Connection c, boolean auto) {
    try {
      c.setAutoCommit(auto);
    } catch (SQLException ignored) {
      // A broken connection; the pool discards it.
    }
  }

  /**
   * Builds a {@link JdbcJournal}. Not thread-safe.
   *
   * @since 0.2
   */
  public static final class Builder {
    private DataSource dataSource;
    private String schema;
    private String table = DEFAULT_TABLE;
    private boolean createSchema;
    private Clock clock = Clock.systemUTC();
    private Duration pollInterval = Duration.ofSeconds(1);
    private boolean listen = true;
    private int maxBatchSize = 256;
    private int committers = 2;
    private Duration appendTimeout = Duration.ofSeconds(30);

    private Builder() {}

    /**
     * Sets the database (required). A pool with a connect timeout is recommended; the journal
     * takes one connection per call and holds one more for {@code LISTEN}.
     *
     * @param dataSource the application's data source
     * @return this builder
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /**
     * Sets the database schema the table is in; by default the connection's search path decides.
     *
     * @param schema an unquoted SQL identifier
     * @return this builder
     */
    public Builder schema(String schema) {
      this.schema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    /**
     * Sets the table name (default {@value JdbcJournal#DEFAULT_TABLE}); index names and the
     * notification channel start with it.
     *
     * @param table an unquoted SQL identifier
     * @return this builder
     */
    public Builder table(String table) {
      this.table = Objects.requireNonNull(table, "table");
      return this;
    }

    /**
     * Creates the table and indexes at {@code build()} if they do not exist (default {@code
     * false}: apply the shipped {@code schema-postgresql.sql} as a migration instead). Needs the
     * database to be reachable and the role to be allowed to create tables.
     *
     * @param createSchema whether to create the schema
     * @return this builder
     */
    public Builder createSchema(boolean createSchema) {
      this.createSchema = createSchema;
      return this;
    }

    /**
     * Sets the clock acceptance times, leases and retry times are read from (default the system
     * clock).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets how often subscribers are called when the database cannot notify them (H2, or while
     * the {@code LISTEN} connection is down), and how long the listener waits per read (default
     * 1 s).
     *
     * @param pollInterval a positive duration
     * @return this builder
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
      return this;
    }

    /**
     * Sets whether subscribers listen for PostgreSQL notifications (default {@code true}); with
     * {@code false} they are polled, and the journal holds no extra connection (for poolers in
     * transaction mode such as PgBouncer, which do not support {@code LISTEN}).
     *
     * @param listen whether to listen
     * @return this builder
     */
    public Builder listen(boolean listen) {
      this.listen = listen;
      return this;
    }

    /**
     * Sets the most appends written in one group commit (default 256).
     *
     * @param maxBatchSize 1 to 10,000
     * @return this builder
     */
    public Builder maxBatchSize(int maxBatchSize) {
      this.maxBatchSize = maxBatchSize;
      return this;
    }

    /**
     * Sets how many threads write group commits (default 2): while one batch waits for its commit
     * to reach the disk, the next is written. Each holds a connection while it writes.
     *
     * @param committers 1 to 16
     * @return this builder
     */
    public Builder committers(int committers) {
      this.committers = committers;
      return this;
    }

    /**
     * Sets how long {@code append} waits for its group commit before failing with a retryable
     * {@link JournalException} that says the outcome is unknown (default 30 s). Appending the same
     * id again is safe.
     *
     * @param appendTimeout a positive duration
     * @return this builder
     */
    public Builder appendTimeout(Duration appendTimeout) {
      this.appendTimeout = Objects.requireNonNull(appendTimeout, "appendTimeout");
      return this;
    }

    /**
     * Validates, creates the schema if asked, and starts the journal's commit thread.
     *
     * @return the journal
     * @throws IllegalArgumentException if a setting is invalid; the message names it
     * @throws JournalException if {@code createSchema(true)} could not create the schema
     */
    public JdbcJournal build() {
      if (dataSource == null) {
        throw new IllegalArgumentException("dataSource is required");
      }
      if (!IDENTIFIER.matcher(table).matches()) {
        throw new IllegalArgumentException(
            "table must be an unquoted SQL identifier ([A-Za-z_][A-Za-z0-9_]*, up to 41 characters): '"
                + table + "'");
      }
      if (schema != null && !IDENTIFIER.matcher(schema).matches()) {
        throw new IllegalArgumentException(
            "schema must be an unquoted SQL identifier ([A-Za-z_][A-Za-z0-9_]*, up to 41 characters): '"
                + schema + "'");
      }
      Checks.positive(pollInterval, "pollInterval");
      Checks.positive(appendTimeout, "appendTimeout");
      if (committers < 1 || committers > 16) {
        throw new IllegalArgumentException("committers must be 1 to 16: " + committers);
      }
      if (maxBatchSize < 1 || maxBatchSize > 10_000) {
        throw new IllegalArgumentException("maxBatchSize must be 1 to 10000: " + maxBatchSize);
      }
      return new JdbcJournal(this);
    }
  }

}
