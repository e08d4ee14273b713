package dev.fanout.http;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Turns an invalidation and a target into the requests to send: the {@link RequestShape}'s parts,
 * planned once per invalidation and signed once per second (not once per replica), then addressed
 * to the endpoint with the configured headers. Thread-safe.
 */
final class RequestFactory {
  private static final String USER_AGENT = "fanout/0.1";
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /**
   * How requests are built.
   *
   * @param shape what requests an invalidation becomes
   * @param method the HTTP method
   * @param scheme {@code http} or {@code https}
   * @param port the port to send to, or 0 for the endpoint's
   * @param headers computed headers by lower-case name, in order
   * @param signer signs each part, or null for unsigned requests
   * @param clock for signature timestamps
   */
  record Settings(RequestShape shape, String method, String scheme, int port,
      Map<String, Function<Invalidation, String>> headers, WebhookSigner signer, Clock clock) {
    Settings {
      headers = new LinkedHashMap<>(headers);
    }
  }

  /** A plan's requests as prepared at one second (the signatures' timestamp; 0 when unsigned). */
  private record Prepared(long timestamp, WireRequest.Shared[] parts) {}

  /** The requests an invalidation becomes, the same for every target. */
  static final class Plan {
    final Invalidation invalidation;
    final List<Part> parts;
    /** Whether the parts are chunks of one body, named so in failures. */
    final boolean chunked;
    volatile Prepared prepared;

    private Plan(Invalidation invalidation, List<Part> parts, boolean chunked) {
      this.invalidation = invalidation;
      this.parts = parts;
      this.chunked = chunked;
    }
  }

  private final Settings settings;
  /** The last few invalidations' plans: a fan-out plans once and delivers to every target. */
  private final AtomicReferenceArray<Plan> plans = new AtomicReferenceArray<>(4);
  private final AtomicInteger nextPlanSlot = new AtomicInteger();

  RequestFactory(Settings settings) {
    this.settings = settings;
  }

  Settings settings() {
    return settings;
  }

  /** Returns the plan of this invalidation, made once for every target. */
  Plan plan(Invalidation invalidation) {
    for (int i = 0; i < plans.length(); i++) {
      Plan p = plans.get(i);
      if (p != null && p.invalidation == invalidation) {
        return p;
      }
    }
    List<Part> parts = List.copyOf(settings.shape().parts(invalidation));
    Plan fresh = new Plan(invalidation, parts, settings.shape().chunks() && parts.size() > 1);
    plans.set(Math.floorMod(nextPlanSlot.getAndIncrement(), plans.length()), fresh);
    return fresh;
  }

  /**
   * Addresses a catch-up signal ({@link dev.fanout.catchup.CatchUpWire}) to one endpoint, on the
   * JSON shape's path; null for the other shapes, whose receivers cannot answer it.
   */
  WireRequest signal(Endpoint endpoint, String id, dev.fanout.spi.CatchUpSignal signal, String nonce) {
    if (!(settings.shape() instanceof JsonShape json)) {
      return null;
    }
    byte[] body = dev.fanout.catchup.CatchUpWire.body(id, signal, nonce);
    return requests(endpoint, new Plan(null, List.of(new Part(null, json.describeTarget(), body, id)), false))
        .get(0);
  }

  /**
   * Addresses a plan's parts to one endpoint.
   *
   * @throws IllegalArgumentException if a computed header would carry a control or non-ASCII
   *     character
   */
  List<WireRequest> requests(Endpoint endpoint, Plan plan) {
    List<WireRequest> out = new ArrayList<>(plan.parts.size());
    if (plan.parts.isEmpty()) {
      return out;
    }
    WireRequest.Shared[] shared = prepared(plan);
    int p = settings.port() > 0 ? settings.port() : endpoint.port();
    String authority = settings.port() > 0 ? (endpoint.isIpv6() ? "[" + endpoint.address() + "]" : endpoint.address())
        + ":" + p : endpoint.authority();
    InetSocketAddress address = address(endpoint.address(), p, endpoint.isIpv6());
    for (WireRequest.Shared s : shared) {
      out.add(new WireRequest(s, authority, address));
    }
    return out;
  }

