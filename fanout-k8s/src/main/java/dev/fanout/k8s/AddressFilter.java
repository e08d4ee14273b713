package dev.fanout.k8s;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Address;

/**
 * Decides which discovered addresses may become targets (the SSRF guard).
 *
 * <p>Discovery answers come from the network (a DNS server, the API server) and the sender opens a
 * connection to each: a poisoned answer must not turn it into a probe of the node's loopback, the
 * cloud metadata service or a link-local neighbour. Denied by default: loopback, link-local
 * (which holds the AWS, GCP and Azure metadata address 169.254.169.254), the other metadata
 * addresses below, the unspecified address and multicast.
 *
 * <p>A denied address is accepted only when an allowlist entry contains it and is no wider than the
 * denied range it fell in, so {@code 127.0.0.0/8} re-opens loopback but {@code 0.0.0.0/0} never
 * re-opens the metadata address. When the allowlist is not empty, addresses outside it are dropped
 * too.
 */
final class AddressFilter {
  private static final Logger log = LoggerFactory.getLogger(AddressFilter.class);

  /** Ranges no replica lives in; see the class comment for why each is there. */
  static final List<Cidr> DENIED = List.of(
      Cidr.parse("127.0.0.0/8"), // loopback
      Cidr.parse("169.254.0.0/16"), // link-local, incl. 169.254.169.254 (AWS, GCP, Azure IMDS)
      Cidr.parse("0.0.0.0/8"), // "this network", incl. the unspecified address
      Cidr.parse("224.0.0.0/4"), // multicast
      Cidr.parse("100.100.100.200/32"), // Alibaba Cloud metadata
      Cidr.parse("168.63.129.16/32"), // Azure WireServer
      Cidr.parse("::1/128"), // loopback
      Cidr.parse("::/128"), // unspecified
      Cidr.parse("fe80::/10"), // link-local
      Cidr.parse("ff00::/8"), // multicast
      Cidr.parse("fd00:ec2::254/128")); // AWS metadata over IPv6

  /** Drops nothing but the defaults. */
  static final AddressFilter DEFAULT = new AddressFilter(List.of());

  private final List<Cidr> allow;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  AddressFilter(List<Cidr> allow) {
    this.allow = List.copyOf(allow);
  }

  List<Cidr> allowlist() {
    return allow;
  }

  /**
   * Returns whether the address may be a target.
   *
   * @param address an IP address (never a host name)
   * @return true if accepted
   */
  boolean accepts(InetAddress address) {
    InetAddress a = unmap(address);
    Cidr allowedBy = null;
    for (Cidr c : allow) {
      if (c.contains(a) && (allowedBy == null || c.prefix() > allowedBy.prefix())) {
        allowedBy = c;
      }
    }
    if (!allow.isEmpty() && allowedBy == null) {
      return false;
    }
    for (Cidr denied : DENIED) {
      if (denied.contains(a) && (allowedBy == null || allowedBy.prefix() < denied.prefix())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns whether the literal is an accepted IP address; logs a dropped one (WARN the first time
   * per address, then DEBUG, so a poisoned answer cannot flood the log).
   *
   * @param literal an IP literal
   * @param source what produced it, for the log line
   * @return true if accepted; false for a dropped address or a string that is not an IP literal
   */
  boolean acceptsLiteral(String literal, String source) {
    InetAddress a = parseLiteral(literal);
    if (a == null) {
      log.debug("{}: ignoring '{}': not an IP address", source, printable(literal));
      return false;
    }
    return acceptsLogged(a, source);
  }

  boolean acceptsLogged(InetAddress a, String source) {
    if (accepts(a)) {
      return true;
    }
    String text = a.getHostAddress();
    if (warned.size() < 1000 && warned.add(text)) {
      log.warn("{}: dropped address {} (loopback, link-local, metadata or outside the allowlist;"
          + " allow it with allowCidr if it is really a replica)", source, text);
    } else {
      log.debug("{}: dropped address {}", source, text);
    }
    return false;
  }

  /** Parses an IP literal without any name lookup; null if it is not one. */
  static InetAddress parseLiteral(String literal) {
    if (literal == null || literal.isEmpty() || literal.length() > 64) {
      return null;
    }
    try {
      String s = literal.startsWith("[") && literal.endsWith("]")
          ? literal.substring(1, literal.length() - 1) : literal;
      if (s.indexOf('%') >= 0) {
        // Zone ids make no sense for a remote replica and would need an interface lookup.
        return null;
      }
      return Address.getByAddress(s);
    } catch (java.net.UnknownHostException e) {
      return null;
    }
  }

  private static InetAddress unmap(InetAddress a) {
    if (a instanceof Inet6Address) {
      byte[] b = a.getAddress();
      boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      for (int i = 0; i < 10 && mapped; i++) {
        mapped = b[i] == 0;
      }
      if (mapped) {
        try {
          return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (java.net.UnknownHostException e) {
          throw new AssertionError(e);
        }
      }
    }
    return a;
  }

  static String printable(String s) {
    return printable(s, 100);
  }

  /** Returns at most {@code max} characters of {@code s}, control and non-ASCII ones as '?'. */
  static String printable(String s, int max) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < max; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }

  @Override
  public String toString() {
    return allow.isEmpty() ? "default" : "allow " + allow;
  }

  /**
   * An IPv4 or IPv6 network in CIDR notation.
   *
   * @param network the network address (host bits cleared)
   * @param prefix the prefix length
   */
  record Cidr(InetAddress network, int prefix) {
    Cidr {
      Objects.requireNonNull(network, "network");
    }

    /**
     * Parses {@code a.b.c.d/n} or {@code x::y/n}; a bare address is a single-host network.
     *
     * @throws IllegalArgumentException if the text is not a CIDR
     */
    static Cidr parse(String text) {
      Objects.requireNonNull(text, "cidr");
      String t = text.trim();
      int slash = t.indexOf('/');
      InetAddress a = parseLiteral(slash < 0 ? t : t.substring(0, slash));
      if (a == null) {
        throw new IllegalArgumentException("not a CIDR (address/prefix): '" + printable(text) + "'");
      }
      int bits = a instanceof Inet4Address ? 32 : 128;
      int prefix = bits;
      if (slash >= 0) {
        try {
          prefix = Integer.parseInt(t.substring(slash + 1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("bad prefix length in CIDR '" + printable(text) + "'");
        }
        if (prefix < 0 || prefix > bits) {
          throw new IllegalArgumentException(
              "prefix length must be 0.." + bits + " in CIDR '" + printable(text) + "'");
        }
      }
      byte[] b = a.getAddress();
      for (int i = 0; i < b.length; i++) {
        int keep = Math.max(0, Math.min(8, prefix - 8 * i));
        b[i] &= (byte) (0xff << (8 - keep));
      }
      try {
        return new Cidr(InetAddress.getByAddress(b), prefix);
      } catch (java.net.UnknownHostException e) {
        throw new AssertionError(e);
      }
    }

    boolean contains(InetAddress a) {
      byte[] n = network.getAddress();
      byte[] b = a.getAddress();
      if (n.length != b.length) {
        return false;
      }
      for (int i = 0; i < n.length; i++) {
        int keep = Math.max(0, Math.min(8, prefix - 8 * i));
        int mask = (0xff << (8 - keep)) & 0xff;
        if ((n[i] & mask) != (b[i] & mask)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return network.getHostAddress() + "/" + prefix;
    }
  }
}
