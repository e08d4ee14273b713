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

  /** Signatures of a plan's parts at one second. */
  private record Signatures(long timestamp, String[] values) {}

  /** The requests an invalidation becomes, the same for every target. */
  static final class Plan {
    final Invalidation invalidation;
    final List<Part> parts;
    /** Whether the parts are chunks of one body, named so in failures. */
    final boolean chunked;
    volatile Signatures signatures;

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
  WireRequest signal(Endpoint endpoint, String id, dev.fanout.spi.CatchUpSignal signal) {
    if (!(settings.shape() instanceof JsonShape json)) {
      return null;
    }
    byte[] body = dev.fanout.catchup.CatchUpWire.body(id, signal);
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
    long ts = settings.clock().instant().getEpochSecond();
    String[] signatures = settings.signer() == null ? null : signatures(plan, ts);
    String host = endpoint.isIpv6() ? "[" + endpoint.address() + "]" : endpoint.address();
    int p = settings.port() > 0 ? settings.port() : endpoint.port();
    InetSocketAddress address = isLiteral(endpoint)
        ? new InetSocketAddress(literal(endpoint.address()), p)
        : InetSocketAddress.createUnresolved(endpoint.address(), p);
    for (int i = 0; i < plan.parts.size(); i++) {
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
      if (signatures != null) {
        hs.add(Map.entry("webhook-id", part.webhookId()));
        hs.add(Map.entry("webhook-timestamp", Long.toString(ts)));
        hs.add(Map.entry("webhook-signature", signatures[i]));
      }
      out.add(new WireRequest(settings.method(), settings.scheme(), host + ":" + p,
          Paths.encode(part.target()), hs, part.body(), address));
    }
    return out;
  }

  private String[] signatures(Plan plan, long ts) {
    Signatures s = plan.signatures;
    if (s != null && s.timestamp() == ts) {
      return s.values();
    }
    String[] values = new String[plan.parts.size()];
    for (int i = 0; i < values.length; i++) {
      Part part = plan.parts.get(i);
      values[i] = settings.signer().sign(part.webhookId(), ts, part.body());
    }
    plan.signatures = new Signatures(ts, values);
    return values;
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

  private static boolean isLiteral(Endpoint e) {
    return e.isIpv6() || IPV4.matcher(e.address()).matches();
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
