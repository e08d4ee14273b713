package dev.fanout.k8s;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the API server is and how to authenticate to it, as a pod sees it: the {@code
 * KUBERNETES_SERVICE_HOST} / {@code _PORT} environment variables and the service-account files.
 *
 * <p>https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/
 *
 * @param apiServer the API server's base URI
 * @param tokenFile the service-account token file
 * @param caFile the CA bundle that signed the API server's certificate
 * @param namespace the pod's namespace
 */
record InClusterConfig(URI apiServer, Path tokenFile, Path caFile, String namespace) {
  /** Where Kubernetes mounts the service account into every pod (unless opted out). */
  static final Path SERVICE_ACCOUNT_DIR = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  /** Detects the configuration of the running pod. */
  static InClusterConfig detect() {
    return detect(System.getenv(), SERVICE_ACCOUNT_DIR);
  }

  /**
   * Detects the configuration from the given environment and service-account directory.
   *
   * @throws IllegalStateException naming what is missing when this is not a pod
   */
  static InClusterConfig detect(Map<String, String> env, Path dir) {
    String host = env.get("KUBERNETES_SERVICE_HOST");
    String port = env.getOrDefault("KUBERNETES_SERVICE_PORT_HTTPS",
        env.get("KUBERNETES_SERVICE_PORT"));
    if (host == null || host.isBlank() || port == null || port.isBlank()) {
      throw new IllegalStateException("not running in a Kubernetes pod:"
          + " KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
    }
    host = host.strip();
    int p;
    try {
      p = Integer.parseInt(port.strip());
    } catch (NumberFormatException e) {
      throw new IllegalStateException("KUBERNETES_SERVICE_PORT is not a number: '"
          + AddressFilter.printable(port) + "'");
    }
    // The API server's certificate is issued for this address, so it is used as given.
    String authority = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    URI uri;
    try {
      uri = URI.create("https://" + authority + ":" + p);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("KUBERNETES_SERVICE_HOST is not a host: '"
          + AddressFilter.printable(host) + "'");
    }
    Path token = dir.resolve("token");
    Path ca = dir.resolve("ca.crt");
    Path ns = dir.resolve("namespace");
    for (Path f : new Path[] {token, ca, ns}) {
      if (!Files.isReadable(f)) {
        throw new IllegalStateException("service-account file " + f + " is missing or unreadable"
            + " (is automountServiceAccountToken false?)");
      }
    }
    String namespace;
    try {
      namespace = new String(Files.readAllBytes(ns), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + ns + ": " + e.getMessage(), e);
    }
    return new InClusterConfig(uri, token, ca, namespace);
  }
}
