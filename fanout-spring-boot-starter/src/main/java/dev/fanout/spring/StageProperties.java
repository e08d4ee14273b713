package dev.fanout.spring;

import dev.fanout.Endpoint;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.convert.DurationStyle;

/**
 * One entry of {@code fanout.stages}: a fan-out stage (a {@code discovery} and a {@code notifier})
 * or a purge stage (one or more of {@code cloudfront}, {@code fastly}, {@code cloudflare}, {@code
 * purger-beans}), never both. Unset values take the library's defaults ({@link
 * dev.fanout.Stage#fanout}).
 *
 * @param name The stage's name in reports, logs and metrics: 1 to 64 characters of '[A-Za-z0-9._-]', unique.
 * @param discovery How a fan-out stage finds its replicas: exactly one of 'endpoints', 'dns', 'kubernetes'.
 * @param notifier How a fan-out stage delivers to one replica.
 * @param gate When later stages may start: 'all' (default), 'proceed', 'quorum(0.9)' or 'at-least(2)'.
 * @param minTargets The fewest replicas discovery must find (default 1).
 * @param concurrency The most attempts in flight at once (default 1024).
 * @param attemptTimeout The timeout of one attempt, response body included (default 5s).
 * @param retry How a failed replica is retried.
 * @param states The endpoint states that receive the invalidation (default: all but 'terminating').
 * @param recheck Whether membership is re-checked after the fan-out (default true).
 * @param cloudfront An Amazon CloudFront purger (needs fanout-cloudfront).
 * @param fastly A Fastly purger (needs fanout-fastly).
 * @param cloudflare A Cloudflare purger (needs fanout-cloudflare).
 * @param purgerBeans Names of {@link dev.fanout.spi.Purger} beans of the application to run in this
 *     purge stage.
 * @param catchUp Catch-up of a fan-out stage's replicas that join or come back: 'catch-up.window'
 *     (or just 'catch-up: 24h') and optional knobs; off when unset.
 * @since 0.1
 */
