package dev.fanout.k8s;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds EndpointSlice JSON the way the API server sends it. */
final class Slices {
  private Slices() {}

  static ObjectNode port(String name, Integer port) {
    ObjectNode p = FakeApiServer.JSON.createObjectNode().put("protocol", "TCP");
    if (name != null) {
      p.put("name", name);
    }
    if (port != null) {
      p.put("port", port);
    }
    return p;
  }

  static ObjectNode slice(String name, String resourceVersion, String addressType,
      ObjectNode port, ObjectNode... endpoints) {
    ObjectNode s = FakeApiServer.JSON.createObjectNode().put("kind", "EndpointSlice")
        .put("apiVersion", "discovery.k8s.io/v1").put("addressType", addressType);
    ObjectNode meta = s.putObject("metadata").put("name", name).put("namespace", "shop")
        .put("resourceVersion", resourceVersion);
    meta.putObject("labels").put("kubernetes.io/service-name", "web");
    if (port != null) {
      s.putArray("ports").add(port);
    }
    ArrayNode eps = s.putArray("endpoints");
    for (ObjectNode e : endpoints) {
      eps.add(e);
    }
    return s;
  }

  /** A slice with port "http" 8080. */
  static ObjectNode slice(String name, String resourceVersion, ObjectNode... endpoints) {
    return slice(name, resourceVersion, "IPv4", port("http", 8080), endpoints);
  }

  static ObjectNode endpoint(String address, String pod, Boolean ready, Boolean serving,
      Boolean terminating) {
    ObjectNode e = FakeApiServer.JSON.createObjectNode();
    e.putArray("addresses").add(address);
    ObjectNode c = e.putObject("conditions");
    if (ready != null) {
      c.put("ready", ready);
    }
    if (serving != null) {
      c.put("serving", serving);
    }
    if (terminating != null) {
      c.put("terminating", terminating);
    }
    if (pod != null) {
      e.putObject("targetRef").put("kind", "Pod").put("namespace", "shop").put("name", pod);
    }
    return e;
  }

  static ObjectNode ready(String address, String pod) {
    return endpoint(address, pod, true, true, false);
  }
}
