package dev.fanout.cloudflare;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Cloudflare's v4 API answer, {@code {"success": bool, "errors": [{"code": int, "message":
 * str}], "messages": [...], "result": {"id": str}}}: what the purger reads of it. Parsing is
 * bounded (the body is already capped) and lenient about fields it does not use.
 *
 * @param success the {@code success} field, or null when absent
 * @param errors the {@code errors} entries, at most {@link #MAX_ERRORS}
 * @param resultId {@code result.id}, or null
 */
record Envelope(Boolean success, List<ApiError> errors, String resultId) {
  static final int MAX_ERRORS = 3;
  private static final int MAX_MESSAGE_CHARS = 160;
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build())
      .build());

  /**
   * One entry of {@code errors}.
   *
   * @param code Cloudflare's error code, e.g. 10000
   * @param message its message
   */
  record ApiError(int code, String message) {}

  Envelope {
    errors = List.copyOf(errors);
  }

  /** Reads a body; null when it is empty or not a JSON object. */
  static Envelope parse(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    if (root == null || !root.isObject()) {
      return null;
    }
    JsonNode s = root.get("success");
    Boolean success = s != null && s.isBoolean() ? s.booleanValue() : null;
    List<ApiError> errors = new ArrayList<>();
    JsonNode e = root.get("errors");
    if (e != null && e.isArray()) {
      for (JsonNode n : e) {
        if (errors.size() == MAX_ERRORS) {
          break;
        }
        if (n.isObject()) {
          errors.add(new ApiError(n.path("code").asInt(0), n.path("message").asText("")));
        }
      }
    }
    JsonNode id = root.path("result").path("id");
    return new Envelope(success, errors, id.isTextual() ? id.asText() : null);
  }

  /** Whether one of the errors has this code. */
  boolean has(int code) {
    return errors.stream().anyMatch(e -> e.code() == code);
  }

  /**
   * The errors for a report, e.g. {@code error 10000 Authentication error; error 7003 ...}: at
   * most {@link #MAX_ERRORS}, each message shortened and made printable; empty when there are
   * none. The caller scrubs the token.
   */
  String describeErrors() {
    StringBuilder sb = new StringBuilder();
    for (ApiError e : errors) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append("error ").append(e.code());
      String m = printable(e.message().strip());
      if (!m.isEmpty()) {
        sb.append(' ').append(m.length() > MAX_MESSAGE_CHARS
            ? m.substring(0, MAX_MESSAGE_CHARS) + "..." : m);
      }
    }
    return sb.toString();
  }

  /**
   * Escapes control and non-ASCII characters (a backslash, {@code u} and four hex digits) and
   * shortens to 400 characters, so that a value from outside can be named in a message without
   * forging log lines.
   */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder(Math.min(s.length(), 400) + 8);
    for (int i = 0; i < s.length() && i < 400; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7f) {
        sb.append(c);
      } else {
        sb.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
      }
    }
    if (s.length() > 400) {
      sb.append("...");
    }
    return sb.toString();
  }
}
