package dev.fanout.http;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One request as it goes on the wire, in a form both transports take: what every target of an
 * invalidation shares, prepared once, and where this one goes.
 *
 * @param shared the method, target, headers and body, and their bytes, the same for every target
 * @param authority {@code host:port}, brackets around an IPv6 literal
 * @param address where to connect: resolved for an IP literal, unresolved for a host name
 */
record WireRequest(Shared shared, String authority, InetSocketAddress address) {
  /**
   * The part of a request that does not depend on the target, with its HTTP/1.1 bytes around the
   * one line that does ({@code host}). The buffers are direct and shared by every target: the NIO
   * transport's one selector thread positions them before each write, so a fan-out copies no
   * request bytes per target. Anyone else reads them through a duplicate.
   *
   * @param method the HTTP method
   * @param scheme {@code http} or {@code https}
   * @param target the encoded request target
   * @param headers the headers in sending order, names lower-case, without {@code host}
   * @param body the body, empty for none
   * @param head {@code METHOD target HTTP/1.1 CRLF host: }
   * @param tail the end of the host line, the headers, {@code content-length}, the empty line and the body
   */
  record Shared(String method, String scheme, String target, List<Map.Entry<String, String>> headers,
      byte[] body, ByteBuffer head, ByteBuffer tail) {
    /** Prepares a request's shared part; header values are checked ASCII by the caller. */
    static Shared of(String method, String scheme, String target, List<Map.Entry<String, String>> headers,
        byte[] body) {
      String head = method + ' ' + target + " HTTP/1.1\r\nhost: ";
      StringBuilder sb = new StringBuilder(64 + 96 * headers.size()).append("\r\n");
      for (Map.Entry<String, String> h : headers) {
        sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      }
      sb.append("content-length: ").append(body.length).append("\r\n\r\n");
      byte[] tailHead = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
      ByteBuffer tail = ByteBuffer.allocateDirect(tailHead.length + body.length).put(tailHead).put(body).flip();
      return new Shared(method, scheme, target, List.copyOf(headers), body, direct(head), tail.asReadOnlyBuffer());
    }

    private static ByteBuffer direct(String ascii) {
      byte[] bytes = ascii.getBytes(StandardCharsets.ISO_8859_1);
      return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip().asReadOnlyBuffer();
    }
  }

  String method() {
    return shared.method();
  }

  String scheme() {
    return shared.scheme();
  }

  String target() {
    return shared.target();
  }

  List<Map.Entry<String, String>> headers() {
    return shared.headers();
  }

  byte[] body() {
    return shared.body();
  }

  /**
   * The request as HTTP/1.1 bytes, to be written in order, each from its start to its limit: the
   * shared head, this target's host, the shared tail. The shared buffers are returned as they are.
   */
  ByteBuffer[] buffers() {
    return new ByteBuffer[] {shared.head(), ByteBuffer.wrap(authority.getBytes(StandardCharsets.ISO_8859_1)),
        shared.tail()};
  }
}
