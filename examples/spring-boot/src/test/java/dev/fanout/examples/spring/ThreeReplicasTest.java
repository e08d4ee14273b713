package dev.fanout.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Invalidator;
import dev.fanout.spring.RecentReports;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shop as three real replicas (embedded Tomcat on 127.0.0.2, .3, .4) and a CDN stand-in, over
 * HTTP: an update on one replica evicts the post from every replica's cache, and the CDN is purged
 * after the last eviction.
 */
class ThreeReplicasTest {
  private static ThreeReplicas stack;

  @BeforeAll
  static void start() throws Exception {
    stack = ThreeReplicas.start(EvictionLog.class);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private static long loads(int replica) {
    return stack.replicas().get(replica).getBean(PostService.class).loads();
  }

  @Test
  void anUpdateOnOneReplicaIsFreshOnEveryReplicaThenPurgedAtTheCdn() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(stack.get(i, "/posts/1").body()).contains("\"version\":1");
      assertThat(stack.get(i, "/posts/1").body()).as("served from the cache").contains("\"version\":1");
    }
    long[] loadsBefore = LongStream.range(0, 3).map(i -> loads((int) i)).toArray();

    HttpResponse<String> put = stack.put(1, "/posts/1", "{\"title\":\"Hello again\"}");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    assertThat(put.body()).contains("\"complete\":true", "replicas: 3/3 acked", "cdn: 1/1 purged");

    for (int i = 0; i < 3; i++) {
      String body = stack.get(i, "/posts/1").body();
      assertThat(body).as("replica " + i + " at its first read").contains("\"title\":\"Hello again\"", "\"version\":2");
      assertThat(loads(i)).as("replica " + i + " reloaded once").isEqualTo(loadsBefore[i] + 1);
    }

    List<Long> evictions = stack.replicas().stream()
        .flatMap(c -> c.getBean(EvictionLog.class).evictedNanos().stream()).toList();
    assertThat(evictions).hasSize(3);
    long lastEviction = evictions.stream().mapToLong(Long::longValue).max().orElseThrow();
    List<CdnStandIn.Purge> purges = stack.cdn().purges();
    assertThat(purges).extracting(CdnStandIn.Purge::target)
        .containsExactlyInAnyOrder("posts:1", "www.example.com/posts/1");
    assertThat(purges).allSatisfy(p -> assertThat(p.arrivalNanos()).isGreaterThan(lastEviction));

    // Post 2 was not touched: still cached everywhere it was.
    RecentReports reports = stack.replicas().get(1).getBean(RecentReports.class);
    assertThat(reports.latest()).hasValueSatisfying(r -> assertThat(r.report().isComplete()).isTrue());
    assertThat(stack.replicas().get(0).getBean(Invalidator.class).stages()).hasSize(2);
  }

  @Test
  void theActuatorShowsHealthAndTheRecentReports() throws Exception {
    HttpResponse<String> health = stack.get(0, "/actuator/health");
    assertThat(health.body()).contains("\"fanout\"", "\"replicas\":3");
    HttpResponse<String> fanout = stack.get(0, "/actuator/fanout");
    assertThat(fanout.statusCode()).isEqualTo(200);
    assertThat(fanout.body()).contains("\"name\":\"replicas\"", "\"name\":\"cdn\"")
        .doesNotContain(ThreeReplicas.SECRET.substring(6), CdnStandIn.TOKEN);
  }
}
