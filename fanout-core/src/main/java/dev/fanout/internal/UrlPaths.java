package dev.fanout.internal;

import java.nio.charset.StandardCharsets;

/**
 * The one way an invalidation's path becomes the path of a URL: a request target of {@code
 * HttpNotifier}, or a URL a purger names to a CDN API.
 * Part of the kernel; not part of the public API.
 */
public final class UrlPaths {
  private UrlPaths() {}

  /**
   * Percent-encodes (as UTF-8) every character of a path that may not appear in a URI path or
   * query, so that {@code /café} purges the URL a browser requests, {@code /caf%C3%A9} (CDNs key
   * their caches on the encoded URL). Existing {@code %XX} escapes and the query string are kept as
   * they are.
   *
   * @param path the path, possibly with a query string
   * @return the encoded path
   */
  public static String encode(String path) {
    StringBuilder sb = new StringBuilder(path.length() + 16);
    byte[] utf8 = path.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < utf8.length; i++) {
      int b = utf8[i] & 0xff;
      if (b == '%' && i + 2 < utf8.length && isHex(utf8[i + 1]) && isHex(utf8[i + 2])) {
        sb.append('%');
      } else if (b < 0x80 && isAllowed((char) b)) {
        sb.append((char) b);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  private static boolean isHex(byte b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
  }

  /** RFC 3986 pchar plus '/' and '?': unreserved, sub-delims, ':' and '@'. */
  private static boolean isAllowed(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "-._~!$&'()*+,;=:@/?".indexOf(c) >= 0;
  }
}
