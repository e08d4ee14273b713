package dev.fanout.cloudfront;

import dev.fanout.Invalidation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns an {@link Invalidation} into the CloudFront batches to send: normalises and validates paths
 * and tags, applies the collapse policy, drops what a wildcard already covers, splits into batches
 * within the in-flight limits and derives each batch's {@code CallerReference}. Pure: no I/O, no
 * clock, no randomness, so the same invalidation always yields the same plan and a resend reuses
 * the same references.
 */
final class Planner {

  /**
   * Characters CloudFront wants percent-encoded in a path besides non-ASCII: the "unsafe" set of
   * RFC 1738 section 2.2, which the invalidation guide cites
   * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html).
   * {@code %} is handled apart (an existing escape is kept). {@code ~} is left alone: RFC 3986 made
   * it unreserved, browsers send it raw, and encoding anything a viewer sends raw would make the
   * invalidation miss.
   */
  private static final String UNSAFE = " \"<>#{}|\\^[]`";

  private static final HexFormat HEX = HexFormat.of().withUpperCase();

  /** The invalidation id is cut to this length in a CallerReference; the hash keeps it unique. */
  private static final int REFERENCE_ID_CHARS = 64;

  private static final int SHORT_HASH_BYTES = 8;

  private final String distributionId;
  private final boolean tagsEnabled;
  private final int collapseAbove;
  private final int maxPaths;
  private final int maxWildcards;

  Planner(
      String distributionId,
      boolean tagsEnabled,
      int collapseAbove,
      int maxPaths,
      int maxWildcards) {
    this.distributionId = distributionId;
    this.tagsEnabled = tagsEnabled;
    this.collapseAbove = collapseAbove;
    this.maxPaths = maxPaths;
    this.maxWildcards = maxWildcards;
  }

  static boolean isWildcard(String item) {
    return item.endsWith("*");
  }

  static boolean isTag(String item) {
    return item.startsWith("#");
  }

  CloudFrontPlan plan(Invalidation invalidation) {
    // Each path stands for some number of requested paths; collapsing and covering add up weights.
    Map<String, Integer> weights = new LinkedHashMap<>();
    for (String raw : invalidation.paths()) {
      weights.merge(normalisePath(raw), 1, Integer::sum);
    }
    List<String> tagItems = new ArrayList<>();
    List<String> ignoredTags = new ArrayList<>();
    if (tagsEnabled) {
      Set<String> seen = new LinkedHashSet<>();
      for (String tag : invalidation.tags()) {
        checkTag(tag);
        // CloudFront compares tags case-insensitively; sending both spellings would bill twice.
        if (seen.add(tag.toLowerCase(Locale.ROOT))) {
          tagItems.add("#" + tag);
        }
      }
    } else {
      ignoredTags.addAll(invalidation.tags());
    }
    int requested = weights.size() + tagItems.size();

    if (collapseAbove > 0) {
      collapse(weights);
    }
    dropCovered(weights);

    Map<String, Integer> collapsed = new TreeMap<>();
    List<String> paths = new ArrayList<>();
    List<String> wildcards = new ArrayList<>();
    for (Map.Entry<String, Integer> e : weights.entrySet()) {
      if (isWildcard(e.getKey())) {
        wildcards.add(e.getKey());
        if (e.getValue() > 1) {
          collapsed.put(e.getKey(), e.getValue());
        }
      } else {
        paths.add(e.getKey());
      }
    }
    paths.addAll(tagItems);
    paths.sort(null);
    wildcards.sort(null);

    List<CloudFrontPlan.Batch> batches = split(invalidation.id(), paths, wildcards);
    int billable = paths.size() + wildcards.size();
    return new CloudFrontPlan(
        distributionId, invalidation.id(), batches, requested, billable, collapsed, ignoredTags);
  }

