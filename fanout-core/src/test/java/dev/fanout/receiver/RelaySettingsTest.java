package dev.fanout.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.FanoutListener;
import dev.fanout.RetryPolicy;
import dev.fanout.spi.Discovery;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Tests for {@link RelaySettings}: each option of {@link InvalidationReceiver.Relay} is one copy. */
class RelaySettingsTest {
  private final InvalidationReceiver.Relay base = InvalidationReceiver.Relay.to(Discovery.of());

  private RelaySettings changed(UnaryOperator<InvalidationReceiver.Relay> option) {
    return option.apply(base).settings;
  }

  /** The names of the components in which {@code b} differs from {@code a}. */
  private static List<String> differences(RelaySettings a, RelaySettings b) throws Exception {
    List<String> names = new ArrayList<>();
    for (RecordComponent c : RelaySettings.class.getRecordComponents()) {
      if (!Objects.equals(c.getAccessor().invoke(a), c.getAccessor().invoke(b))) {
        names.add(c.getName());
      }
    }
    return names;
  }

  @Test
  void eachOptionChangesItsOwnComponentAndNothingElse() throws Exception {
    RelaySettings before = base.settings;
    RetryPolicy retry = new RetryPolicy(5, Duration.ofMillis(10), Duration.ofMillis(20));
    FanoutListener listener = new FanoutListener() {};
    Map<String, UnaryOperator<InvalidationReceiver.Relay>> options = new LinkedHashMap<>();
    options.put("self", r -> r.self("10.0.3.7"));
    options.put("path", r -> r.path("/fanout"));
    options.put("port", r -> r.port(8081));
    options.put("https", r -> r.https(true));
    options.put("deadline", r -> r.deadline(Duration.ofSeconds(2)));
    options.put("attemptTimeout", r -> r.attemptTimeout(Duration.ofMillis(300)));
    options.put("retry", r -> r.retry(retry));
    options.put("minPeers", r -> r.minPeers(2));
    options.put("listener", r -> r.listener(listener));

    assertThat(options.keySet()).containsExactlyInAnyOrderElementsOf(
        Arrays.stream(RelaySettings.class.getRecordComponents()).map(RecordComponent::getName)
            .filter(n -> !n.equals("peers")).collect(Collectors.toList()));
    for (Map.Entry<String, UnaryOperator<InvalidationReceiver.Relay>> option : options.entrySet()) {
      assertThat(differences(before, changed(option.getValue()))).as(option.getKey())
          .containsExactly(option.getKey());
    }
  }

  @Test
  void aCopyLeavesTheOriginalAsItWas() {
    RelaySettings before = base.settings;

    RelaySettings after = changed(r -> r.self("10.0.3.7").path("/fanout").port(8081).https(true).minPeers(1));

    assertThat(base.settings).isEqualTo(before).isSameAs(before);
    assertThat(after).extracting(RelaySettings::self, RelaySettings::path, RelaySettings::port,
        RelaySettings::https, RelaySettings::minPeers, RelaySettings::deadline)
        .containsExactly("10.0.3.7", "/fanout", 8081, true, 1, Duration.ofSeconds(4));
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    RelaySettings d = base.settings;

    assertThat(d.self()).isNull();
    assertThat(d.path()).isEqualTo("/api/revalidate");
    assertThat(d.port()).isZero();
    assertThat(d.https()).isFalse();
    assertThat(d.deadline()).isEqualTo(Duration.ofSeconds(4));
    assertThat(d.attemptTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(d.retry()).isEqualTo(new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1)));
    assertThat(d.minPeers()).isZero();
    assertThat(d.listener()).isSameAs(FanoutListener.NONE);
    assertThat(base.toString()).isEqualTo("Relay[peers " + d.peers() + ", self null, POST /api/revalidate, deadline PT4S]");
  }
}