public record StageProperties(
    String name,
    Discovery discovery,
    Notifier notifier,
    String gate,
    Integer minTargets,
    Integer concurrency,
    Duration attemptTimeout,
    Retry retry,
    Set<Endpoint.State> states,
    Boolean recheck,
    CloudFront cloudfront,
    Fastly fastly,
    Cloudflare cloudflare,
    List<String> purgerBeans,
    CatchUp catchUp) {

  /**
   * Catch-up of a fan-out stage ({@code Stage.fanout(...).catchUp(policy)}): each replica that joins
   * the stage's discovery, or comes back after being unreachable or not ready, is sent every path
   * and tag invalidated in the window. Unset knobs take {@code CatchUpPolicy.of(window)}'s
   * defaults. {@code catch-up: 24h} is short for {@code catch-up.window: 24h}.
   *
   * @param window How far back the history sent to a replica reaches, e.g. '24h' (required).
   * @param settle How long a replica must be stable before its catch-up starts; appearances within it coalesce (default 1s).
   * @param maxConcurrent The most catch-ups of this stage in flight at once, 1 to 1024 (default 4).
   * @param retry How a failed catch-up is retried before it is reported (default 8 attempts, backoff from 500ms capped at 5s).
   * @param poll How often membership is asked again when the discovery cannot report changes (default 5s).
   * @param clockSkew How much earlier than a replica's 'fresh since' the history starts (default 2s).
   * @since 0.2
   */
  public record CatchUp(
      Duration window,
      Duration settle,
      Integer maxConcurrent,
      Retry retry,
      Duration poll,
      Duration clockSkew) {

    /**
     * Returns the catch-up of a window with every knob at its default: what {@code catch-up: 24h}
     * binds to (Spring's conversion finds this method for a text value).
     *
     * @param window the window, e.g. {@code 24h} or {@code PT24H}
     * @return the catch-up
     * @throws IllegalArgumentException if the text is not a duration; the binding then fails naming
     *     the property
     */
    public static CatchUp valueOf(String window) {
      return new CatchUp(DurationStyle.detectAndParse(window.trim()), null, null, null, null, null);
    }
  }

  /**
   * How a fan-out stage finds its replicas: exactly one of the three.
   *
   * @param endpoints A static list of 'host:port' (IPv6 as '[::1]:8080').
   * @param dns A headless Service's DNS records (needs fanout-k8s).
   * @param kubernetes A Service's EndpointSlices through the Kubernetes API (needs fanout-k8s).
   * @since 0.1
   */
  public record Discovery(List<String> endpoints, Dns dns, Kubernetes kubernetes) {}

  /**
   * DNS discovery ({@code DnsDiscovery}): A/AAAA records with a fixed port, or SRV records of a
   * named port.
   *
   * @param name The Service's DNS name, e.g. 'web-headless.shop.svc.cluster.local.'.
   * @param port The port of every address (A/AAAA); either this or 'srv'.
   * @param srv The Service port's name whose SRV records give targets and ports, e.g. 'http'.
   * @param servers DNS servers to ask, 'ip:port' (default: resolv.conf's).
   * @param searchDomains Search domains for a relative name (default: resolv.conf's).
   * @param deadline The deadline of one query, retries included (default 5s).
   * @param attemptTimeout The timeout of one attempt of a query (default: the deadline divided by
   *     the attempts).
   * @param retry How a failed query is retried, rotating over the servers (default 3 attempts,
   *     backoff from 50ms capped at 400ms).
   * @param maxTtl The longest an answer is reused (default 5s; 0 asks on every lookup).
   * @param maxTargets The most targets a lookup may produce (default 4096).
   * @param allowCidrs The address allowlist, e.g. '10.0.0.0/8'; loopback, link-local and
   *     metadata addresses are dropped unless a CIDR allows them.
   * @since 0.1
   */
  public record Dns(
      String name,
      Integer port,
      String srv,
      List<String> servers,
      List<String> searchDomains,
      Duration deadline,
      Duration attemptTimeout,
      Retry retry,
      Duration maxTtl,
      Integer maxTargets,
      List<String> allowCidrs) {}

  /**
   * Kubernetes discovery ({@code KubernetesDiscovery}): the EndpointSlices of a Service, in watch
   * mode by default.
   *
   * @param service The Service's name.
   * @param portName The name of the Service port to use ('""' for the unnamed port).
   * @param port A port to use on every endpoint instead of the slices' (e.g. a sidecar's).
   * @param namespace The Service's namespace (default: the pod's own).
   * @param watch Whether to keep a live view with a watch (default true) or list on every lookup.
   * @param inCluster Whether to take the API server, token, CA and namespace from the pod this runs
   *     in (default true).
   * @param apiServer The API server's base URI when not in cluster.
   * @param tokenFile The bearer token file when not in cluster.
   * @param caCertificate The API server CA's PEM file when not in cluster.
   * @param allowCidrs The address allowlist (see 'dns.allow-cidrs').
   * @since 0.1
   */
  public record Kubernetes(
      String service,
      String portName,
      Integer port,
      String namespace,
      Boolean watch,
      Boolean inCluster,
      URI apiServer,
      String tokenFile,
      String caCertificate,
      List<String> allowCidrs) {}

  /**
   * The HTTP notifier ({@code HttpNotifier}) of a fan-out stage.
   *
   * @param preset 'signed-post' (default: the signed JSON POST that Next.js routes and
   *     fanout's receivers verify), 'varnish-purge' ('PURGE' of each path) or 'varnish-xkey' ('PURGE' with an 'xkey-purge' header of the tags).
   * @param path The request path (default '/api/revalidate').
   * @param port A port to send to instead of each endpoint's.
   * @param https Whether to use HTTPS (default false).
   * @param signingSecret The Standard Webhooks secret ('whsec_' and base64); required for 'signed-post' unless 'unsigned' is true.
   * @param unsigned Send 'signed-post' requests without a signature, explicitly (default
   *     false).
   * @param headers Static headers added to every request.
   * @param connectTimeout The connect timeout (default 2s).
   * @since 0.1
   */
  public record Notifier(
      Preset preset,
      String path,
      Integer port,
      Boolean https,
      String signingSecret,
      Boolean unsigned,
      Map<String, String> headers,
      Duration connectTimeout) {

    /**
     * Returns a description without the secret.
     *
     * @return the description
     */
    @Override
    public String toString() {
      return "Notifier[preset=" + preset + ", path=" + path + ", port=" + port + ", https=" + https
          + ", signingSecret=" + Redacted.of(signingSecret) + ", unsigned=" + unsigned
          + ", headers=" + (headers == null ? null : headers.keySet()) + ", connectTimeout="
          + connectTimeout + "]";
    }
  }

  /**
   * The values of {@code notifier.preset}.
   *
   * @since 0.1
   */
  public enum Preset {
    /** The signed JSON POST ({@code HttpNotifier.builder()}). */
    SIGNED_POST,
    /** Varnish {@code PURGE} per path ({@code HttpNotifier.varnishPurge()}). */
    VARNISH_PURGE,
    /** Varnish xkey purge by tags ({@code HttpNotifier.varnishXkey()}). */
    VARNISH_XKEY
  }

  /**
   * How a failed replica is retried: capped exponential backoff with full jitter. Unset values take
   * {@code RetryPolicy.defaults()}.
   *
   * @param maxAttempts Total attempts per replica, the first included (default 5).
   * @param baseDelay The first backoff's upper bound (default 100ms).
   * @param maxDelay The cap on the backoff (default 5s).
   * @since 0.1
   */
  public record Retry(Integer maxAttempts, Duration baseDelay, Duration maxDelay) {}

  /**
   * A {@code CloudFrontPurger}. Its client is the application's {@code CloudFrontAsyncClient} bean
   * if it has one; otherwise one is built for the {@code aws-global} region with the AWS SDK's
   * default credentials chain (the starter never reads credentials itself).
   *
   * @param distributionId The distribution's id, e.g. 'E2QWRUHEXAMPLE'.
   * @param tagInvalidation Whether tags are sent as CloudFront '#tag' items (default false).
   * @param collapseAbove Collapse more paths than this under one directory into a wildcard.
   * @param waitForCompletion Wait until CloudFront reports the invalidation completed, up to this.
   * @param endpointOverride The API endpoint, for a stand-in in tests (only with a client built here).
   * @since 0.1
   */
  public record CloudFront(
      String distributionId,
      Boolean tagInvalidation,
      Integer collapseAbove,
      Duration waitForCompletion,
      URI endpointOverride) {}

  /**
   * A {@code FastlyPurger}.
   *
   * @param serviceId The Fastly service id.
   * @param apiToken The API token (sent only in the 'Fastly-Key' header).
   * @param hosts The hosts whose URLs paths are purged on.
   * @param purgePaths Whether paths are purged as URLs (default true).
   * @param softPurge Whether purges are soft (default true).
   * @param purgeAll Whether a purge of '/*' may purge the whole service (default false).
   * @param baseUri The API base URI (default 'https://api.fastly.com'; http only to loopback).
   * @since 0.1
   */
  public record Fastly(
      String serviceId,
      String apiToken,
      List<String> hosts,
      Boolean purgePaths,
      Boolean softPurge,
      Boolean purgeAll,
      URI baseUri) {

    /**
     * Returns a description without the token.
     *
     * @return the description
     */
    @Override
    public String toString() {
      return "Fastly[serviceId=" + serviceId + ", apiToken=" + Redacted.of(apiToken) + ", hosts="
          + hosts + ", purgePaths=" + purgePaths + ", softPurge=" + softPurge + ", purgeAll="
          + purgeAll + ", baseUri=" + baseUri + "]";
    }
  }

  /**
   * A {@code CloudflarePurger}.
   *
   * @param zoneId The zone id.
   * @param accountId The account id (purgers of one account share its rate limits).
   * @param apiToken The API token (sent only as 'Authorization: Bearer').
   * @param plan The plan whose purge limits apply: 'free', 'pro', 'business' or
   *     'enterprise'.
   * @param hosts The hosts whose URLs paths are purged on.
   * @param purgePaths Whether paths are purged (default true).
   * @param baseUri The API base URI (default 'https://api.cloudflare.com'; http only to
   *     loopback).
   * @since 0.1
   */
  public record Cloudflare(
      String zoneId,
      String accountId,
      String apiToken,
      String plan,
      List<String> hosts,
      Boolean purgePaths,
      URI baseUri) {

    /**
     * Returns a description without the token.
     *
     * @return the description
     */
    @Override
    public String toString() {
      return "Cloudflare[zoneId=" + zoneId + ", accountId=" + accountId + ", apiToken="
          + Redacted.of(apiToken) + ", plan=" + plan + ", hosts=" + hosts + ", purgePaths="
          + purgePaths + ", baseUri=" + baseUri + "]";
    }
  }
}
