package dev.fanout.k8s;

import static dev.fanout.k8s.Slices.endpoint;
import static dev.fanout.k8s.Slices.port;
import static dev.fanout.k8s.Slices.ready;
import static dev.fanout.k8s.Slices.slice;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fanout.Endpoint;
import dev.fanout.Endpoint.State;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Tests for {@link EndpointSlices}: conditions, ports, merging and malformed slices. */
class EndpointSlicesTest {
  private final EndpointSlices http = new EndpointSlices("http", 0, AddressFilter.DEFAULT, "test");

  private static Boolean bool(String s) {
    return s.equals("nil") ? null : Boolean.valueOf(s);
  }

  @ParameterizedTest(name = "ready={0} serving={1} terminating={2} -> {3}")
  @CsvSource({
      "nil,   nil,   nil,   READY",
      "true,  true,  false, READY",
      "true,  nil,   nil,   READY",
      "false, false, false, NOT_READY",
      "false, nil,   nil,   NOT_READY",
      "false, true,  nil,   NOT_READY",
      "false, true,  true,  SERVING",
      "nil,   true,  true,  SERVING",
      "true,  true,  true,  SERVING",
      "false, false, true,  TERMINATING",
      "false, nil,   true,  TERMINATING",
      "nil,   nil,   true,  SERVING",
      "true,  false, true,  TERMINATING",
  })
  void conditionsMapToStates(String ready, String serving, String terminating, State expected) {
    ObjectNode e = endpoint("10.0.0.1", "web-1", bool(ready), bool(serving), bool(terminating));

    assertThat(EndpointSlices.state(e.get("conditions"))).isEqualTo(expected);
  }

  @Test
  void missingOrMistypedConditionsMeanReady() {
    JsonNode mistyped = FakeApiServer.JSON.createObjectNode().put("ready", "no")
        .put("terminating", 1);

    assertThat(EndpointSlices.state(null)).isEqualTo(State.READY);
    assertThat(EndpointSlices.state(mistyped)).isEqualTo(State.READY);
  }

  @Test
  void defaultPolicyKeepsReadyStartingAndServingButNotTerminating() {
    ObjectNode s = slice("web-a", "1", ready("10.0.0.1", "web-1"),
        endpoint("10.0.0.2", "web-2", false, false, false),
        endpoint("10.0.0.3", "web-3", false, true, true),
        endpoint("10.0.0.4", "web-4", false, false, true));

    List<Endpoint> merged =
        http.merge(List.of(http.endpoints(s)), KubernetesDiscovery.DEFAULT_STATES);

    assertThat(merged).extracting(Endpoint::toString).containsExactly(
        "10.0.0.1:8080 (web-1)", "10.0.0.2:8080 (web-2)", "10.0.0.3:8080 (web-3)");
    assertThat(merged).extracting(Endpoint::state)
        .containsExactly(State.READY, State.NOT_READY, State.SERVING);
  }

  @Test
  void duplicatesAcrossSlicesAppearOnceWithTheMostAvailableState() {
    ObjectNode a = slice("web-a", "1", endpoint("10.0.0.1", "web-1", false, true, true));
    ObjectNode b = slice("web-b", "2", ready("10.0.0.1", "web-1"), ready("10.0.0.2", "web-2"));

    List<Endpoint> merged = http.merge(List.of(http.endpoints(a), http.endpoints(b)),
        Set.of(State.values()));

    assertThat(merged).extracting(Endpoint::authority)
        .containsExactly("10.0.0.1:8080", "10.0.0.2:8080");
    assertThat(merged.get(0).state()).isEqualTo(State.READY);
  }

  @Test
  void portIsPickedByNameAndSlicesWithoutItAreSkipped() {
    ObjectNode metricsOnly = slice("web-m", "1", "IPv4", port("metrics", 9100),
        ready("10.0.0.1", "web-1"));
    ObjectNode unnamed = slice("web-u", "1", "IPv4", port(null, 3000), ready("10.0.0.2", "w"));
    ObjectNode allPorts = slice("web-all", "1", "IPv4", port("http", null),
        ready("10.0.0.3", "w"));

    assertThat(http.endpoints(metricsOnly)).isEmpty();
    assertThat(http.endpoints(allPorts)).isEmpty();
    assertThat(new EndpointSlices("", 0, AddressFilter.DEFAULT, "t").endpoints(unnamed))
        .extracting(Endpoint::authority).containsExactly("10.0.0.2:3000");
    assertThat(new EndpointSlices(null, 7000, AddressFilter.DEFAULT, "t").endpoints(metricsOnly))
        .extracting(Endpoint::authority).containsExactly("10.0.0.1:7000");
  }

  @Test
  void ipv6SlicesGiveBracketedAuthorities() {
    ObjectNode s = slice("web-v6", "1", "IPv6", port("http", 8080), ready("fd00::1", "web-1"));

    assertThat(http.endpoints(s)).extracting(Endpoint::authority)
        .containsExactly("[fd00:0:0:0:0:0:0:1]:8080");
  }

  @Test
  void malformedSlicesAndEndpointsAreSkippedWithoutHidingGoodOnes() throws Exception {
    String[] bad = {
        "{\"addressType\":\"IPv4\",\"endpoints\":null,\"ports\":[{\"name\":\"http\",\"port\":1}]}",
        "{\"addressType\":\"IPv4\",\"ports\":null,\"endpoints\":[{\"addresses\":[\"10.0.0.1\"]}]}",
        "{\"addressType\":\"FQDN\",\"ports\":[{\"name\":\"http\",\"port\":80}],"
            + "\"endpoints\":[{\"addresses\":[\"web.example.com\"]}]}",
        "{\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":\"80\"}],"
            + "\"endpoints\":[{\"addresses\":[\"10.0.0.1\"]}]}",
        "{\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":70000}],"
            + "\"endpoints\":[{\"addresses\":[\"10.0.0.1\"]}]}",
        "[]", "null", "{}",
    };
    for (String json : bad) {
      assertThat(http.endpoints(FakeApiServer.JSON.readTree(json))).as(json).isEmpty();
    }
    JsonNode mixed = FakeApiServer.JSON.readTree("{\"addressType\":\"IPv4\",\"unknown\":{\"x\":1},"
        + "\"ports\":[{\"name\":\"http\",\"port\":8080,\"appProtocol\":\"http\"}],\"endpoints\":["
        + "{\"addresses\":[]},{\"addresses\":null},{\"addresses\":[42]},{\"addresses\":[\"nope\"]},"
        + "{\"addresses\":[\"10.0.0.9\"],\"conditions\":{\"ready\":false},\"zone\":\"a\"},"
        + "{\"addresses\":[\"10.0.0.8\",\"10.0.0.7\"],\"hostname\":\"web-0\"}]}");

    assertThat(http.endpoints(mixed)).extracting(Endpoint::toString)
        .containsExactly("10.0.0.9:8080", "10.0.0.8:8080 (web-0)");
  }

  @Test
  void loopbackAndMetadataAddressesInSlicesAreDropped() {
    ObjectNode s = slice("web-a", "1", ready("169.254.169.254", "evil"),
        ready("127.0.0.1", "evil"), ready("10.0.0.1", "web-1"));

    assertThat(http.endpoints(s)).extracting(Endpoint::authority).containsExactly("10.0.0.1:8080");
  }
}
