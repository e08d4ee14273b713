package dev.fanout.gateway;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A path or tag pattern with fields of a webhook's JSON body: {@code /posts/{entry.slug}}, {@code
 * post:{entry.id}}, {@code {+post.path}}.
 *
 * <ul>
 *   <li>A field is a dotted name ({@code entry.slug}, array elements by index: {@code
 *       entry.tags.0}) or a JSON pointer ({@code {/entry/slug}}).
 *   <li>In a path template, {@code {field}} inserts the value as one path segment: everything but
 *       RFC 3986's unreserved characters is percent-encoded, so a value can never add a {@code /}, a
 *       {@code ..} or a query. {@code {+field}} (RFC 6570's reserved expansion) keeps {@code /} for
 *       values that are paths already, such as WordPress permalinks; the result must still be a
 *       plain absolute path, or the webhook is refused.
 *   <li>In a tag template values are inserted as they are; the tag grammar refuses whitespace and
 *       control characters later.
 *   <li>A field must hold a string, a number or a boolean. A missing or {@code null} field, or an
 *       object or array, makes the template {@linkplain Result#missing() unresolved}.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
final class Template {
  private final String source;
  private final List<Part> parts;

  private sealed interface Part permits Literal, Field {}

  private record Literal(String text) implements Part {}

  private record Field(String name, JsonPointer pointer, boolean reserved) implements Part {}

  /** A resolved value, or the field that was missing. */
  record Result(String value, String missing) {
    boolean resolved() {
      return value != null;
    }
  }

  private Template(String source, List<Part> parts) {
    this.source = source;
    this.parts = List.copyOf(parts);
  }

  /**
   * Parses a template.
   *
   * @param source the template text
   * @return the template
   * @throws IllegalArgumentException naming what is wrong: an unclosed or empty {@code {}}, a
   *     nested brace, a malformed pointer
   */
  static Template parse(String source) {
    Objects.requireNonNull(source, "template");
    if (source.isBlank()) {
      throw new IllegalArgumentException("a template is empty");
    }
    List<Part> parts = new ArrayList<>();
    int i = 0;
    while (i < source.length()) {
      int open = source.indexOf('{', i);
      int strayClose = source.indexOf('}', i);
      if (strayClose >= 0 && (open < 0 || strayClose < open)) {
        throw new IllegalArgumentException("'" + source + "' has a '}' without '{'");
      }
      if (open < 0) {
        parts.add(new Literal(source.substring(i)));
        break;
      }
      if (open > i) {
        parts.add(new Literal(source.substring(i, open)));
      }
      int close = source.indexOf('}', open);
      if (close < 0) {
        throw new IllegalArgumentException("'" + source + "' has a '{' without '}'");
      }
      String inner = source.substring(open + 1, close);
      if (inner.indexOf('{') >= 0) {
        throw new IllegalArgumentException("'" + source + "' nests braces");
      }
      parts.add(field(source, inner));
      i = close + 1;
    }
    return new Template(source, parts);
  }

  private static Field field(String source, String inner) {
    boolean reserved = inner.startsWith("+");
    String name = reserved ? inner.substring(1) : inner;
    if (name.isEmpty()) {
      throw new IllegalArgumentException("'" + source + "' has an empty field '{" + inner + "}'");
    }
    JsonPointer pointer;
    try {
      pointer = name.startsWith("/") ? JsonPointer.compile(name) : dotted(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + source + "' has a malformed field '" + name + "'");
    }
    return new Field(name, pointer, reserved);
  }

  private static JsonPointer dotted(String name) {
    StringBuilder sb = new StringBuilder();
    for (String segment : name.split("\\.", -1)) {
      if (segment.isEmpty() || !segment.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw new IllegalArgumentException(name);
      }
      sb.append('/').append(segment.replace("~", "~0").replace("/", "~1"));
    }
    return JsonPointer.compile(sb.toString());
  }

  /**
   * Fills the template from a JSON document.
   *
   * @param document the webhook's body
   * @param path whether the result is a path (values are encoded as segments) or a tag
   * @return the value, or the first field that is missing
   */
  Result resolve(JsonNode document, boolean path) {
    StringBuilder sb = new StringBuilder();
    for (Part p : parts) {
      if (p instanceof Literal l) {
        sb.append(l.text());
        continue;
      }
      Field f = (Field) p;
      JsonNode v = document.at(f.pointer());
      if (v.isMissingNode() || v.isNull() || v.isContainerNode()) {
        return new Result(null, f.name());
      }
      String text = v.asText();
      sb.append(path ? encode(text, f.reserved()) : text);
    }
    return new Result(sb.toString(), null);
  }

  /** Percent-encodes all but RFC 3986's unreserved characters (and '/' when reserved). */
  static String encode(String value, boolean keepSlash) {
    StringBuilder sb = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/')) {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return source;
  }
}
