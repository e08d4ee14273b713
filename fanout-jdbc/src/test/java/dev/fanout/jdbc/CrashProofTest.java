package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.InvalidationStatus;
import dev.fanout.InvalidationStatus.State;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.JournalEntry;
import dev.fanout.testing.ReceiverPod;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The crash proof: a backend process submits distinct invalidations at a steady rate into a
 * PostgreSQL journal, to two receivers in this process, and is killed with SIGKILL after a seeded
 * random number of accepted submissions, then started again, round after round; a last backend submits a little more and drains.
 * Then no invalidation whose {@code submit()} returned, and no journaled one, may be missing at a
 * receiver, and every duplicate must be an entry that was claimed more than once (in flight at a
 * kill).
 *
 * <p>Run by {@code .ci/crash-short} and {@code .ci/crash}; enabled by {@code -Dcrash.rounds=N}, with
 * {@code crash.seed}, {@code crash.minKill} and {@code crash.maxKill} (the range of the number of
 * submissions a backend has accepted after its warm-up when it is killed) and {@code crash.rate}. Writes
 * its figures to {@code target/crash/summary.txt}.
 */
@EnabledIfSystemProperty(named = "crash.rounds", matches = "\\d+")
class CrashProofTest {

  @Test
  void nothingAcceptedIsLostWhenTheBackendIsKilledAgainAndAgain() throws Exception {
    int rounds = Integer.getInteger("crash.rounds");
    long seed = Long.getLong("crash.seed", 20261204L);
    int minKill = Integer.getInteger("crash.minKill", 1500);
    int maxKill = Integer.getInteger("crash.maxKill", 6000);
    int rate = Integer.getInteger("crash.rate", 1200);
    Path dir = Path.of("target", "crash");
    Files.createDirectories(dir);
    String secret = WebhookSigner.generateSecret();
    String table = "crash_" + Long.toHexString(System.nanoTime());
    Random random = new Random(seed);
    StringBuilder out = new StringBuilder();
    try (TestPostgres pg = TestPostgres.start();
        JdbcJournal journal = JdbcJournal.builder().dataSource(pg.pool()).table(table)
            .createSchema(true).build();
        ReceiverPod a = ReceiverPod.start("127.0.0.2", secret);
        ReceiverPod b = ReceiverPod.start("127.0.0.3", secret)) {
      String targets = a.endpoint().authority() + "," + b.endpoint().authority();
      Set<String> accepted = new LinkedHashSet<>();
      out.append(String.format("round | killed after accepting | accepted | s after warm-up"
          + " | accepted/s after warm-up%n"));
      for (int r = 0; r < rounds; r++) {
        try (BackendProcess p = BackendProcess.start(dir, "r" + r, pg.port(), table, targets,
            secret, rate, 0)) {
          p.await("READY", 60);
          // The seeded random moment of the kill: a number of accepted submissions past warm-up.
          int after = minKill + random.nextInt(maxKill - minKill + 1);
          long t0 = System.nanoTime();
          p.awaitAccepted(CrashBackend.WARMUP + after, 120);
          p.kill();
          double alive = (System.nanoTime() - t0) / 1e9;
          Set<String> ids = p.acceptedIds();
          accepted.addAll(ids);
          out.append(String.format("%5d | %22d | %8d | %15.1f | %10.0f%n", r + 1, after, ids.size(),
              alive, (ids.size() - CrashBackend.WARMUP) / alive));
        }
      }
      try (BackendProcess last = BackendProcess.start(dir, "final", pg.port(), table, targets,
          secret, rate, 2)) {
        last.await("DRAINED", 600);
        accepted.addAll(last.acceptedIds());
      }

      // Every journaled entry, accepted or committed just before a kill, must have arrived.
      List<JournalEntry> rows = JournalRows.all(journal);
      Map<String, Integer> atA = a.applied();
      Map<String, Integer> atB = b.applied();
      List<String> lost = new ArrayList<>();
      for (String id : accepted) {
        if (!atA.containsKey("/c/" + id) || !atB.containsKey("/c/" + id)) {
          lost.add(id);
        }
      }
      int notDelivered = 0;
      int journaledMissing = 0;
      int duplicates = 0;
      int duplicatesNotRetried = 0;
      int claimedTwice = 0;
      for (JournalEntry e : rows) {
        String path = "/c/" + e.invalidation().id();
        if (e.state() != State.DELIVERED) {
          notDelivered++;
        }
        if (!atA.containsKey(path) || !atB.containsKey(path)) {
          journaledMissing++;
        }
        if (e.attempts() > 1) {
          claimedTwice++;
        }
        int dup = Math.max(atA.getOrDefault(path, 0), atB.getOrDefault(path, 0)) - 1;
        if (dup > 0) {
          duplicates++;
          if (e.attempts() < 2) {
            duplicatesNotRetried++;
          }
        }
      }
      out.append(String.format("%nseed %d, %d kills (SIGKILL), each once the backend had accepted"
          + " %d-%d submissions after its first %d (warm-up); target rate %d/s from 8 threads%n",
          seed, rounds, minKill, maxKill, CrashBackend.WARMUP, rate));
      out.append(String.format("accepted (submit returned): %d; journaled: %d; lost: %d;"
          + " journaled but missing at a receiver: %d; not DELIVERED: %d%n", accepted.size(),
          rows.size(), lost.size(), journaledMissing, notDelivered));
      out.append(String.format("entries claimed more than once (in flight at a kill): %d;"
          + " delivered more than once: %d (of them never claimed twice: %d)%n", claimedTwice,
          duplicates, duplicatesNotRetried));
      String summary = out.toString();
      System.out.print(summary);
      Files.writeString(dir.resolve("summary.txt"), summary, StandardCharsets.UTF_8);

      assertThat(accepted).hasSizeGreaterThan(rounds * 500);
      assertThat(lost).as("accepted but lost").isEmpty();
      assertThat(journaledMissing).isZero();
      assertThat(notDelivered).isZero();
      assertThat(duplicatesNotRetried).isZero();
      assertThat(journal.backlog().unfinished()).isZero();
      assertThat(journal.status(accepted.iterator().next()).map(InvalidationStatus::state))
          .contains(State.DELIVERED);
    }
  }
}
