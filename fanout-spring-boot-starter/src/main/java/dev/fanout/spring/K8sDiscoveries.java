package dev.fanout.spring;

import static dev.fanout.spring.internal.Settings.get;
import static dev.fanout.spring.internal.Settings.required;
import static dev.fanout.spring.internal.Settings.set;

import dev.fanout.Endpoint;
import dev.fanout.k8s.DnsDiscovery;
import dev.fanout.k8s.KubernetesDiscovery;
import dev.fanout.spi.Discovery;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds fanout-k8s discoveries. Loaded only after the starter checked that fanout-k8s is on the
 * class path, so that an application without it never loads these types.
 */
final class K8sDiscoveries {
  private K8sDiscoveries() {}

  static Discovery dns(String p, StageProperties.Dns dns) {
    String name = required(p + ".name", dns.name(),
        "Set the headless Service's DNS name, e.g. web-headless.shop.svc.cluster.local.");
    DnsDiscovery.Builder b = get(p + ".name", "A DNS name, e.g. web-headless.shop.svc.cluster.local.",
        () -> DnsDiscovery.builder(name));
    if ((dns.port() == null) == (dns.srv() == null)) {
      throw new FanoutConfigurationException(p + ".port",
          dns.port() == null ? "neither port nor srv is set" : "port and srv are both set",
          "Set exactly one of " + p + ".port (A/AAAA records, one port for every address) and "
              + p + ".srv (the name of the Service port whose SRV records give the ports).");
    }
    if (dns.port() != null) {
      set(p + ".port", "1 to 65535.", () -> b.port(dns.port()));
    } else {
      set(p + ".srv", "A DNS label such as http.", () -> b.srv(dns.srv()));
    }
    List<String> servers = dns.servers() == null ? List.of() : dns.servers();
    for (int i = 0; i < servers.size(); i++) {
      String s = servers.get(i);
      set(p + ".servers[" + i + "]", "An IP address and port, e.g. 10.96.0.10:53 or [fd00::a]:53.", () -> {
        Endpoint e = Endpoint.parse(s);
        b.server(e.address(), e.port());
      });
    }
    if (dns.searchDomains() != null) {
      set(p + ".search-domains", "DNS names.", () -> b.searchDomains(dns.searchDomains()));
    }
    if (dns.deadline() != null) {
      set(p + ".deadline", "A positive duration, e.g. 5s.", () -> b.deadline(dns.deadline()));
    }
    if (dns.attemptTimeout() != null) {
      set(p + ".attempt-timeout", "A positive duration, e.g. 2s.",
          () -> b.attemptTimeout(dns.attemptTimeout()));
    }
    if (dns.retry() != null) {
      b.retry(StageFactory.retry(p + ".retry", dns.retry(), DnsDiscovery.DEFAULT_RETRY));
    }
    if (dns.maxTtl() != null) {
      set(p + ".max-ttl", "Zero or a positive duration.", () -> b.maxTtl(dns.maxTtl()));
    }
    if (dns.maxTargets() != null) {
      set(p + ".max-targets", "At least 1.", () -> b.maxTargets(dns.maxTargets()));
    }
    List<String> cidrs = dns.allowCidrs() == null ? List.of() : dns.allowCidrs();
    for (int i = 0; i < cidrs.size(); i++) {
      String c = cidrs.get(i);
      set(p + ".allow-cidrs[" + i + "]", "A CIDR, e.g. 10.0.0.0/8.", () -> b.allowCidr(c));
    }
    return get(p, "A DNS configuration this machine can use.", b::build);
  }

  static Discovery kubernetes(String p, StageProperties.Kubernetes k) {
    String service = required(p + ".service", k.service(), "Set the Service's name, e.g. web.");
    KubernetesDiscovery.Builder b = KubernetesDiscovery.builder();
    boolean inCluster = k.inCluster() == null || k.inCluster();
    if (inCluster) {
      set(p + ".in-cluster", "true only inside a Kubernetes pod; otherwise set in-cluster: false "
          + "and api-server.", b::inCluster);
    } else {
      java.net.URI api = required(p + ".api-server", k.apiServer(),
          "Set the API server's base URI (or in-cluster: true inside a pod).");
      set(p + ".api-server", "An absolute https URI (http only for loopback).", () -> b.apiServer(api));
      if (k.tokenFile() != null) {
        set(p + ".token-file", "A readable file.", () -> b.tokenFile(Path.of(k.tokenFile())));
      }
      if (k.caCertificate() != null) {
        set(p + ".ca-certificate", "A PEM file.", () -> b.caCertificate(Path.of(k.caCertificate())));
      }
    }
    set(p + ".service", "A DNS label.", () -> b.service(service));
    if (k.namespace() != null) {
      set(p + ".namespace", "A DNS label.", () -> b.namespace(k.namespace()));
    }
    if (k.portName() != null) {
      set(p + ".port-name", "A port name of at most 63 characters.", () -> b.portName(k.portName()));
    }
    if (k.port() != null) {
      set(p + ".port", "1 to 65535.", () -> b.port(k.port()));
    }
    b.watch(k.watch() == null || k.watch());
    List<String> cidrs = k.allowCidrs() == null ? List.of() : k.allowCidrs();
    for (int i = 0; i < cidrs.size(); i++) {
      String c = cidrs.get(i);
      set(p + ".allow-cidrs[" + i + "]", "A CIDR, e.g. 10.0.0.0/8.", () -> b.allowCidr(c));
    }
    return get(p, "A complete Kubernetes discovery configuration.", b::build);
  }
}
