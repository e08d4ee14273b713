package dev.fanout.spring;

import static dev.fanout.spring.internal.Settings.get;
import static dev.fanout.spring.internal.Settings.required;
import static dev.fanout.spring.internal.Settings.set;

import dev.fanout.cloudflare.CloudflarePurger;
import dev.fanout.cloudflare.Plan;
import dev.fanout.spi.Purger;
import java.util.Locale;

/** Builds a {@link CloudflarePurger}; loaded only when fanout-cloudflare is on the class path. */
final class CloudflarePurgers {
  private static final String PLANS = "One of free, pro, business, enterprise.";

  private CloudflarePurgers() {}

  static Purger build(String p, StageProperties.Cloudflare c) {
    CloudflarePurger.Builder b = CloudflarePurger.builder();
    String zone = required(p + ".zone-id", c.zoneId(), "Set the Cloudflare zone id.");
    String account = required(p + ".account-id", c.accountId(),
        "Set the Cloudflare account id: purge limits apply per account.");
    String token = required(p + ".api-token", c.apiToken(),
        "Set the Cloudflare API token, e.g. api-token: ${CLOUDFLARE_API_TOKEN}.");
    String plan = required(p + ".plan", c.plan(), PLANS);
    set(p + ".zone-id", "Cloudflare's 32-character zone id.", () -> b.zoneId(zone));
    set(p + ".account-id", "Cloudflare's 32-character account id.", () -> b.accountId(account));
    set(p + ".api-token", "A Cloudflare API token.", () -> b.apiToken(token));
    set(p + ".plan", PLANS, () -> b.plan(Plan.valueOf(plan.trim().toUpperCase(Locale.ROOT))));
    if (c.hosts() != null) {
      for (int i = 0; i < c.hosts().size(); i++) {
        String h = c.hosts().get(i);
        set(p + ".hosts[" + i + "]", "A host name, e.g. www.example.com.", () -> b.host(h));
      }
    }
    if (c.purgePaths() != null) {
      b.purgePaths(c.purgePaths());
    }
    if (c.baseUri() != null) {
      set(p + ".base-uri", "An https URI (http only to a loopback address).", () -> b.baseUri(c.baseUri()));
    }
    return get(p + ".hosts", "At least one host when paths are purged, or purge-paths: false.", b::build);
  }
}