  /**
   * The plan's requests without the target: headers computed, signed, encoded to bytes once per
   * invalidation, and again only when the second of the signatures' timestamp changes.
   */
  private WireRequest.Shared[] prepared(Plan plan) {
    long ts = settings.signer() == null ? 0 : settings.clock().instant().getEpochSecond();
    Prepared ready = plan.prepared;
    if (ready != null && ready.timestamp() == ts) {
      return ready.parts();
    }
    WireRequest.Shared[] parts = new WireRequest.Shared[plan.parts.size()];
    for (int i = 0; i < parts.length; i++) {
      Part part = plan.parts.get(i);
      List<Map.Entry<String, String>> hs = new ArrayList<>();
      hs.add(Map.entry("user-agent", USER_AGENT));
      if (part.body().length > 0) {
        hs.add(Map.entry("content-type", "application/json"));
      }
      for (Map.Entry<String, Function<Invalidation, String>> h : settings.headers().entrySet()) {
        String value = part.invalidation() != null ? h.getValue().apply(part.invalidation())
            : signalHeader(h.getValue());
        if (value != null && !value.isEmpty()) {
          // Header values are ASCII on the wire: a tag such as "caf\u00e9" would reach Varnish
          // mangled, be acknowledged, and purge nothing. Refuse it so the report says so.
          if (!isHeaderSafe(value)) {
            throw new IllegalArgumentException("header " + h.getKey()
                + " would contain a control or non-ASCII character");
          }
          hs.add(Map.entry(h.getKey(), value));
        }
      }
      if (settings.signer() != null) {
        hs.add(Map.entry("webhook-id", part.webhookId()));
        hs.add(Map.entry("webhook-timestamp", Long.toString(ts)));
        hs.add(Map.entry("webhook-signature", settings.signer().sign(part.webhookId(), ts, part.body())));
      }
      parts[i] = WireRequest.Shared.of(settings.method(), settings.scheme(), dev.fanout.internal.UrlPaths.encode(part.target()), hs,
          part.body());
    }
    plan.prepared = new Prepared(ts, parts);
    return parts;
  }

  /**
   * A header for a catch-up signal, which carries no invalidation: static headers (an ingress's
   * authorization, say) are sent, a header computed from the invalidation is left out.
   */
  private static String signalHeader(Function<Invalidation, String> value) {
    try {
      return value.apply(null);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Printable ASCII and tab only; a plain loop, since it runs for every header of every request. */
  static boolean isHeaderSafe(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /**
   * Where to connect: an IP literal is parsed (never looked up), a host name stays unresolved. A
   * dotted quad is parsed here, without a regular expression or {@link InetAddress#getByName}'s
   * look-up machinery, since it runs for every target.
   */
  static InetSocketAddress address(String host, int port, boolean ipv6) {
    byte[] v4 = ipv4(host);
    if (v4 != null) {
      try {
        return new InetSocketAddress(InetAddress.getByAddress(v4), port);
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }
    if (ipv6 || IPV4.matcher(host).matches()) {
      return new InetSocketAddress(literal(host), port);
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** The four bytes of a canonical dotted quad (no leading zeros, each 0 to 255), or null. */
  static byte[] ipv4(String s) {
    byte[] out = new byte[4];
    int part = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '.';
      if (c == '.') {
        if (digits == 0 || part == 4) {
          return null;
        }
        out[part++] = (byte) value;
        value = 0;
        digits = 0;
      } else if (c >= '0' && c <= '9' && digits < 3 && !(digits == 1 && value == 0)) {
        value = value * 10 + (c - '0');
        digits++;
        if (value > 255) {
          return null;
        }
      } else {
        return null;
      }
    }
    return part == 4 ? out : null;
  }

  private static InetAddress literal(String address) {
    try {
      // An IP literal is parsed, never looked up.
      return InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP literal: " + address);
    }
  }
}
