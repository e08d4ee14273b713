package dev.fanout.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fanout.Endpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns {@code discovery.k8s.io/v1} EndpointSlice objects into endpoints, following the API's rules:
 * several slices per Service (merged, duplicates removed), the first address of each endpoint, the
 * port by name, nil conditions meaning ready / serving-as-ready / not terminating. Malformed parts
 * are skipped, never fatal: one bad endpoint must not hide the good ones.
 *
 * <p>https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/
 */
final class EndpointSlices {
  private static final Logger log = LoggerFactory.getLogger(KubernetesDiscovery.class);
  private static final Set<String> warned = ConcurrentHashMap.newKeySet();

  private final String portName;
  private final int fixedPort;
  private final AddressFilter filter;
  private final String source;

  /**
   * @param portName the port's name in the slice ({@code ""} for an unnamed port), or null when
   *     {@code fixedPort} is used
   * @param fixedPort a port to use for every endpoint regardless of the slice's ports, or 0
   */
  EndpointSlices(String portName, int fixedPort, AddressFilter filter, String source) {
    this.portName = portName;
    this.fixedPort = fixedPort;
    this.filter = filter;
    this.source = source;
  }

  /** Maps conditions to a state; absent or non-boolean values take the API's documented default. */
  static Endpoint.State state(JsonNode conditions) {
    Boolean ready = bool(conditions, "ready");
    Boolean serving = bool(conditions, "serving");
    Boolean terminating = bool(conditions, "terminating");
    boolean isReady = ready == null || ready;
    if (terminating != null && terminating) {
      boolean isServing = serving != null ? serving : isReady;
      return isServing ? Endpoint.State.SERVING : Endpoint.State.TERMINATING;
    }
    return isReady ? Endpoint.State.READY : Endpoint.State.NOT_READY;
  }

  private static Boolean bool(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    return v != null && v.isBoolean() ? v.booleanValue() : null;
  }

  /** Returns the slice's endpoints (any state), or an empty list if the slice is unusable. */
  List<Endpoint> endpoints(JsonNode slice) {
    if (slice == null || !slice.isObject()) {
      return List.of();
    }
    String name = slice.path("metadata").path("name").asText("?");
    String addressType = slice.path("addressType").asText("");
    if (!addressType.equals("IPv4") && !addressType.equals("IPv6")) {
      once("addressType " + name, "{}: skipping EndpointSlice {} with addressType '{}' (only IPv4"
          + " and IPv6 are used)", source, name, AddressFilter.printable(addressType));
      return List.of();
    }
    int port = fixedPort > 0 ? fixedPort : port(slice.get("ports"));
    if (port <= 0) {
      log.debug("{}: EndpointSlice {} has no port named '{}'", source, name, portName);
      return List.of();
    }
    JsonNode items = slice.get("endpoints");
    if (items == null || !items.isArray()) {
      return List.of();
    }
    List<Endpoint> out = new ArrayList<>();
    for (JsonNode e : items) {
      JsonNode addresses = e.get("addresses");
      if (addresses == null || !addresses.isArray() || addresses.isEmpty()
          || !addresses.get(0).isTextual()) {
        continue;
      }
      // Controller-made endpoints have one address; the API says consumers use the first.
      String address = addresses.get(0).asText();
      if (!filter.acceptsLiteral(address, source)) {
        continue;
      }
      JsonNode target = e.get("targetRef");
      String pod = target != null && target.path("name").isTextual()
          ? target.path("name").asText() : null;
      if (pod == null && e.path("hostname").isTextual()) {
        pod = e.path("hostname").asText();
      }
      try {
        out.add(new Endpoint(AddressFilter.parseLiteral(address).getHostAddress(), port,
            pod == null ? null : AddressFilter.printable(pod), state(e.get("conditions"))));
      } catch (IllegalArgumentException ex) {
        log.debug("{}: skipping endpoint {} in {}: {}", source, address, name, ex.getMessage());
      }
    }
    return out;
  }

  private int port(JsonNode ports) {
    if (ports == null || !ports.isArray()) {
      return 0;
    }
    for (JsonNode p : ports) {
      JsonNode n = p.get("name");
      String name = n == null || n.isNull() ? "" : n.asText();
      if (name.equals(portName)) {
        JsonNode number = p.get("port");
        // A nil port means "all ports": there is no number to send to.
        return number != null && number.canConvertToInt() && number.isIntegralNumber()
            && number.intValue() >= 1 && number.intValue() <= 65535 ? number.intValue() : 0;
      }
    }
    return 0;
  }

  /**
   * Merges the endpoints of every slice, one per address and port; where slices disagree (a pod in
   * transit between two), the most available state wins.
   */
  List<Endpoint> merge(Collection<List<Endpoint>> slices, Set<Endpoint.State> states) {
    Map<String, Endpoint> unique = new LinkedHashMap<>();
    for (List<Endpoint> slice : slices) {
      for (Endpoint e : slice) {
        unique.merge(e.authority(), e, (a, b) -> rank(b.state()) < rank(a.state()) ? b : a);
      }
    }
    List<Endpoint> out = new ArrayList<>();
    for (Endpoint e : unique.values()) {
      if (states.contains(e.state())) {
        out.add(e);
      }
    }
    return List.copyOf(out);
  }

  private static int rank(Endpoint.State s) {
    return switch (s) {
      case READY -> 0;
      case SERVING -> 1;
      case NOT_READY -> 2;
      case TERMINATING -> 3;
    };
  }

  private static void once(String key, String format, Object... args) {
    if (warned.size() < 1000 && warned.add(key)) {
      log.warn(format, args);
    } else {
      log.debug(format, args);
    }
  }
}
