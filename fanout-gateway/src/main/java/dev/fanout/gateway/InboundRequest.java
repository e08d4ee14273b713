package dev.fanout.gateway;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * An inbound request as the gateway checks it: its headers (names case-insensitive) and its raw
 * body bytes, read up to the configured limit.
 *
 * @param headers header name to values, case-insensitive names
 * @param body the raw body (empty for a {@code GET})
 */
record InboundRequest(Map<String, List<String>> headers, byte[] body) {

  InboundRequest {
    TreeMap<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
    headers = Collections.unmodifiableMap(h);
  }

  /**
   * Returns a header that must appear at most once.
   *
   * @param name the header name
   * @return its value, or {@code null} when absent
   * @throws WebhookRejected 400 when it appears more than once
   */
  String single(String name) {
    List<String> values = headers.get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw WebhookRejected.malformed("header " + name + " appears more than once");
    }
    return values.get(0);
  }
}
