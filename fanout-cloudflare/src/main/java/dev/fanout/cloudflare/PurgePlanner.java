package dev.fanout.cloudflare;

import dev.fanout.internal.Refusals;
import dev.fanout.internal.UrlPaths;
import dev.fanout.Invalidation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns an invalidation into the purge requests that purge it, after checking every tag and path
 * against what Cloudflare accepts: nothing is sent for an invalidation that holds anything
 * Cloudflare would refuse, ignore or misread.
 *
 * <ul>
 *   <li>Tags: {@code {"tags":[...]}}. Cloudflare compares tags without regard to case, so tags
 *       that differ only in case are sent once.
 *   <li>A path ending in {@code *}: a prefix purge per host, {@code host/path} without the {@code
 *       *} and without a trailing {@code /} ({@code /blog/*} on {@code www.example.com} is {@code
 *       www.example.com/blog}); {@code /*} alone is a host purge, {@code {"hosts":[...]}}.
 *   <li>Any other path: a single-file purge of the full URL on every host, {@code
 *       https://www.example.com/blog/hello}, non-URL characters percent-encoded as UTF-8.
 * </ul>
 */
final class PurgePlanner {
  /** Longest tag a purge request accepts (purge-by-tags page: "1,024 characters"). */
  static final int MAX_TAG_LENGTH = 1024;
  /** Most path separators in a prefix (purge-by-prefix page: "limited to 31"). */
  static final int MAX_PREFIX_SEPARATORS = 31;

  /**
   * A host whose URLs the invalidation's paths name.
   *
   * @param scheme {@code https} or {@code http}, for single-file purges
   * @param authority the host name with its port, if any
   * @param name the host name alone, for host purges
   */
  record Host(String scheme, String authority, String name) {
    @Override
    public String toString() {
      return scheme + "://" + authority;
    }
  }

  private final String zoneId;
  private final List<Host> hosts;
  private final boolean purgePaths;
  private final PurgeLimits limits;

  PurgePlanner(String zoneId, List<Host> hosts, boolean purgePaths, PurgeLimits limits) {
    this.zoneId = zoneId;
    this.hosts = List.copyOf(hosts);
    this.purgePaths = purgePaths;
    this.limits = limits;
  }

  /**
   * Returns the requests: tag batches, then host, prefix and single-file purges.
   *
   * @throws IllegalArgumentException naming the zone, the invalidation and the offending tags or
   *     paths (the first five)
   */
  List<PurgeOp> plan(Invalidation inv) {
    List<String> problems = new ArrayList<>();
    for (String tag : inv.tags()) {
      String p = tagProblem(tag);
      if (p != null) {
        problems.add("tag '" + Envelope.printable(tag) + "': " + p);
      }
    }
    if (purgePaths) {
      for (String path : inv.paths()) {
        String p = pathProblem(path);
        if (p != null) {
          problems.add("path '" + Envelope.printable(path) + "': " + p);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          Refusals.message("Cloudflare zone '" + zoneId + "'", inv.id(), problems));
    }

    // item sent -> the invalidation's paths or tags it stands for, in first-seen order
    Map<String, Set<String>> tags = new LinkedHashMap<>();
    for (String tag : inv.tags()) {
      tags.computeIfAbsent(tag.toLowerCase(Locale.ROOT), k -> new LinkedHashSet<>()).add(tag);
    }
    Map<String, Set<String>> hostItems = new LinkedHashMap<>();
    Map<String, Set<String>> prefixes = new LinkedHashMap<>();
    Map<String, Set<String>> files = new LinkedHashMap<>();
    if (purgePaths) {
      for (String path : inv.paths()) {
        if (path.equals("/*")) {
          for (Host h : hosts) {
            hostItems.computeIfAbsent(h.name(), k -> new LinkedHashSet<>()).add(path);
          }
        } else if (path.endsWith("*")) {
          String p = prefixPath(path);
          for (Host h : hosts) {
            prefixes.computeIfAbsent(h.authority() + p, k -> new LinkedHashSet<>()).add(path);
          }
        } else {
          String encoded = UrlPaths.encode(path);
          for (Host h : hosts) {
            files.computeIfAbsent(h + encoded, k -> new LinkedHashSet<>()).add(path);
          }
        }
      }
    }
    // Keys of the tag map are lower case; send the first spelling seen.
    Map<String, Set<String>> tagItems = new LinkedHashMap<>();
    tags.values().forEach(spellings -> tagItems.put(spellings.iterator().next(), spellings));

    List<PurgeOp> ops = new ArrayList<>();
    batch(ops, PurgeOp.Kind.TAGS, tagItems, limits.maxOperationsPerRequest(), "tag");
    batch(ops, PurgeOp.Kind.HOSTS, hostItems, limits.maxOperationsPerRequest(), "host");
    batch(ops, PurgeOp.Kind.PREFIXES, prefixes, limits.maxOperationsPerRequest(), "prefix");
    batch(ops, PurgeOp.Kind.FILES, files, limits.maxUrlsPerRequest(), "URL");
    return ops;
  }

  private static void batch(List<PurgeOp> ops, PurgeOp.Kind kind, Map<String, Set<String>> items,
      int max, String noun) {
    List<String> keys = new ArrayList<>(items.keySet());
    int batches = (keys.size() + max - 1) / max;
    for (int b = 0; b < batches; b++) {
      List<String> chunk = keys.subList(b * max, Math.min(keys.size(), (b + 1) * max));
      Set<String> covers = new LinkedHashSet<>();
      chunk.forEach(k -> covers.addAll(items.get(k)));
      ops.add(new PurgeOp(kind, chunk, List.copyOf(covers), kind.field + " " + (b + 1) + "/"
          + batches + " (" + chunk.size() + " " + noun + (chunk.size() == 1 ? "" : "s") + ")"));
    }
  }

  /** Returns why Cloudflare cannot purge this tag, or null. */
  static String tagProblem(String tag) {
    if (tag.length() > MAX_TAG_LENGTH) {
      return "longer than " + MAX_TAG_LENGTH + " characters, the most a purge request accepts";
    }
    for (int i = 0; i < tag.length(); i++) {
      char c = tag.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return "Cache-Tag values are printable ASCII without spaces (character "
            + String.format(Locale.ROOT, "U+%04X", (int) c) + " at index " + i + ")";
      }
      if (c == ',') {
        return "a comma separates tags in the Cache-Tag header, so no response can carry this tag";
      }
    }
    return null;
  }

  /** Returns why a path cannot become a prefix or single-file purge, or null. */
  static String pathProblem(String path) {
    int star = path.indexOf('*');
    if (star >= 0 && star != path.length() - 1) {
      return "'*' is only understood at the end of a path (a prefix purge); Cloudflare has no"
          + " wildcard inside a URL";
    }
    if (path.indexOf('#') >= 0) {
      return "a fragment is never part of a cached URL";
    }
    if (star >= 0 && !path.equals("/*")) {
      if (path.indexOf('?') >= 0) {
        return "a prefix purge cannot include a query string";
      }
      long separators = prefixPath(path).chars().filter(c -> c == '/').count();
      if (separators > MAX_PREFIX_SEPARATORS) {
        return "a prefix has at most " + MAX_PREFIX_SEPARATORS + " path separators, this one "
            + separators;
      }
    }
    return null;
  }

  /** {@code /blog/*} becomes {@code /blog}; {@code /blog*} becomes {@code /blog}. */
  static String prefixPath(String path) {
    String p = path.substring(0, path.length() - 1);
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return UrlPaths.encode(p);
  }
}
