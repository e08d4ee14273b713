package dev.fanout.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the WordPress plugin's payloads mean, posts and terms alike, and what is refused. */
class WordPressSourceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final WordPressSource source = new WordPressSource(
      Map.of("post", Mapping.of(List.of("{+post.path}"), List.of("post:{post.id}"))),
      Map.of("category", Mapping.of(List.of("{+term.path}"), List.of("category:{term.slug}"))));

  private Change read(String json) throws Exception {
    JsonNode body = JSON.readTree(json);
    return source.read(body);
  }

  @Test
  void aPostIsVersionedByItsModificationTimeAndATermIsNot() throws Exception {
    Change post = read("{\"kind\":\"post\",\"event\":\"transition\",\"post\":{\"id\":42,\"type\":\"post\","
        + "\"path\":\"/2026/12/hello/\",\"modified_gmt\":\"2026-12-04T11:00:00Z\"}}");
    assertThat(post).isEqualTo(new Change("wordpress", "post", "42", "2026-12-04T11:00:00Z", "change",
        List.of("/2026/12/hello/"), List.of("post:42")));

    Change term = read("{\"kind\":\"term\",\"event\":\"delete\",\"term\":{\"id\":7,\"taxonomy\":\"category\","
        + "\"slug\":\"news\",\"path\":\"/category/news/\"}}");
    assertThat(term).isEqualTo(new Change("wordpress", "category", "7", null, "delete",
        List.of("/category/news/"), List.of("category:news")));
  }

  @Test
  void unknownKindsEventsTypesAndTaxonomiesAreRefusedByName() {
    assertThatThrownBy(() -> read("{\"kind\":\"user\",\"event\":\"save\"}"))
        .isInstanceOf(WebhookRejected.class).hasMessage("unknown kind 'user' (post or term)");
    assertThatThrownBy(() -> read("{\"kind\":\"post\",\"event\":\"edit\",\"post\":{}}"))
        .isInstanceOf(WebhookRejected.class).hasMessage("unknown post event 'edit'");
    assertThatThrownBy(() -> read("{\"kind\":\"term\",\"event\":\"save\",\"term\":{}}"))
        .isInstanceOf(WebhookRejected.class).hasMessage("unknown term event 'save'");
    assertThatThrownBy(() -> read("{\"kind\":\"post\",\"event\":\"save\",\"post\":{\"id\":1,\"type\":\"page\"}}"))
        .isInstanceOf(WebhookRejected.class)
        .hasMessage("unknown post type 'page': add it under fanout.gateway.wordpress.post-types");
    assertThatThrownBy(() -> read("{\"kind\":\"term\",\"event\":\"edit\",\"term\":{\"id\":1,\"taxonomy\":\"tag\"}}"))
        .isInstanceOf(WebhookRejected.class)
        .hasMessage("unknown taxonomy 'tag': add it under fanout.gateway.wordpress.taxonomies");
    assertThatThrownBy(() -> read("{\"kind\":\"term\",\"event\":\"edit\",\"term\":{\"taxonomy\":\"category\"}}"))
        .isInstanceOf(WebhookRejected.class).hasMessageContaining("'term.id' is missing");
    assertThatThrownBy(() -> read("{\"kind\":\"post\",\"event\":\"save\"}"))
        .isInstanceOf(WebhookRejected.class).hasMessageContaining("'post' is missing or not an object");
  }
}
