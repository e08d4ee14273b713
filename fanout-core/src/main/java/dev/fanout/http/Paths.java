package dev.fanout.http;

import java.nio.charset.StandardCharsets;

/** Percent-encodes what is not allowed in a request target, leaving existing escapes alone. */
final class Paths {
  private Paths() {}

  static String encode(String target) {
    StringBuilder sb = new StringBuilder(target.length() + 16);
    byte[] bytes = target.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      if (b == '%' && i + 2 < bytes.length && hex(bytes[i + 1]) && hex(bytes[i + 2])) {
        sb.append('%');
      } else if (allowed(b)) {
        sb.append((char) b);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  private static boolean hex(byte b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
  }

  private static boolean allowed(int b) {
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
        || "-._~!$&'()*+,;=:@/?".indexOf(b) >= 0;
  }
}
