package dev.fanout.receiver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The head of one HTTP/1.1 request as {@link ReceiverServer} accepts it: a request line, header
 * lines (names lower-cased), and what they decide before the body is read.
 *
 * @param method the request method
 * @param headers the headers by lower-case name
 * @param keepAlive whether the connection may serve another request after this one
 * @param contentLength the body length to read
 * @param expectsContinue whether the client waits for {@code 100 Continue} before the body
 */
record RequestHead(String method, Map<String, List<String>> headers, boolean keepAlive,
    int contentLength, boolean expectsContinue) {

  /**
   * Parses a head that ends with an empty line.
   *
   * @param head the bytes of the head
   * @param length how many of them are the head
   * @param path the one path served (a query is ignored)
   * @param maxBody the largest body accepted
   * @throws Rejection 400 for a malformed head, 404 for another path, 411 without a length for a
   *     {@code POST} (or with a chunked body), 413 for a declared length over {@code maxBody}
   */
  static RequestHead parse(byte[] head, int length, String path, int maxBody) throws Rejection {
    String[] lines = new String(head, 0, length, StandardCharsets.ISO_8859_1).split("\r?\n");
    String[] request = lines.length == 0 ? new String[0] : lines[0].split(" ", -1);
    if (request.length != 3 || !request[2].startsWith("HTTP/1.") || request[0].isEmpty()) {
      throw new Rejection(400, "bad request line");
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0 || lines[i].charAt(0) == ' ' || lines[i].charAt(0) == '\t') {
        throw new Rejection(400, "bad header line");
      }
      headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          k -> new ArrayList<>(1)).add(lines[i].substring(colon + 1).trim());
    }
    String method = request[0];
    String connection = String.join(",", headers.getOrDefault("connection", List.of())).toLowerCase(Locale.ROOT);
    boolean keepAlive = request[2].equals("HTTP/1.1") && !connection.contains("close");
    String target = request[1];
    int query = target.indexOf('?');
    if (!(query < 0 ? target : target.substring(0, query)).equals(path)) {
      throw new Rejection(404, "not found");
    }
    if (headers.containsKey("transfer-encoding")) {
      throw new Rejection(411, "a Content-Length is required");
    }
    List<String> lengths = headers.getOrDefault("content-length", List.of());
    long declared = 0;
    if (!lengths.isEmpty()) {
      String first = lengths.get(0);
      if (!lengths.stream().allMatch(first::equals) || !first.matches("[0-9]{1,18}")) {
        throw new Rejection(400, "bad Content-Length");
      }
      declared = Long.parseLong(first);
    } else if ("POST".equals(method)) {
      throw new Rejection(411, "a Content-Length is required");
    }
    if (declared > maxBody) {
      // Decided from the head: the body is never read.
      throw new Rejection(413, "body too large");
    }
    boolean expectsContinue = declared > 0 && headers.getOrDefault("expect", List.of()).stream()
        .anyMatch(v -> v.equalsIgnoreCase("100-continue"));
    return new RequestHead(method, headers, keepAlive, (int) declared, expectsContinue);
  }

  /** Whether the request line of a head names {@code path} (a query is ignored). */
  static boolean targets(byte[] head, int length, String path) {
    String text = new String(head, 0, length, StandardCharsets.ISO_8859_1);
    int end = text.indexOf('\n');
    String[] request = (end < 0 ? text : text.substring(0, end)).trim().split(" ", -1);
    if (request.length != 3) {
      return false;
    }
    int query = request[1].indexOf('?');
    return (query < 0 ? request[1] : request[1].substring(0, query)).equals(path);
  }
}
