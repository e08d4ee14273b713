package dev.fanout;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * The contract between {@code HttpNotifier} and the receivers fanout ships ({@code
 * InvalidationReceiver} for Java replicas, the Next.js route in {@code examples/nextjs}): the limits
 * of one request and the grammar of paths and tags. {@link Invalidation} accepts exactly what this
 * grammar accepts, so whatever a receiver would refuse is refused when the invalidation is built,
 * not discovered as a 400 later; {@code HttpNotifier} splits an invalidation into requests within
 * these limits; the receivers' default limits are these numbers. The Next.js receiver
 * ({@code fanout-receiver.mjs}) mirrors this class and is tested against a corpus it generates.
 *
 * <h2>One request</h2>
 *
 * <p>A signed JSON request carries at most {@value #MAX_PATHS_PER_REQUEST} paths, at most {@value
 * #MAX_TAGS_PER_REQUEST} tags and at most {@value #MAX_BODY_BYTES} bytes of body. A larger
 * invalidation travels as several requests (chunks); each body then says which chunk it is, {@code
 * "chunk":{"index":i,"count":n}} with {@code 0 <= i < n}, and each is signed with its own {@code
 * webhook-id}, {@link #chunkId(String, int, int)}. A receiver may accept more than these limits,
 * never less.
 *
 * <h2>Paths</h2>
 *
 * <pre>
 * path     = "/" rest, 1 to {@value #MAX_PATH_LENGTH} UTF-16 characters, not starting with "//" or "/\"
 * rest     = any characters but the forbidden ones, '#' and '\'; the part after the first '?' is a
 *            query and is not inspected further
 * the part before the first '?', with every %HH escape decoded as UTF-8:
 *            every '%' starts a well-formed escape, the bytes decode as UTF-8, the decoded text has
 *            no forbidden character, '#' or '\', does not start with "//", and has no segment
 *            "." or ".." (nor one starting with ".;" or "..;")
 * </pre>
 *
 * <h2>Tags and entity keys</h2>
 *
 * <pre>
 * tag      = 1 to {@value #MAX_TAG_LENGTH} UTF-16 characters, none of them forbidden
 * </pre>
 *
 * <p>{@value #MAX_TAG_LENGTH} is Next.js's limit (longer tags are never assigned by {@code
 * cacheTag}/{@code fetch}, so they could never be revalidated); no whitespace because Varnish xkey,
 * Fastly and other CDNs carry tags in space-separated headers.
 *
 * <h2>Forbidden characters</h2>
 *
 * <p>Counted by code point, with explicit tables rather than the runtime's Unicode version, so that
 * Java and JavaScript agree: controls (U+0000–U+001F, U+007F–U+009F); whitespace (U+0009–U+000D,
 * U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000); format
 * characters (U+00AD, U+0600–U+0605, U+061C, U+06DD, U+070F, U+0890–U+0891, U+08E2, U+180E,
 * U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+2066–U+206F, U+FEFF, U+FFF9–U+FFFB, U+110BD,
 * U+110CD, U+13430–U+1343F, U+1BCA0–U+1BCA3, U+1D173–U+1D17A, U+E0001, U+E0020–U+E007F: Unicode's
 * {@code Cf} category); and unpaired surrogates.
 *
 * @since 0.1
 */
public final class WireContract {
  /** Most paths one request carries; the receivers' default {@code maxPaths}. */
  public static final int MAX_PATHS_PER_REQUEST = 1_000;

  /** Most tags one request carries; the receivers' default {@code maxTags}. */
  public static final int MAX_TAGS_PER_REQUEST = 1_000;

  /** Largest body of one request, in bytes (64 KiB); the receivers' default {@code maxBodyBytes}. */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  /**
   * Longest path, in UTF-16 characters: Next.js's {@code revalidatePath} ignores longer ones.
   * Vendor modules may enforce lower limits once a path is encoded their way.
   */
  public static final int MAX_PATH_LENGTH = 1_024;

  /** Longest tag or entity key, in UTF-16 characters: Next.js never assigns a longer tag. */
  public static final int MAX_TAG_LENGTH = 256;

  /** Longest invalidation id: 1 to this many characters of {@code [A-Za-z0-9_:-]}. */
  public static final int MAX_ID_LENGTH = 128;

  /** Longest {@code webhook-id} header a receiver accepts (printable ASCII without {@code .}). */
  public static final int MAX_WEBHOOK_ID_LENGTH = 256;

  /** Highest relay hop count on the wire ({@code "hop":n}). */
  public static final int MAX_HOP = 16;

  /** Format characters (Unicode category Cf), as code point ranges [from, to]. */
  private static final int[] FORMAT = {
    0x00AD, 0x00AD, 0x0600, 0x0605, 0x061C, 0x061C, 0x06DD, 0x06DD, 0x070F, 0x070F,
    0x0890, 0x0891, 0x08E2, 0x08E2, 0x180E, 0x180E, 0x200B, 0x200F, 0x202A, 0x202E,
    0x2060, 0x2064, 0x2066, 0x206F, 0xFEFF, 0xFEFF, 0xFFF9, 0xFFFB, 0x110BD, 0x110BD,
    0x110CD, 0x110CD, 0x13430, 0x1343F, 0x1BCA0, 0x1BCA3, 0x1D173, 0x1D17A, 0xE0001, 0xE0001,
    0xE0020, 0xE007F,
  };

  /** Whitespace outside the controls, as code point ranges [from, to]. */
  private static final int[] SPACE = {
    0x0020, 0x0020, 0x00A0, 0x00A0, 0x1680, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029,
    0x202F, 0x202F, 0x205F, 0x205F, 0x3000, 0x3000,
  };

  private WireContract() {}

  /**
   * Checks a path against the grammar.
   *
   * @param path the path
   * @return null if the path is valid, otherwise a short reason that does not quote it, e.g.
   *     {@code "path has a dot segment"}
   * @throws NullPointerException if {@code path} is null
   */
  public static String pathProblem(String path) {
    Objects.requireNonNull(path, "path");
    if (path.isEmpty() || path.charAt(0) != '/') {
      return "path is not absolute";
    }
    if (path.length() > MAX_PATH_LENGTH) {
      return "path is longer than " + MAX_PATH_LENGTH + " characters";
    }
    if (path.length() > 1 && (path.charAt(1) == '/' || path.charAt(1) == '\\')) {
      return "path names a host";
    }
    String bad = badPathCharacter(path);
    if (bad != null) {
      return "path has " + bad;
    }
    int q = path.indexOf('?');
    String pathPart = q < 0 ? path : path.substring(0, q);
    String decoded = percentDecode(pathPart);
    if (decoded == null) {
      return "path has a malformed percent escape";
    }
    if (!decoded.equals(pathPart)) {
      bad = badPathCharacter(decoded);
      if (bad != null) {
        return "path has an encoded " + bad.substring(bad.indexOf(' ') + 1);
      }
      if (decoded.length() > 1 && decoded.charAt(1) == '/') {
        return "path names a host";
      }
    }
    for (String segment : decoded.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")
          || segment.startsWith(".;") || segment.startsWith("..;")) {
        return "path has a dot segment";
      }
    }
    return null;
  }

  /**
   * Checks a tag (or an entity key) against the grammar.
   *
   * @param tag the tag
   * @return null if the tag is valid, otherwise a short reason that does not quote it, e.g. {@code
   *     "tag has whitespace"}
   * @throws NullPointerException if {@code tag} is null
   */
  public static String tagProblem(String tag) {
    Objects.requireNonNull(tag, "tag");
    if (tag.isEmpty()) {
      return "tag is empty";
    }
    if (tag.length() > MAX_TAG_LENGTH) {
      return "tag is longer than " + MAX_TAG_LENGTH + " characters";
    }
    String bad = badCharacter(tag);
    return bad == null ? null : "tag has " + bad;
  }

  /**
   * Returns the {@code webhook-id} of one chunk of an invalidation that travels as several
   * requests: {@code <id>:<index>of<count>}, e.g. {@code inv_3f2a:0of11}. It is also a valid
   * invalidation id (a receiver that relays the chunk relays it under this id), so an id too long
   * to take the suffix is shortened to a prefix and a hash of the whole id. The same chunk always
   * gets the same id, so a resent chunk is recognised as a replay; ids of this form therefore name
   * chunks and should not be chosen for whole invalidations.
   *
   * @param id the invalidation's id
   * @param index the chunk's index, {@code 0 <= index < count}
   * @param count the number of chunks, at least 1
   * @return the chunk's id, at most {@value #MAX_ID_LENGTH} characters of {@code [A-Za-z0-9_:-]}
   * @throws IllegalArgumentException if the index or count is out of range
   */
  public static String chunkId(String id, int index, int count) {
    Objects.requireNonNull(id, "id");
    if (count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException("chunk " + index + " of " + count + " is out of range");
    }
    String suffix = ":" + index + "of" + count;
    if (id.length() + suffix.length() <= MAX_ID_LENGTH) {
      return id + suffix;
    }
    String hash = sha256Hex(id).substring(0, 16);
    return id.substring(0, MAX_ID_LENGTH - suffix.length() - hash.length() - 1) + "_" + hash + suffix;
  }

  /** The first forbidden character of {@code s} for a path ({@code #} and {@code \} too), or null. */
  private static String badPathCharacter(String s) {
    String bad = badCharacter(s);
    if (bad != null) {
      return bad;
    }
    if (s.indexOf('#') >= 0) {
      return "a fragment";
    }
    if (s.indexOf('\\') >= 0) {
      return "a backslash";
    }
    return null;
  }

  /** Describes the first forbidden character of {@code s}, e.g. "a control character", or null. */
  static String badCharacter(String s) {
    for (int i = 0; i < s.length(); i++) {
      String bad = kindAt(s, i);
      if (bad != null) {
        return bad;
      }
      if (Character.isHighSurrogate(s.charAt(i))) {
        i++;
      }
    }
    return null;
  }

  /** What is forbidden about the code point at {@code i}, or null if it is allowed. */
  static String kindAt(String s, int i) {
    char c = s.charAt(i);
    int cp = c;
    if (Character.isHighSurrogate(c)) {
      if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        cp = Character.toCodePoint(c, s.charAt(i + 1));
      } else {
        return "an unpaired surrogate";
      }
    } else if (Character.isLowSurrogate(c)) {
      return "an unpaired surrogate";
    }
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      return "a control character";
    }
    if (in(SPACE, cp)) {
      return "whitespace";
    }
    if (in(FORMAT, cp)) {
      return "a format character";
    }
    return null;
  }

  private static boolean in(int[] ranges, int cp) {
    for (int k = 0; k < ranges.length; k += 2) {
      if (cp < ranges[k]) {
        return false;
      }
      if (cp <= ranges[k + 1]) {
        return true;
      }
    }
    return false;
  }

  /** Decodes %HH escapes as UTF-8; returns null for a malformed escape or invalid UTF-8. */
  private static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    byte[] raw = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (b == '%') {
        if (i + 2 >= raw.length) {
          return null;
        }
        int hi = hex(raw[i + 1]);
        int lo = hex(raw[i + 2]);
        if (hi < 0 || lo < 0) {
          return null;
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else {
        out.write(b);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static int hex(byte b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'a' && b <= 'f') {
      return b - 'a' + 10;
    }
    if (b >= 'A' && b <= 'F') {
      return b - 'A' + 10;
    }
    return -1;
  }

  private static String sha256Hex(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      StringBuilder sb = new StringBuilder(64);
      for (byte b : d) {
        sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
      }
      return sb.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
