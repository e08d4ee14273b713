package dev.fanout.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import dev.fanout.JournalException;
import dev.fanout.spi.Appended;
import dev.fanout.spi.JournalEntry;
import dev.fanout.spi.Progress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The group committer's own logic, with the database replaced by a mocked {@link
 * GroupCommitter.Writer}: batching, results in request order, and failures shared by a batch. The
 * SQL behind the writer is tested against PostgreSQL and H2 in the journal tests.
 */
class GroupCommitterTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final GroupCommitter.Writer writer = mock(GroupCommitter.Writer.class);
  private final ExecutorService callers = Executors.newFixedThreadPool(4);
  private GroupCommitter committer;

  @AfterEach
  void stop() {
    callers.shutdownNow();
    if (committer != null) {
      committer.close();
    }
  }

  private static Appended accepted(GroupCommitter.Request r) {
    return new Appended(Appended.Outcome.ACCEPTED, new JournalEntry(1, r.invalidation(),
        InvalidationStatus.State.PENDING, T0, T0, T0, 0, null, Progress.NONE, null), null);
  }

  private static List<Appended> acceptAll(List<GroupCommitter.Request> batch) {
    List<Appended> out = new ArrayList<>();
    batch.forEach(r -> out.add(accepted(r)));
    return out;
  }

  @Test
  void appendsThatArriveDuringACommitAreWrittenTogetherInTheNextOne() throws Exception {
    CountDownLatch firstWriting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    when(writer.write(anyList())).thenAnswer(call -> {
      List<GroupCommitter.Request> batch = call.getArgument(0);
      batchSizes.add(batch.size());
      if (batchSizes.size() == 1) {
        firstWriting.countDown();
        release.await(10, TimeUnit.SECONDS);
      }
      return acceptAll(batch);
    });
    committer = new GroupCommitter(writer, 100, 1, Duration.ofSeconds(10), "test-committer");

    Future<Appended> first = callers.submit(() -> committer.append(Invalidation.ofTags("a"), null));
    assertThat(firstWriting.await(10, TimeUnit.SECONDS)).isTrue();
    List<Thread> waiting = new CopyOnWriteArrayList<>();
    List<Future<Appended>> rest = new ArrayList<>();
    for (String tag : List.of("b", "c", "d")) {
      rest.add(callers.submit(() -> {
        waiting.add(Thread.currentThread());
        return committer.append(Invalidation.ofTags(tag), null);
      }));
    }
    // Queued once each caller waits for its commit.
    await().atMost(10, TimeUnit.SECONDS).until(() -> waiting.size() == 3
        && waiting.stream().allMatch(t -> t.getState() == Thread.State.TIMED_WAITING));
    release.countDown();

    assertThat(first.get(10, TimeUnit.SECONDS).entry().invalidation().tags()).containsExactly("a");
    for (int i = 0; i < rest.size(); i++) {
      assertThat(rest.get(i).get(10, TimeUnit.SECONDS).outcome())
          .isEqualTo(Appended.Outcome.ACCEPTED);
    }
    verify(writer, times(2)).write(anyList());
    assertThat(batchSizes).containsExactly(1, 3);
  }

  @Test
  void eachCallerGetsTheResultOfItsOwnAppend() throws Exception {
    when(writer.write(anyList())).thenAnswer(call -> acceptAll(call.getArgument(0)));
    committer = new GroupCommitter(writer, 100, 2, Duration.ofSeconds(10), "test-committer");

    List<Future<Appended>> appends = new ArrayList<>();
    for (String tag : List.of("a", "b", "c", "d", "e", "f")) {
      appends.add(callers.submit(() -> committer.append(Invalidation.ofTags(tag), null)));
    }

    List<String> got = new ArrayList<>();
    for (Future<Appended> f : appends) {
      got.addAll(f.get(10, TimeUnit.SECONDS).entry().invalidation().tags());
    }
    assertThat(got).containsExactly("a", "b", "c", "d", "e", "f");
  }

  @Test
  void aFailedWriteFailsItsCallerWithTheWritersRetryableError() {
    when(writer.write(anyList()))
        .thenThrow(new JournalException("connection lost", true, null));
    committer = new GroupCommitter(writer, 100, 1, Duration.ofSeconds(10), "test-committer");

    assertThatThrownBy(() -> committer.append(Invalidation.ofTags("a"), null))
        .isInstanceOfSatisfying(JournalException.class, e -> {
          assertThat(e.isRetryable()).isTrue();
          assertThat(e).hasMessage("connection lost");
        });
  }

  @Test
  void anUnexpectedWriterFailureIsANonRetryableJournalExceptionNamingIt() {
    when(writer.write(anyList())).thenThrow(new IllegalStateException("bad row"));
    committer = new GroupCommitter(writer, 100, 1, Duration.ofSeconds(10), "test-committer");

    assertThatThrownBy(() -> committer.append(Invalidation.ofTags("a"), null))
        .isInstanceOfSatisfying(JournalException.class, e -> {
          assertThat(e.isRetryable()).isFalse();
          assertThat(e).hasMessageContaining("bad row");
        });
  }

  @Test
  void afterCloseAnAppendIsRefusedWithoutReachingTheWriter() {
    committer = new GroupCommitter(writer, 100, 1, Duration.ofSeconds(10), "test-committer");
    committer.close();

    assertThatThrownBy(() -> committer.append(Invalidation.ofTags("a"), null))
        .isInstanceOf(JournalException.class).hasMessageContaining("closed");
    verify(writer, times(0)).write(anyList());
  }
}
