package dev.fanout.fastly;

import dev.fanout.internal.Refusals;
import dev.fanout.internal.UrlPaths;
import dev.fanout.Invalidation;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an invalidation into the Fastly API requests that purge it, after checking every key and
 * path: nothing is sent for an invalidation that holds anything Fastly would ignore or misread.
 */
final class PurgePlanner {

  private final FastlyPurger purger;

  PurgePlanner(FastlyPurger purger) {
    this.purger = purger;
  }

  /**
   * Returns the requests for the invalidation, key batches first, then URL purges in path and host
   * order; or only the purge-all request when {@code /*} asks for it (everything else is
   * redundant then).
   *
   * @throws IllegalArgumentException naming the service and the offending keys or paths
   */
  List<PurgeOp> plan(Invalidation inv) {
    List<String> problems = new ArrayList<>();
    for (String tag : inv.tags()) {
      String p = SurrogateKeys.problem(tag);
      if (p != null) {
        problems.add("surrogate key '" + SurrogateKeys.printable(tag) + "': " + p);
      }
    }
    boolean all = false;
    for (String path : inv.paths()) {
      if (path.equals("/*") && purger.purgeAll) {
        all = true;
        continue;
      }
      String p = purger.purgePaths ? pathProblem(path) : null;
      if (p != null) {
        problems.add("path '" + SurrogateKeys.printable(path) + "': " + p);
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          Refusals.message("Fastly service '" + purger.serviceId + "'", inv.id(), problems));
    }

    String base = purger.baseUri.toString();
    List<PurgeOp> ops = new ArrayList<>();
    if (all) {
      List<String> covers = new ArrayList<>(inv.paths());
      covers.addAll(inv.tags());
      ops.add(new PurgeOp(PurgeOp.Kind.ALL,
          URI.create(base + "/service/" + purger.serviceId + "/purge_all"), null, false, covers,
          "purge_all"));
      return ops;
    }
    List<List<String>> batches = batches(inv.tags(), FastlyPurger.MAX_KEYS_PER_BATCH,
        FastlyPurger.MAX_BATCH_HEADER_BYTES);
    URI keysUri = URI.create(base + "/service/" + purger.serviceId + "/purge");
    for (int i = 0; i < batches.size(); i++) {
      List<String> batch = batches.get(i);
      ops.add(new PurgeOp(PurgeOp.Kind.KEYS, keysUri, String.join(" ", batch), purger.softPurge,
          batch, "key batch " + (i + 1) + "/" + batches.size() + " (" + batch.size() + " keys)"));
    }
    if (purger.purgePaths) {
      for (String path : inv.paths()) {
        String encoded = UrlPaths.encode(path);
        for (String host : purger.hosts) {
          ops.add(new PurgeOp(PurgeOp.Kind.URL, URI.create(base + "/purge/" + host + encoded), null,
              purger.softPurge, List.of(path), "URL " + host + encoded));
        }
      }
    }
    return ops;
  }

  /**
   * Splits keys into batches of at most {@code maxKeys} keys whose space-joined length is at most
   * {@code maxBytes}, keeping their order. Each key must be valid (ASCII, so chars are bytes, and
   * not longer than {@code maxBytes}).
   */
  static List<List<String>> batches(List<String> keys, int maxKeys, int maxBytes) {
    List<List<String>> out = new ArrayList<>();
    List<String> current = new ArrayList<>();
    int bytes = 0;
    for (String k : keys) {
      int added = current.isEmpty() ? k.length() : k.length() + 1;
      if (!current.isEmpty() && (current.size() == maxKeys || bytes + added > maxBytes)) {
        out.add(List.copyOf(current));
        current.clear();
        added = k.length();
        bytes = 0;
      }
      current.add(k);
      bytes += added;
    }
    if (!current.isEmpty()) {
      out.add(List.copyOf(current));
    }
    return out;
  }

  /** Returns why a path cannot become a Fastly URL purge, or null. */
  static String pathProblem(String path) {
    if (path.endsWith("*")) {
      return path.equals("/*")
          ? "purge-all is not enabled (purgeAll(true))"
          : "Fastly has no wildcard URL purge; tag the objects and purge the tag instead";
    }
    if (path.indexOf('#') >= 0) {
      return "a fragment is never part of a cached URL";
    }
    return null;
  }
}
