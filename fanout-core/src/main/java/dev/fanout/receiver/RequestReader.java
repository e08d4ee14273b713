package dev.fanout.receiver;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * Reads what arrives, within the caps: only {@code POST} (405), a declared {@code Content-Length}
 * within the body limit (413, decided before a byte is read), and a body read that stops one byte
 * past the limit (413, the rest left unread). Every entry point (the framework adapters, the JDK
 * {@code HttpServer} adapter and the verifier) makes these checks here, so they answer alike.
 */
final class RequestReader {
  private final int maxBodyBytes;

  RequestReader(int maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  int maxBodyBytes() {
    return maxBodyBytes;
  }

  /**
   * Checks what the method and head decide, before the body is read.
   *
   * @throws Rejection 405 for another method, 413 for a declared length over the limit
   */
  void checkHead(String method, Map<String, List<String>> headers) throws Rejection {
    checkMethod(method);
    if (declaredLength(headers) > maxBodyBytes) {
      throw tooLarge();
    }
  }

  /**
   * Checks a body that was read already (a framework handed it over whole).
   *
   * @throws Rejection 405 for another method, 413 for a body over the limit
   */
  void checkRead(String method, byte[] body) throws Rejection {
    checkMethod(method);
    if (body.length > maxBodyBytes) {
      throw tooLarge();
    }
  }

  /**
   * Checks the head, then reads the body up to the limit.
   *
   * @return the whole body
   * @throws Rejection 405, 413, or 400 when the stream fails
   */
  byte[] read(String method, Map<String, List<String>> headers, InputStream body)
      throws Rejection {
    checkHead(method, headers);
    byte[] bytes;
    try {
      bytes = readCapped(body, maxBodyBytes);
    } catch (IOException e) {
      throw new Rejection(400, "body could not be read");
    }
    if (bytes == null) {
      throw tooLarge();
    }
    return bytes;
  }

  private static void checkMethod(String method) throws Rejection {
    if (!"POST".equals(method)) {
      throw new Rejection(405, "method not allowed");
    }
  }

  private static Rejection tooLarge() {
    return new Rejection(413, "body too large");
  }

  /** Returns the declared {@code Content-Length}, or -1 when absent or unparseable. */
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
   * @return the body, or null if it is longer than {@code limit} (the rest is left unread)
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
