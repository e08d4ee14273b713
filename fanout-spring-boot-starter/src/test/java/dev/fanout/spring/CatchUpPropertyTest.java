package dev.fanout.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.catchup.CatchUpReport;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.receiver.ReceiverServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code fanout.stages[0].catch-up} in a real application context: a replica that was down when an
 * invalidation went out is sent it once it answers again, and the outcome reaches the listeners.
 */
class CatchUpPropertyTest {

  @Test
  void aReplicaThatMissedAnInvalidationGetsItWhenItIsBack() throws Exception {
    List<Invalidation> received = new CopyOnWriteArrayList<>();
    InvalidationReceiver receiver = InvalidationReceiver.builder().secret(Fixtures.SECRET)
        .handler(received::add).build();
    // Its port, free again: the replica is down when the invalidation is sent.
    int port;
    try (ReceiverServer first = receiver.serve(new InetSocketAddress("127.0.0.2", 0), "/api/revalidate")) {
      port = first.address().getPort();
    }
    new ApplicationContextRunner().withConfiguration(Fixtures.starter())
        .withBean(Reports.class)
        .withPropertyValues("fanout.stages[0].name=web",
            "fanout.stages[0].discovery.endpoints=127.0.0.2:" + port,
            "fanout.stages[0].notifier.signing-secret=" + Fixtures.SECRET,
            "fanout.stages[0].retry.max-attempts=1",
            "fanout.stages[0].catch-up.window=1h",
            "fanout.stages[0].catch-up.settle=0s",
            "fanout.stages[0].catch-up.retry.max-attempts=100",
            "fanout.stages[0].catch-up.retry.base-delay=20ms",
            "fanout.stages[0].catch-up.retry.max-delay=100ms")
        .run(context -> {
          InvalidationReport missed = context.getBean(Invalidator.class)
              .invalidate(Invalidation.builder().path("/posts/1").tag("posts:1").build()).join();
          assertThat(missed.isComplete()).as("the replica was down").isFalse();

          try (ReceiverServer back = receiver.serve(new InetSocketAddress("127.0.0.2", port), "/api/revalidate")) {
            assertThat(back.address().getPort()).isEqualTo(port);
            List<CatchUpReport> reports = context.getBean(Reports.class).catchUps;
            await().atMost(Duration.ofSeconds(20)).until(() -> !reports.isEmpty());
            assertThat(reports).singleElement().satisfies(r -> {
              assertThat(r.reason()).isEqualTo(CatchUpReport.Reason.MISSED);
              assertThat(r.isCaughtUp()).isTrue();
            });
            assertThat(received).singleElement().satisfies(i -> {
              assertThat(i.paths()).containsExactly("/posts/1");
              assertThat(i.tags()).containsExactly("posts:1");
            });
          }
        });
    receiver.close();
  }

  /** Collects the catch-up outcomes, as any listener bean would get them. */
  static final class Reports implements FanoutListener {
    final List<CatchUpReport> catchUps = new CopyOnWriteArrayList<>();

    @Override
    public void onCatchUp(CatchUpReport report) {
      catchUps.add(report);
    }
  }
}
