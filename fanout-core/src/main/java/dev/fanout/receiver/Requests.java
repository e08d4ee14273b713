package dev.fanout.receiver;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reading what arrives: header look-up and a body read that stops at the limit. */
final class Requests {
  private Requests() {}

  /**
   * Returns the single value of a header, matched case-insensitively.
   *
   * @param headers the headers (any case; null keys and values are ignored)
   * @param name the lower-case header name
   * @param missingStatus the status for an absent or empty header
   * @return the value
   * @throws Rejection if the header is absent, empty or given more than once
   */
  static String single(Map<String, List<String>> headers, String name, int missingStatus)
      throws Rejection {
    String found = null;
    int count = 0;
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      String key = e.getKey();
      if (key == null || key.length() != name.length() || !key.toLowerCase(Locale.ROOT).equals(name)) {
        continue;
      }
      List<String> values = e.getValue();
      if (values == null) {
        continue;
      }
      for (String v : values) {
        if (v != null) {
          count++;
          found = v;
        }
      }
    }
    if (count > 1) {
      throw new Rejection(400, "duplicate " + name + " header");
    }
    if (found == null || found.isEmpty()) {
      throw new Rejection(missingStatus, "missing " + name + " header");
    }
    return found;
  }

  /**
   * Returns the declared {@code Content-Length}, or -1 when absent or unparseable.
   *
   * @param headers the headers
   * @return the length, or -1
   */
  static long declaredLength(Map<String, List<String>> headers) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey() != null && e.getKey().equalsIgnoreCase("content-length") && e.getValue() != null) {
        for (String v : e.getValue()) {
          if (v != null && v.trim().matches("[0-9]{1,18}")) {
            return Long.parseLong(v.trim());
          }
        }
      }
    }
    return -1;
  }

  /**
   * Reads a body, stopping as soon as it exceeds {@code limit}.
   *
   * @param in the stream
   * @param limit the most bytes accepted
   * @return the body, or null if it is longer than {@code limit} (the rest is left unread)
   * @throws IOException if reading fails
   */
  static byte[] readCapped(InputStream in, int limit) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(limit + 1, 8192));
    byte[] buf = new byte[8192];
    int total = 0;
    while (true) {
      int want = Math.min(buf.length, limit + 1 - total);
      int n = in.read(buf, 0, want);
      if (n < 0) {
        return out.toByteArray();
      }
      total += n;
      if (total > limit) {
        return null;
      }
      out.write(buf, 0, n);
    }
  }
}
