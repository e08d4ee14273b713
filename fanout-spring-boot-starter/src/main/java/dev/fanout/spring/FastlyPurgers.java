package dev.fanout.spring;

import static dev.fanout.spring.internal.Settings.get;
import static dev.fanout.spring.internal.Settings.required;
import static dev.fanout.spring.internal.Settings.set;

import dev.fanout.fastly.FastlyPurger;
import dev.fanout.spi.Purger;

/** Builds a {@link FastlyPurger}; loaded only when fanout-fastly is on the class path. */
final class FastlyPurgers {
  private FastlyPurgers() {}

  static Purger build(String p, StageProperties.Fastly f) {
    FastlyPurger.Builder b = FastlyPurger.builder();
    String service = required(p + ".service-id", f.serviceId(), "Set the Fastly service id.");
    String token = required(p + ".api-token", f.apiToken(),
        "Set the Fastly API token, e.g. api-token: ${FASTLY_API_TOKEN}.");
    set(p + ".service-id", "Fastly's alphanumeric service id.", () -> b.serviceId(service));
    set(p + ".api-token", "A Fastly API token (printable ASCII).", () -> b.apiToken(token));
    if (f.hosts() != null) {
      for (int i = 0; i < f.hosts().size(); i++) {
        String h = f.hosts().get(i);
        set(p + ".hosts[" + i + "]", "A host name with an optional port, e.g. www.example.com.",
            () -> b.host(h));
      }
    }
    if (f.purgePaths() != null) {
      b.purgePaths(f.purgePaths());
    }
    if (f.softPurge() != null) {
      b.softPurge(f.softPurge());
    }
    if (f.purgeAll() != null) {
      b.purgeAll(f.purgeAll());
    }
    if (f.baseUri() != null) {
      set(p + ".base-uri", "An https URI (http only to a loopback address).", () -> b.baseUri(f.baseUri()));
    }
    return get(p + ".hosts", "At least one host when paths are purged, or purge-paths: false.", b::build);
  }
}
