package dev.fanout.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class TemplateTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode doc(String json) throws Exception {
    return JSON.readTree(json);
  }

  @Test
  void dottedNamesAndPointersReachTheSameFieldsAndArraysByIndex() throws Exception {
    JsonNode d = doc("{\"entry\":{\"slug\":\"a\",\"id\":42,\"tags\":[\"x\",\"y\"],\"a/b\":\"s\"}}");
    assertThat(Template.parse("/p/{entry.slug}/{/entry/id}").resolve(d, true).value()).isEqualTo("/p/a/42");
    assertThat(Template.parse("t:{entry.tags.1}").resolve(d, false).value()).isEqualTo("t:y");
    assertThat(Template.parse("{/entry/a~1b}").resolve(d, false).value()).isEqualTo("s");
  }

  @Test
  void aPathValueIsOneSegmentUnlessReservedExpansionKeepsItsSlashes() throws Exception {
    JsonNode d = doc("{\"v\":\"../a b/c?d#e\",\"p\":\"/x/y z/\"}");
    assertThat(Template.parse("/s/{v}").resolve(d, true).value()).isEqualTo("/s/..%2Fa%20b%2Fc%3Fd%23e");
    assertThat(Template.parse("{+p}").resolve(d, true).value()).isEqualTo("/x/y%20z/");
    assertThat(Template.parse("tag:{v}").resolve(d, false).value()).isEqualTo("tag:../a b/c?d#e");
  }

  @Test
  void missingNullAndContainerFieldsLeaveItUnresolvedNamingTheField() throws Exception {
    JsonNode d = doc("{\"a\":null,\"o\":{},\"l\":[],\"b\":true}");
    for (String f : new String[] {"a", "o", "l", "nope", "b.c"}) {
      Template.Result r = Template.parse("/{" + f + "}").resolve(d, true);
      assertThat(r.resolved()).isFalse();
      assertThat(r.missing()).isEqualTo(f);
    }
    assertThat(Template.parse("{b}").resolve(d, false).value()).isEqualTo("true");
  }

  @Test
  void malformedTemplatesAreRefusedWithTheReason() {
    assertThatThrownBy(() -> Template.parse("/a/{x")).hasMessageContaining("without '}'");
    assertThatThrownBy(() -> Template.parse("/a/x}")).hasMessageContaining("without '{'");
    assertThatThrownBy(() -> Template.parse("/a/{}")).hasMessageContaining("empty field");
    assertThatThrownBy(() -> Template.parse("/a/{a..b}")).hasMessageContaining("malformed field");
    assertThatThrownBy(() -> Template.parse("/a/{{x}}")).hasMessageContaining("nests");
    assertThatThrownBy(() -> Template.parse(" ")).hasMessageContaining("empty");
  }

  @Test
  void aMappingRefusesAMissingRequiredFieldAndSkipsAMissingOptionalOne() throws Exception {
    Mapping m = Mapping.of(java.util.List.of("/a/{x}", "?/b/{y}"), java.util.List.of("t:{x}"));
    assertThat(m.apply(doc("{\"x\":1}")).paths()).containsExactly("/a/1");
    assertThat(m.apply(doc("{\"x\":1,\"y\":2}")).paths()).containsExactly("/a/1", "/b/2");
    assertThatThrownBy(() -> m.apply(doc("{\"y\":2}"))).isInstanceOf(WebhookRejected.class)
        .hasMessageContaining("needs the field 'x'");
    assertThatThrownBy(() -> Mapping.of(java.util.List.of(), java.util.List.of()))
        .hasMessageContaining("at least one");
  }
}
