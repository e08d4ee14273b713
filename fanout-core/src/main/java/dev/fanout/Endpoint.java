package dev.fanout;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One replica of a cache-holding tier: an address and a port, with an optional name (a pod name,
 * say) and the replica's lifecycle state.
 *
 * <p>The address is an IPv4 literal, an IPv6 literal (without brackets; it is normalised so that
 * {@code ::1} and {@code 0:0:0:0:0:0:0:1} are the same endpoint) or a DNS host name. Building an
 * endpoint never performs a DNS lookup. Two endpoints with the same {@link #authority()} are the
 * same target: the engine contacts it once.
 *
 * @param address IP literal or host name
 * @param port TCP port, 1 to 65535
 * @param name a human-readable name for reports (e.g. the pod name), or {@code null}
 * @param state the replica's state as discovery saw it
 * @since 0.1
 */
public record Endpoint(String address, int port, String name, State state) {

  /**
   * The lifecycle state of a replica, as reported by discovery. Kubernetes EndpointSlice
   * conditions map onto it; DNS discovery only ever sees {@link #READY} replicas.
   *
   * @since 0.1
   */
  public enum State {
    /** Ready: receives traffic. */
    READY,
    /** Not ready yet and not terminating: starting up, may already hold cached content. */
    NOT_READY,
    /** Terminating but still serving requests (draining): may still serve cached content. */
    SERVING,
    /** Terminating and no longer serving. */
    TERMINATING
  }

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern HOST =
      Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
          + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");

  /**
   * Validates and normalises the components.
   *
   * @param address see the record description
   * @param port see the record description
   * @param name see the record description
   * @param state see the record description
   * @throws NullPointerException if {@code address} or {@code state} is null
   * @throws IllegalArgumentException if the address is neither an IP literal nor a host name, or
   *     the port is out of range
   */
  public Endpoint {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(state, "state");
    address = normalise(address);
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1..65535: " + port + " (" + address + ")");
    }
    if (name != null && name.isBlank()) {
      name = null;
    }
  }

  /**
   * Returns a {@link State#READY} endpoint without a name.
   *
   * @param address IP literal or host name
   * @param port TCP port
   * @return the endpoint
   * @throws IllegalArgumentException if the address or port is invalid
   */
  public static Endpoint of(String address, int port) {
    return new Endpoint(address, port, null, State.READY);
  }

  /**
   * Returns a {@link State#READY} endpoint for an IP address.
   *
   * @param address the address
   * @param port TCP port
   * @return the endpoint
   */
  public static Endpoint of(InetAddress address, int port) {
    return of(address.getHostAddress(), port);
  }

  /**
   * Parses {@code host:port}, {@code ipv4:port} or {@code [ipv6]:port}.
   *
   * @param hostPort the text
   * @return a {@link State#READY} endpoint
   * @throws IllegalArgumentException if the text is not of that form
   */
  public static Endpoint parse(String hostPort) {
    Objects.requireNonNull(hostPort, "hostPort");
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("expected host:port, got '" + hostPort + "'");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new IllegalArgumentException("IPv6 addresses need brackets: '" + hostPort + "'");
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in '" + hostPort + "'");
    }
    return of(host, port);
  }

  /**
   * Returns a copy with another name.
   *
   * @param newName the name, or {@code null}
   * @return the copy
   */
  public Endpoint withName(String newName) {
    return new Endpoint(address, port, newName, state);
  }

  /**
   * Returns a copy with another state.
   *
   * @param newState the state
   * @return the copy
   */
  public Endpoint withState(State newState) {
    return new Endpoint(address, port, name, newState);
  }

  /**
   * Returns a copy with another port (e.g. the port of a sidecar on the same replica).
   *
   * @param newPort the port
   * @return the copy
   */
  public Endpoint withPort(int newPort) {
    return new Endpoint(address, newPort, name, state);
  }

  /**
   * Returns whether the address is an IPv6 literal.
   *
   * @return true for IPv6
   */
  public boolean isIpv6() {
    return address.indexOf(':') >= 0;
  }

  /**
   * Returns {@code address:port}, with the address in brackets for IPv6, as used in a URI. This is
   * the endpoint's identity as a target.
   *
   * @return the authority
   */
  public String authority() {
    return (isIpv6() ? "[" + address + "]" : address) + ":" + port;
  }

  /**
   * Returns the authority, followed by the name in parentheses when there is one.
   *
   * @return a short description for reports
   */
  @Override
  public String toString() {
    return name == null ? authority() : authority() + " (" + name + ")";
  }

  private static String normalise(String address) {
    String a = address.trim();
    if (a.startsWith("[") && a.endsWith("]")) {
      a = a.substring(1, a.length() - 1);
    }
    if (a.isEmpty()) {
      throw new IllegalArgumentException("address must not be empty");
    }
    if (a.indexOf(':') >= 0) {
      if (!a.matches("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?")) {
        throw new IllegalArgumentException("not an IPv6 literal: '" + Invalidation.printable(a) + "'");
      }
      try {
        // A string with ':' is parsed as a literal, never looked up.
        InetAddress parsed = InetAddress.getByName(a);
        if (!(parsed instanceof Inet6Address)) {
          return parsed.getHostAddress();
        }
        return parsed.getHostAddress().toLowerCase(Locale.ROOT);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("not an IPv6 literal: '" + Invalidation.printable(a) + "'");
      }
    }
    if (IPV4.matcher(a).matches()) {
      StringBuilder canonical = new StringBuilder(15);
      for (String octet : a.split("\\.")) {
        int value = Integer.parseInt(octet);
        if (value > 255) {
          throw new IllegalArgumentException("not an IPv4 literal: '" + a + "'");
        }
        canonical.append(canonical.length() == 0 ? "" : ".").append(value);
      }
      return canonical.toString();
    }
    if (!HOST.matcher(a).matches() || a.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
      throw new IllegalArgumentException(
          "address is neither an IP literal nor a host name: '" + Invalidation.printable(a) + "'");
    }
    return a.toLowerCase(Locale.ROOT);
  }
}
