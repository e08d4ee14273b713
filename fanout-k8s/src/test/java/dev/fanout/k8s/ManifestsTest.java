package dev.fanout.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the Kubernetes manifests in {@code examples/k8s}: least-privilege RBAC, the headless
 * Service and its named port, {@code POD_IP} from the Downward API, and a NetworkPolicy that lets
 * only the sender reach the invalidation port, which no public Service or Ingress exposes.
 */
class ManifestsTest {
  private static final Path DIR = Path.of("..", "examples", "k8s");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static List<JsonNode> docs;

  @BeforeAll
  static void load() throws IOException {
    docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(f.toFile())) {
          while (it.hasNext()) {
            JsonNode doc = it.next();
            if (doc != null && !doc.isNull() && !doc.isEmpty()) {
              docs.add(doc);
            }
          }
        }
      }
    }
  }

  private static List<JsonNode> kind(String kind) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
  }

  private static JsonNode one(String kind, String name) {
    return kind(kind).stream().filter(d -> d.path("metadata").path("name").asText().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static boolean selects(JsonNode matchLabels, JsonNode labels) {
    if (matchLabels.isMissingNode() || matchLabels.isEmpty()) {
      return false;
    }
    for (Map.Entry<String, JsonNode> e : matchLabels.properties()) {
      if (!labels.path(e.getKey()).asText("\u0000").equals(e.getValue().asText())) {
        return false;
      }
    }
    return true;
  }

  private static JsonNode podLabels(String deployment) {
    return one("Deployment", deployment).path("spec").path("template").path("metadata")
        .path("labels");
  }

  @Test
  void everyDocumentIsNamespacedInShop() {
    assertThat(docs).hasSizeGreaterThanOrEqualTo(8);
    assertThat(docs).allSatisfy(d ->
        assertThat(d.path("metadata").path("namespace").asText()).as(d.path("kind").asText())
            .isEqualTo("shop"));
  }

  @Test
  void rbacIsANamespacedRoleReadingEndpointSlicesOnly() {
    assertThat(kind("ClusterRole")).isEmpty();
    assertThat(kind("ClusterRoleBinding")).isEmpty();
    JsonNode role = one("Role", "fanout-discovery");
    assertThat(role.path("rules")).hasSize(1);
    JsonNode rule = role.path("rules").get(0);
    assertThat(texts(rule.path("apiGroups"))).containsExactly("discovery.k8s.io");
    assertThat(texts(rule.path("resources"))).containsExactly("endpointslices");
    assertThat(texts(rule.path("verbs"))).contains("list", "watch")
        .isSubsetOf("get", "list", "watch");
    assertThat(rule.has("resourceNames")).isFalse();
    assertThat(docs.toString()).doesNotContain("\"*\"");

    JsonNode binding = one("RoleBinding", "fanout-discovery");
    assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo("Role");
    assertThat(binding.path("roleRef").path("name").asText()).isEqualTo("fanout-discovery");
    assertThat(binding.path("subjects")).hasSize(1);
    JsonNode subject = binding.path("subjects").get(0);
    assertThat(subject.path("kind").asText()).isEqualTo("ServiceAccount");
    assertThat(subject.path("name").asText()).isEqualTo("fanout-sender");
    assertThat(subject.path("namespace").asText()).isEqualTo("shop");
    one("ServiceAccount", "fanout-sender");
    assertThat(one("Deployment", "backend").path("spec").path("template").path("spec")
        .path("serviceAccountName").asText()).isEqualTo("fanout-sender");
  }

  @Test
  void theHeadlessServiceSelectsTheWebPodsWithANamedInvalidationPort() {
    JsonNode svc = one("Service", "web-headless");
    assertThat(svc.path("spec").path("clusterIP").asText()).isEqualTo("None");
    assertThat(selects(svc.path("spec").path("selector"), podLabels("web"))).isTrue();
    JsonNode port = svc.path("spec").path("ports").get(0);
    assertThat(port.path("name").asText()).isEqualTo("invalidate");

    JsonNode container = one("Deployment", "web").path("spec").path("template").path("spec")
        .path("containers").get(0);
    Set<String> containerPorts = new HashSet<>();
    container.path("ports").forEach(p -> containerPorts.add(p.path("name").asText()));
    assertThat(containerPorts).contains(port.path("targetPort").asText());
  }

  @Test
  void webPodsHoldTheirReadinessUntilCaughtUpButStayLive() {
    JsonNode container = one("Deployment", "web").path("spec").path("template").path("spec")
        .path("containers").get(0);
    assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
        .isEqualTo("/api/ready");
    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
        .isNotEqualTo("/api/ready");
    List<String> hold = new ArrayList<>();
    container.path("env").forEach(e -> {
      if (e.path("name").asText().equals("FANOUT_HOLD_READINESS_SECONDS")) {
        hold.add(e.path("value").asText());
      }
    });
    assertThat(hold).singleElement().satisfies(v -> assertThat(Integer.parseInt(v)).isPositive());
  }

  @Test
  void podsGetTheirIpFromTheDownwardApi() {
    for (String deployment : List.of("web", "backend")) {
      JsonNode env = one("Deployment", deployment).path("spec").path("template").path("spec")
          .path("containers").get(0).path("env");
      JsonNode podIp = null;
      for (JsonNode e : env) {
        if (e.path("name").asText().equals("POD_IP")) {
          podIp = e;
        }
      }
      assertThat(podIp).as(deployment).isNotNull();
      assertThat(podIp.path("valueFrom").path("fieldRef").path("fieldPath").asText())
          .isEqualTo("status.podIP");
    }
  }

  @Test
  void onlyTheSenderReachesTheInvalidationPort() {
    JsonNode policy = one("NetworkPolicy", "web-invalidate-from-sender");
    assertThat(selects(policy.path("spec").path("podSelector").path("matchLabels"),
        podLabels("web"))).isTrue();
    assertThat(texts(policy.path("spec").path("policyTypes"))).contains("Ingress");

    boolean senderAllowed = false;
    for (JsonNode rule : policy.path("spec").path("ingress")) {
      // A rule without ports opens every port, the invalidation port included.
      assertThat(rule.path("ports").isArray() && !rule.path("ports").isEmpty()).isTrue();
      boolean opensInvalidate = false;
      for (JsonNode p : rule.path("ports")) {
        String port = p.path("port").asText();
        opensInvalidate |= port.equals("invalidate") || port.equals("8081");
      }
      if (!opensInvalidate) {
        continue;
      }
      assertThat(rule.path("from")).isNotEmpty();
      for (JsonNode peer : rule.path("from")) {
        assertThat(peer.has("ipBlock")).isFalse();
        assertThat(selects(peer.path("podSelector").path("matchLabels"), podLabels("backend")))
            .isTrue();
        assertThat(selects(peer.path("podSelector").path("matchLabels"), podLabels("web")))
            .isFalse();
      }
      senderAllowed = true;
    }
    assertThat(senderAllowed).isTrue();
  }

  @Test
  void noPublicServiceOrIngressRoutesToTheInvalidationPort() {
    for (JsonNode svc : kind("Service")) {
      if (svc.path("spec").path("clusterIP").asText().equals("None")) {
        continue;
      }
      assertThat(svc.path("spec").path("type").asText("ClusterIP")).isEqualTo("ClusterIP");
      for (JsonNode p : svc.path("spec").path("ports")) {
        assertThat(p.path("targetPort").asText()).isNotIn("invalidate", "8081");
      }
    }
    for (JsonNode ingress : kind("Ingress")) {
      assertThat(ingress.toString()).doesNotContain("web-headless").doesNotContain("invalidate");
    }
  }
}