  /**
   * Splits into as few batches as the limits allow, spreading paths and wildcards over them in
   * order, so 7,500 paths become 3,000 + 3,000 + 1,500 and 20 wildcards become 15 + 5.
   */
  private List<CloudFrontPlan.Batch> split(
      String invalidationId, List<String> paths, List<String> wildcards) {
    int count = Math.max(ceilDiv(paths.size(), maxPaths), ceilDiv(wildcards.size(), maxWildcards));
    List<CloudFrontPlan.Batch> batches = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      List<String> items = new ArrayList<>();
      items.addAll(slice(paths, i * maxPaths, maxPaths));
      items.addAll(slice(wildcards, i * maxWildcards, maxWildcards));
      items.sort(null);
      batches.add(
          new CloudFrontPlan.Batch(i, callerReference(invalidationId, i, items, false), items));
    }
    return batches;
  }

  private static List<String> slice(List<String> list, int from, int size) {
    if (from >= list.size()) {
      return List.of();
    }
    return list.subList(from, Math.min(list.size(), from + size));
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  /**
   * The idempotency key of a batch: {@code fanout-<id>-<n>-<hash>}, where the hash covers the full
   * invalidation id, the batch index and every item. The same batch always gets the same key (a
   * resend returns the existing invalidation); a different path set never does (so CloudFront never
   * answers {@code InvalidationBatchAlreadyExists} for our own batches). The long form carries the
   * whole SHA-256 and is used once if the short one is ever taken by a different batch.
   */
  static String callerReference(
      String invalidationId, int index, List<String> items, boolean longForm) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
    sha.update(invalidationId.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) '\n');
    sha.update(Integer.toString(index).getBytes(StandardCharsets.US_ASCII));
    for (String item : items) {
      sha.update((byte) '\n');
      sha.update(item.getBytes(StandardCharsets.UTF_8));
    }
    byte[] digest = sha.digest();
    String hash = HexFormat.of().formatHex(digest, 0, longForm ? digest.length : SHORT_HASH_BYTES);
    String id =
        invalidationId.length() <= REFERENCE_ID_CHARS
            ? invalidationId
            : invalidationId.substring(0, REFERENCE_ID_CHARS);
    return "fanout-" + id + "-" + (index + 1) + "-" + hash;
  }

  /**
   * Replaces more than {@code collapseAbove} items that share a parent directory with {@code
   * parent*}, repeatedly, so a collapse can feed the next level up. Never collapses to {@code /*}:
   * purging the whole distribution is a decision for the caller, not a cost optimisation.
   */
  private void collapse(Map<String, Integer> weights) {
    boolean changed = true;
    while (changed) {
      changed = false;
      // Items a wildcard covers must not count as siblings of that wildcard.
      dropCovered(weights);
      Map<String, List<String>> byParent = new LinkedHashMap<>();
      for (String item : weights.keySet()) {
        String parent = parentDirectory(item);
        if (!parent.equals("/")) {
          byParent.computeIfAbsent(parent, k -> new ArrayList<>()).add(item);
        }
      }
      for (Map.Entry<String, List<String>> group : byParent.entrySet()) {
        List<String> members = group.getValue();
        if (members.size() <= collapseAbove) {
          continue;
        }
        int weight = 0;
        for (String member : members) {
          weight += weights.remove(member);
        }
        weights.merge(group.getKey() + "*", weight, Integer::sum);
        changed = true;
      }
    }
  }

  /** The directory an item lives in: {@code /a/b/c.html -> /a/b/}, {@code /a/b/* -> /a/}. */
  static String parentDirectory(String item) {
    String base = isWildcard(item) ? item.substring(0, item.length() - 1) : item;
    if (base.length() > 1 && base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return base.substring(0, base.lastIndexOf('/') + 1);
  }

  /**
   * Drops every item a wildcard already matches ({@code /blog/*} matches {@code /blog/a} and {@code
   * /blog/x*}): CloudFront would bill them again for nothing.
   */
  private static void dropCovered(Map<String, Integer> weights) {
    // Keep only wildcards no other wildcard covers; in a prefix-free sorted set, the only
    // candidate prefix of a string is its floor.
    TreeSet<String> prefixes = new TreeSet<>();
    for (String item : new TreeSet<>(weights.keySet())) {
      if (isWildcard(item)) {
        String prefix = item.substring(0, item.length() - 1);
        String floor = prefixes.floor(prefix);
        if (floor == null || !prefix.startsWith(floor)) {
          prefixes.add(prefix);
        }
      }
    }
    Map<String, Integer> absorbed = new HashMap<>();
    for (String item : new ArrayList<>(weights.keySet())) {
      String self = isWildcard(item) ? item.substring(0, item.length() - 1) : item;
      String floor = prefixes.floor(self);
      if (floor != null && self.startsWith(floor) && !item.equals(floor + "*")) {
        absorbed.merge(floor + "*", weights.remove(item), Integer::sum);
      }
    }
    absorbed.forEach((wildcard, weight) -> weights.merge(wildcard, weight, Integer::sum));
  }

  /**
   * Percent-encodes what CloudFront requires encoded (non-ASCII as UTF-8, and RFC 1738's unsafe
   * characters), keeps existing {@code %XX} escapes, and checks the wildcard position and the
   * length. Idempotent: an already normalised path comes back unchanged.
   */
  String normalisePath(String raw) {
    StringBuilder sb = new StringBuilder(raw.length() + 16);
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw invalidPath(raw, "contains a control character at index " + i);
      }
      if (c == '%') {
        if (i + 2 < raw.length() && isHex(raw.charAt(i + 1)) && isHex(raw.charAt(i + 2))) {
          sb.append(c);
        } else {
          sb.append("%25");
        }
      } else if (c < 0x80) {
        if (UNSAFE.indexOf(c) >= 0) {
          appendEscaped(sb, (byte) c);
        } else {
          sb.append(c);
        }
      } else {
        int cp = raw.codePointAt(i);
        if (Character.isSurrogate(c) && !Character.isSupplementaryCodePoint(cp)) {
          throw invalidPath(raw, "contains an unpaired surrogate at index " + i);
        }
        for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
          appendEscaped(sb, b);
        }
        i += Character.charCount(cp) - 1;
      }
    }
    String path = sb.toString();
    if (path.isEmpty() || path.charAt(0) != '/') {
      throw invalidPath(raw, "must start with '/'");
    }
    int star = path.indexOf('*');
    if (star >= 0 && star != path.length() - 1) {
      throw invalidPath(
          raw, "has '*' before the end; CloudFront allows the wildcard only as the last character");
    }
    if (path.length() > CloudFrontPurger.MAX_PATH_LENGTH) {
      throw invalidPath(
          raw,
          "is "
              + path.length()
              + " characters long once encoded; CloudFront allows at most "
              + CloudFrontPurger.MAX_PATH_LENGTH);
    }
    return path;
  }

  private void checkTag(String tag) {
    if (tag.length() > CloudFrontPurger.MAX_TAG_LENGTH) {
      throw invalidTag(
          tag,
          "is "
              + tag.length()
              + " characters long; CloudFront allows at most "
              + CloudFrontPurger.MAX_TAG_LENGTH);
    }
    for (int i = 0; i < tag.length(); i++) {
      char c = tag.charAt(i);
      if (c < 33 || c > 126 || c == ',') {
        throw invalidTag(
            tag,
            "has a character CloudFront does not accept in a tag at index "
                + i
                + " (only visible ASCII 33-126, no comma)");
      }
      if (c == '*') {
        throw invalidTag(
            tag, "contains '*'; CloudFront tag items match exactly and take no wildcard");
      }
    }
  }

  private IllegalArgumentException invalidPath(String raw, String why) {
    return new IllegalArgumentException(
        "CloudFront distribution '" + distributionId + "': path '" + shorten(raw) + "' " + why);
  }

  private IllegalArgumentException invalidTag(String tag, String why) {
    return new IllegalArgumentException(
        "CloudFront distribution '" + distributionId + "': tag '" + shorten(tag) + "' " + why);
  }

  /** Keeps messages short and free of control characters, whatever the input was. */
  static String shorten(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < 120; i++) {
      char c = s.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (s.length() > 120) {
      sb.append("...");
    }
    return sb.toString();
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  private static void appendEscaped(StringBuilder sb, byte b) {
    sb.append('%').append(HEX.toHexDigits(b));
  }
}
