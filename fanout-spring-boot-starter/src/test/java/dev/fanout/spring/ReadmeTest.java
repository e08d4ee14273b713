package dev.fanout.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The module README lists every property: those in the generated metadata, and each stage's. */
class ReadmeTest {
  private static final Set<Class<?>> NESTED = Set.of(StageProperties.Discovery.class, StageProperties.Dns.class,
      StageProperties.Kubernetes.class, StageProperties.Notifier.class, StageProperties.Retry.class,
      StageProperties.CloudFront.class, StageProperties.Fastly.class, StageProperties.Cloudflare.class,
      StageProperties.CatchUp.class);

  @Test
  void everyGeneratedPropertyIsDocumented() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    JsonNode metadata;
    try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      metadata = new ObjectMapper().readTree(in);
    }
    List<String> names = new ArrayList<>();
    metadata.get("properties").forEach(p -> names.add(p.get("name").asText()));
    assertThat(names).contains("fanout.deadline", "fanout.receiver.secrets");
    for (String name : names) {
      if (name.startsWith("fanout.")) {
        assertThat(readme).as(name).contains("`" + name + "`");
      }
    }
  }

  @Test
  void everyStagePropertyIsDocumented() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    List<String> paths = new ArrayList<>();
    collect(StageProperties.class, "", paths);
    assertThat(paths).contains("discovery.dns.name", "fastly.api-token", "gate", "catch-up.window");
    for (String p : paths) {
      assertThat(readme).as(p).contains("| `" + p + "` |");
    }
  }

  private static void collect(Class<?> record, String prefix, List<String> out) {
    for (RecordComponent c : record.getRecordComponents()) {
      String name = prefix + c.getName().replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
      if (NESTED.contains(c.getType())) {
        collect(c.getType(), name + ".", out);
      } else {
        out.add(name);
      }
    }
  }
}
