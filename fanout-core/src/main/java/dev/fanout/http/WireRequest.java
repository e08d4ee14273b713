package dev.fanout.http;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * One request as it goes on the wire, in a form both transports take.
 *
 * @param method the HTTP method
 * @param scheme {@code http} or {@code https}
 * @param authority {@code host:port}, brackets around an IPv6 literal
 * @param target the encoded request target
 * @param headers the headers in sending order, names lower-case
 * @param body the body, empty for none
 * @param address where to connect: resolved for an IP literal, unresolved for a host name
 */
record WireRequest(String method, String scheme, String authority, String target,
    List<Map.Entry<String, String>> headers, byte[] body, InetSocketAddress address) {}
