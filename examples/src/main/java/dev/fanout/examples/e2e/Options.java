package dev.fanout.examples.e2e;

import java.nio.file.Path;
import java.time.Duration;

/** Command-line options of {@link EndToEnd}; {@code run.sh} passes all of them. */
final class Options {
  Path work;
  Path vcl;
  String node = "node";
  String varnishd = "varnishd";
  /** Path to dnsmasq, or {@code builtin} for the in-process DNS stand-in. */
  String dnsmasq = "dnsmasq";
  int updates = 50;
  int reversedUpdates = 3;
  Duration timeout = Duration.ofMinutes(10);
  /** Keep the stack up for manual use instead of running the checks. */
  boolean serve;
  /** Purge the Cloudflare stand-in alongside CloudFront and Fastly. */
  boolean cloudflare = true;

  static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--serve")) {
        o.serve = true;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value for " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--work" -> o.work = Path.of(v).toAbsolutePath();
        case "--vcl" -> o.vcl = Path.of(v).toAbsolutePath();
        case "--node" -> o.node = v;
        case "--varnishd" -> o.varnishd = v;
        case "--dnsmasq" -> o.dnsmasq = v;
        case "--updates" -> o.updates = Integer.parseInt(v);
        case "--reversed-updates" -> o.reversedUpdates = Integer.parseInt(v);
        case "--timeout" -> o.timeout = Duration.ofSeconds(Long.parseLong(v));
        case "--cloudflare" -> o.cloudflare = switch (v) {
          case "on" -> true;
          case "off" -> false;
          default -> throw new IllegalArgumentException("--cloudflare must be on or off: " + v);
        };
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
    }
    if (o.work == null || o.vcl == null) {
      throw new IllegalArgumentException(
          "usage: EndToEnd --work DIR --vcl FILE [--serve] [--node BIN] [--varnishd BIN]"
              + " [--dnsmasq BIN|builtin] [--updates N] [--reversed-updates N] [--timeout SECONDS]"
              + " [--cloudflare on|off]");
    }
    if (o.updates < 1 || o.reversedUpdates < 1) {
      throw new IllegalArgumentException("--updates and --reversed-updates must be at least 1");
    }
    return o;
  }
}
