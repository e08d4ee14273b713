package dev.fanout.receiver;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decides whether a path is a plain absolute path: what a replica may safely hand to its cache
 * ({@code revalidatePath}, a map key, a purge). Never resolves or fetches anything.
 *
 * <p>A plain path starts with one {@code /} (so it has no scheme and no host), contains no
 * backslash, fragment, whitespace, control, format or unpaired surrogate character, has only
 * well-formed percent escapes that decode to UTF-8, and, once decoded, still has none of those and
 * no {@code .} or {@code ..} segment. A query ({@code ?...}) is allowed; its content is not
 * inspected for segments.
 */
final class PlainPaths {
  private PlainPaths() {}

  /**
   * Checks a path.
   *
   * @param path the path
   * @return null if it is plain, otherwise a short reason that does not quote the path
   */
  static String problem(String path) {
    if (path.isEmpty() || path.charAt(0) != '/') {
      return "path is not absolute";
    }
    if (path.length() > 1 && (path.charAt(1) == '/' || path.charAt(1) == '\\')) {
      return "path names a host";
    }
    String bad = badCharacter(path);
    if (bad != null) {
      return bad;
    }
    int q = path.indexOf('?');
    String pathPart = q < 0 ? path : path.substring(0, q);
    String decoded = percentDecode(pathPart);
    if (decoded == null) {
      return "path has a malformed percent escape";
    }
    if (!decoded.equals(pathPart)) {
      bad = badCharacter(decoded);
      if (bad != null) {
        return "encoded " + bad;
      }
      if (decoded.length() > 1 && decoded.charAt(1) == '/') {
        return "path names a host";
      }
    }
    for (String segment : decoded.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")
          || segment.startsWith(".;") || segment.startsWith("..;")) {
        return "path has a dot segment";
      }
    }
    return null;
  }

  private static String badCharacter(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          continue;
        }
        return "path has an unpaired surrogate";
      }
      if (Character.isLowSurrogate(c)) {
        return "path has an unpaired surrogate";
      }
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        return "path has a control character";
      }
      if (c == '\\') {
        return "path has a backslash";
      }
      if (c == '#') {
        return "path has a fragment";
      }
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        return "path has whitespace";
      }
      if (Character.getType(c) == Character.FORMAT) {
        return "path has a format character";
      }
    }
    return null;
  }

  /** Decodes %HH escapes as UTF-8; returns null for a malformed escape or invalid UTF-8. */
  private static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    byte[] raw = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (b == '%') {
        if (i + 2 >= raw.length) {
          return null;
        }
        int hi = Character.digit(raw[i + 1], 16);
        int lo = Character.digit(raw[i + 2], 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else {
        out.write(b);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
