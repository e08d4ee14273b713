package dev.fanout.internal;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The settings every CDN purger's builder checks the same way: the API base URI, the hosts whose
 * URLs are purged, and the choice between a given HTTP client and one the purger builds. Each
 * builder still documents its own defaults. Part of the kernel; not part of the public API.
 */
public final class PurgerSettings {
  private static final Pattern HOST =
      Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?");

  private PurgerSettings() {}

  /**
   * A host as a builder's {@code host(String)} takes it.
   *
   * @param scheme {@code https}, or the scheme of the origin URL it was given as, lower case
   * @param authority the host name with its optional port, lower case
   */
  public record Origin(String scheme, String authority) {
    /**
     * Returns the host name without the port.
     *
     * @return the host name
     */
    public String hostName() {
      int colon = authority.indexOf(':');
      return colon < 0 ? authority : authority.substring(0, colon);
    }
  }

  /**
   * Reads a host name with an optional port ({@code www.example.com}, {@code example.com:8443}),
   * or an origin URL without path ({@code http://www.example.com/}).
   *
   * @param host the host as the user gave it
   * @return the host, or null when it is neither (the builder names the problem in its own words)
   * @throws NullPointerException if {@code host} is null
   */
  public static Origin origin(String host) {
    Objects.requireNonNull(host, "host");
    String h = host;
    String scheme = "https";
    String lower = h.toLowerCase(Locale.ROOT);
    if (lower.startsWith("https://") || lower.startsWith("http://")) {
      scheme = lower.substring(0, lower.indexOf(':'));
      h = h.substring(h.indexOf("://") + 3);
      if (h.endsWith("/")) {
        h = h.substring(0, h.length() - 1);
      }
    }
    if (!HOST.matcher(h).matches()) {
      return null;
    }
    return new Origin(scheme, h.toLowerCase(Locale.ROOT));
  }

  /**
   * Checks an API base URI and drops its trailing slashes. Plain {@code http} is accepted only for
   * literal loopback addresses (tests), so that a credential never crosses a network in clear text.
   *
   * @param baseUri the base URI
   * @return the URI without trailing slashes
   * @throws NullPointerException if {@code baseUri} is null
   * @throws IllegalArgumentException if it is not an absolute http(s) URI with a host and no
   *     query, fragment or user info, or is plain http to a host that is not a loopback address
   */
  public static URI baseUri(URI baseUri) {
    Objects.requireNonNull(baseUri, "baseUri");
    String scheme =
        baseUri.getScheme() == null ? "" : baseUri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new IllegalArgumentException("baseUri must be an http(s) URI: " + baseUri);
    }
    if (baseUri.getHost() == null || baseUri.getRawQuery() != null
        || baseUri.getRawFragment() != null || baseUri.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "baseUri must have a host and no query, fragment or user info: " + baseUri);
    }
    if (scheme.equals("http") && !HttpClients.isLoopbackLiteral(baseUri.getHost())) {
      throw new IllegalArgumentException(
          "baseUri must use https unless it is a loopback address: " + baseUri);
    }
    String s = baseUri.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return URI.create(s);
  }

  /**
   * Checks that a connect timeout was not set beside a given client; call it in {@code build()}
   * before anything else is created.
   *
   * @param httpClient the client the user gave, or null
   * @param connectTimeout the connect timeout the user set, or null
   * @throws IllegalStateException if both are set
   */
  public static void checkClient(HttpClient httpClient, Duration connectTimeout) {
    if (httpClient != null && connectTimeout != null) {
      throw new IllegalStateException(
          "connectTimeout applies only to the client the purger builds; set it on the given"
              + " httpClient instead");
    }
  }

  /**
   * Returns the given client, or builds one ({@link HttpClients#newClient}).
   *
   * @param httpClient the client the user gave, or null
   * @param connectTimeout the connect timeout the user set, or null for {@code defaultTimeout}
   * @param defaultTimeout the purger's default connect timeout
   * @param threadName the prefix of the built client's thread names
   * @return the client
   */
  public static HttpClient client(HttpClient httpClient, Duration connectTimeout,
      Duration defaultTimeout, String threadName) {
    return httpClient != null ? httpClient : HttpClients.newClient(threadName,
        connectTimeout != null ? connectTimeout : defaultTimeout);
  }
}
