package dev.fanout.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * The {@link HttpClient} a component builds for itself when a user gives none, and the rule for
 * when plain {@code http} is allowed. Part of the kernel; not part of the public API (users give
 * their own client with the builders' {@code httpClient} methods).
 */
public final class HttpClients {
  private HttpClients() {}

  /**
   * Creates a client for an HTTP/1.1 API: the given connect timeout, redirects never followed (a
   * redirect could carry a credential elsewhere), and its own daemon threads.
   *
   * @param threadName the prefix of its threads' names, e.g. {@code fanout-fastly-http}
   * @param connectTimeout the connect timeout
   * @return the client
   */
  public static HttpClient newClient(String threadName, Duration connectTimeout) {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .executor(Executors.newCachedThreadPool(Schedulers.daemonThreads(threadName)))
        .build();
  }

  /**
   * Whether {@code host} is a loopback address literal ({@code 127.0.0.1}, {@code [::1]}), the only
   * place a credential may travel over plain {@code http} (a stand-in in tests). Only literals
   * count, so no DNS lookup happens: a name such as {@code localhost} could resolve anywhere.
   *
   * @param host the URI's host, an IPv6 literal in brackets or not
   * @return true for a loopback literal
   */
  public static boolean isLoopbackLiteral(String host) {
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (!h.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
      return false;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
