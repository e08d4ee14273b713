package dev.fanout.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Gate;
import dev.fanout.Invalidation;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.PurgeResult;
import dev.fanout.spi.Purger;
import dev.fanout.testing.LoopbackPod;
import io.micrometer.common.KeyValue;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * No tag value grows with the traffic: 50 replicas on 50 loopback addresses, invalidations with
 * distinct paths, tags and ids, failures of several kinds, and the set of meters and of tag values
 * stays the same size however many invalidations run. Nothing identifying (address, pod name,
 * path, tag, id, secret) is ever a tag value.
 */
class BoundedTagsTest {
  private static final String SECRET = WebhookSigner.generateSecret();
  private static final int PODS = 50;

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final ObservationRegistry observations = ObservationRegistry.create();
  private final Recorder recorder = new Recorder();
  private final FanoutObservability observability;
  @AutoClose private final Replicas replicas = new Replicas();
  @AutoClose private Invalidator invalidator;

  BoundedTagsTest() {
    observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
    observations.observationConfig().observationHandler(recorder);
    observability = FanoutObservability.builder()
        .observationRegistry(observations).meterRegistry(meters).build();
  }

  /** Every tag key of every meter and low-cardinality key of every observation, with its values. */
  private Map<String, Set<String>> tagValues() {
    Map<String, Set<String>> values = new TreeMap<>();
    for (Meter m : meters.getMeters()) {
      for (Tag t : m.getId().getTags()) {
        values.computeIfAbsent(t.getKey(), k -> new TreeSet<>()).add(t.getValue());
      }
    }
    for (Observation.Context c : recorder.started("fanout.invalidation")) {
      for (KeyValue kv : c.getLowCardinalityKeyValues()) {
        values.computeIfAbsent(kv.getKey(), k -> new TreeSet<>()).add(kv.getValue());
      }
    }
    return values;
  }

  private void invalidate(int from, int to) {
    for (int i = from; i < to; i++) {
      invalidator.invalidate(Invalidation.builder().path("/p-" + i + "/page").tag("tag-" + i)
          .build()).join();
    }
  }

  @Test
  void fiftyReplicasAndFiftyDistinctPathsMakeNoNewMeterAfterTheFirstInvalidations() throws Exception {
    for (int n = 2; n < 2 + PODS; n++) {
      LoopbackPod.Behaviour b = n % 10 == 0 ? LoopbackPod.statuses(401)
          : n % 7 == 0 ? LoopbackPod.statuses(503, 200)
          : n % 11 == 0 ? LoopbackPod.statuses(500)
          : LoopbackPod.ok();
      replicas.start(n, b);
    }
    invalidator = Invalidator.builder().listener(observability).deadline(Duration.ofSeconds(20))
        .stage(Stage.fanout("web", Discovery.of(replicas.endpoints()),
                HttpNotifier.builder().path("/api/revalidate").signingSecret(SECRET).build())
            .retry(new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2)))
            .gate(Gate.quorum(0.5)))
        .stage(Stage.purge("cdn", NamedPurger.succeeding("cdn:edge", "I1")))
        .build();

    invalidate(0, 5);
    int metersAfterFive = meters.getMeters().size();
    Map<String, Set<String>> valuesAfterFive = tagValues();
    invalidate(5, PODS);

    assertThat(meters.getMeters()).hasSize(metersAfterFive);
    Map<String, Set<String>> values = tagValues();
    assertThat(values).isEqualTo(valuesAfterFive);
    assertThat(values.get("stage")).containsExactlyInAnyOrder("web", "cdn");
    assertThat(values.get("error.kind")).containsExactlyInAnyOrder(
        "none", "unauthorized", "unavailable", "server_error");
    assertThat(values.values().stream().mapToInt(Set::size).sum()).isLessThan(30);
    for (Set<String> vs : values.values()) {
      for (String v : vs) {
        assertThat(v).doesNotContain("127.0.0", "web-", "/p-", "tag-", "inv_", SECRET);
      }
    }
    // Prometheus needs every meter of one name to have the same tag keys
    Map<String, Set<Set<String>>> keysByName = new TreeMap<>();
    for (Meter m : meters.getMeters()) {
      Set<String> keys = new TreeSet<>();
      m.getId().getTags().forEach(t -> keys.add(t.getKey()));
      keysByName.computeIfAbsent(m.getId().getName(), k -> new HashSet<>()).add(keys);
    }
    assertThat(keysByName).allSatisfy((name, keySets) -> assertThat(keySets).as(name).hasSize(1));
    assertThat(recorder.started("fanout.invalidation")).hasSize(PODS);
    // 41 replicas acknowledge each time: five answer 401, four answer 500
    assertThat(meters.get("fanout.targets").tags("outcome", "acked").counters().stream()
        .mapToDouble(c -> c.count()).sum()).isEqualTo(PODS * (PODS - 9.0));
    assertThat(observability.errors()).isZero();
    assertThat(observability.tracked()).isZero();
  }

  @Test
  void aPurgerWhoseNameChangesOnEveryCallCannotGrowTheTagsBeyondTheLimit() {
    AtomicInteger calls = new AtomicInteger();
    Purger unstable = new Purger() {
      @Override
      public CompletableFuture<PurgeResult> purge(Invalidation invalidation) {
        return CompletableFuture.completedFuture(
            PurgeResult.succeeded("cdn:" + calls.get(), 1, List.of()));
      }

      @Override
      public String name() {
        return "cdn:" + calls.incrementAndGet();
      }
    };
    invalidator = Invalidator.builder().listener(observability)
        .stage(Stage.purge("cdn", unstable)).build();

    int runs = FanoutObservability.MAX_NAMES * 2;
    for (int i = 0; i < runs; i++) {
      invalidator.invalidate(Invalidation.builder().path("/x").build()).join();
    }

    assertThat(calls.get()).isGreaterThanOrEqualTo(runs);
    Set<String> purgers = tagValues().get("purger");
    assertThat(purgers).hasSize(FanoutObservability.MAX_NAMES + 1).contains("other");
    assertThat(meters.get("fanout.purge").tags("purger", "other").timer().count())
        .isEqualTo(runs - FanoutObservability.MAX_NAMES);
  }
}
