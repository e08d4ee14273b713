package dev.fanout.gateway;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the payload of one kind of inbound webhook means. How its requests are authenticated is
 * apart: {@link Authenticated} pairs the two for one endpoint.
 */
interface WebhookSource {

  /**
   * One webhook endpoint's source, with the authentication every request must pass before the
   * source reads its payload.
   *
   * @param authenticator the authentication
   * @param source the payload's meaning
   */
  record Authenticated(Authenticator authenticator, WebhookSource source) {
    /**
     * Checks the components.
     *
     * @param authenticator see the record description
     * @param source see the record description
     */
    public Authenticated {
      java.util.Objects.requireNonNull(authenticator, "authenticator");
      java.util.Objects.requireNonNull(source, "source");
    }
  }

  /**
   * Reads an authenticated payload.
   *
   * @param body the parsed JSON body
   * @return what changed
   * @throws WebhookRejected 400 for a malformed payload, 422 for one this configuration does not
   *     know (an unknown model or event) or cannot map
   * @throws WebhookIgnored for a known event that changes nothing
   */
  Change read(JsonNode body);

  /** Returns the text of a field that must be a non-empty string or a number, or throws 400. */
  static String required(JsonNode node, String field, String where) {
    String v = optional(node, field);
    if (v == null) {
      throw WebhookRejected.malformed("'" + where + field + "' is missing or not a string or number");
    }
    return v;
  }

  /** Returns the text of a field, or {@code null} when it is absent, empty, null or not a scalar. */
  static String optional(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !(v.isTextual() || v.isNumber()) || v.asText().isEmpty()) {
      return null;
    }
    return v.asText();
  }

  /** Returns a field that must be a JSON object, or throws 400. */
  static JsonNode object(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isObject()) {
      throw WebhookRejected.malformed("'" + field + "' is missing or not an object");
    }
    return v;
  }
}
