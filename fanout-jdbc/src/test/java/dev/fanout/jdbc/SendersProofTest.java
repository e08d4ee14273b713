package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.InvalidationStatus.State;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.JournalEntry;
import dev.fanout.testing.ReceiverPod;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Several backend processes, each with its own {@link JdbcJournal} and connection pool, on one
 * PostgreSQL table: every invalidation is delivered by exactly one of them, and when one is killed
 * mid-stream the others finish its claims once its lease ends.
 *
 * <p>Run by {@code .ci/senders}; enabled by {@code -Dsenders.proof=true}. Appends its figures to
 * {@code target/senders/summary.txt}.
 */
@EnabledIfSystemProperty(named = "senders.proof", matches = "true")
class SendersProofTest {
  private static final Path DIR = Path.of("target", "senders");

  /** Submissions the killed backend has accepted when it is killed: 400 past its warm-up. */
  private static final int KILL_AFTER = CrashBackend.WARMUP + 400;

  private record Run(Set<String> accepted, List<JournalEntry> rows, Map<String, Integer> atA,
      Map<String, Integer> atB) {}

  @ParameterizedTest(name = "{0} backend processes")
  @ValueSource(ints = {2, 4})
  void everyInvalidationIsDeliveredByExactlyOneBackend(int backends) throws Exception {
    Run run = run(backends, -1, 10_000);
    Map<String, Integer> byOwner = owners(run.rows());
    int notOnce = 0;
    for (String id : run.accepted()) {
      if (run.atA().getOrDefault("/c/" + id, 0) != 1 || run.atB().getOrDefault("/c/" + id, 0) != 1) {
        notOnce++;
      }
    }
    report(String.format("%d backends, no crash: accepted %d, journaled %d, delivered exactly once"
        + " at both receivers: %d, not exactly once: %d; entries finished per backend: %s%n",
        backends, run.accepted().size(), run.rows().size(), run.accepted().size() - notOnce, notOnce,
        byOwner));
    assertThat(notOnce).isZero();
    assertThat(run.rows()).allSatisfy(e -> {
      assertThat(e.state()).isEqualTo(State.DELIVERED);
      assertThat(e.attempts()).isEqualTo(1);
    });
    assertThat(byOwner).hasSize(backends); // the work was shared
  }

  @Test
  void whenOneBackendIsKilledTheOthersFinishItsClaimsAfterTheLease() throws Exception {
    Run run = run(3, 0, 3_000);
    String victim = "backend-k0";
    int lost = 0;
    int duplicates = 0;
    for (String id : run.accepted()) {
      int a = run.atA().getOrDefault("/c/" + id, 0);
      int b = run.atB().getOrDefault("/c/" + id, 0);
      if (a == 0 || b == 0) {
        lost++;
      }
      if (a > 1 || b > 1) {
        duplicates++;
      }
    }
    long takenOver = run.rows().stream().filter(e -> e.attempts() > 1).count();
    report(String.format("3 backends, backend k0 killed (SIGKILL) mid-stream, once it had accepted"
        + " %d submissions: accepted %d, lost %d, entries taken over after its lease: %d, delivered"
        + " twice: %d; entries finished per backend: %s%n", KILL_AFTER, run.accepted().size(), lost,
        takenOver, duplicates, owners(run.rows())));
    assertThat(lost).isZero();
    assertThat(run.rows()).allSatisfy(e -> assertThat(e.state()).isEqualTo(State.DELIVERED));
    assertThat(run.rows().stream().filter(e -> e.attempts() > 1).map(e -> e.lease().owner()))
        .doesNotContain(victim);
    assertThat(takenOver).isPositive();
  }

  /**
   * Starts the backends, kills {@code kill} (if not -1) once it has accepted {@value #KILL_AFTER}
   * submissions (about one second into its stream), drains.
   */
  private Run run(int backends, int kill, long leaseMs) throws Exception {
    Files.createDirectories(DIR);
    String secret = WebhookSigner.generateSecret();
    String table = "senders_proof_" + Long.toHexString(System.nanoTime());
    String tag = kill >= 0 ? "k" : "n" + backends + "-";
    TestPostgres pg = TestPostgres.shared();
    try (JdbcJournal journal = JdbcJournal.builder().dataSource(pg.pool()).table(table)
            .createSchema(true).build();
        ReceiverPod a = ReceiverPod.start("127.0.0.2", secret);
        ReceiverPod b = ReceiverPod.start("127.0.0.3", secret)) {
      String targets = a.endpoint().authority() + "," + b.endpoint().authority();
      List<BackendProcess> all = new ArrayList<>();
      Set<String> accepted = new LinkedHashSet<>();
      try {
        for (int i = 0; i < backends; i++) {
          all.add(BackendProcess.start(DIR, tag + i, pg.port(), table, targets, secret,
              1200 / backends, 6, leaseMs));
        }
        for (BackendProcess p : all) {
          p.await("READY", 60);
        }
        if (kill >= 0) {
          all.get(kill).awaitAccepted(KILL_AFTER, 60); // mid-stream
          all.get(kill).kill();
        }
        for (int i = 0; i < backends; i++) {
          if (i != kill) {
            all.get(i).await("DRAINED", 300);
          }
        }
        for (BackendProcess p : all) {
          accepted.addAll(p.acceptedIds());
        }
      } finally {
        all.forEach(BackendProcess::close);
      }
      List<JournalEntry> rows = JournalRows.all(journal);
      assertThat(rows).hasSizeGreaterThanOrEqualTo(accepted.size());
      return new Run(accepted, rows, a.applied(), b.applied());
    }
  }

  private static Map<String, Integer> owners(List<JournalEntry> rows) {
    Map<String, Integer> byOwner = new TreeMap<>();
    for (JournalEntry e : rows) {
      byOwner.merge(e.lease() == null ? "?" : e.lease().owner(), 1, Integer::sum);
    }
    return byOwner;
  }

  private static void report(String line) throws java.io.IOException {
    System.out.print(line);
    Files.writeString(DIR.resolve("summary.txt"), line, StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
