package dev.fanout.fastly;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Builds the {@code Surrogate-Key} response header that an origin sets so that Fastly can later
 * purge the response by key, and checks keys against Fastly's rules.
 *
 * <p>A key purge only reaches the objects whose responses carried the key, so the tags given to
 * {@link FastlyPurger} must be the same strings the origin put in this header. Fastly's parser is
 * unforgiving and silent: a key that is not printable ASCII or is longer than {@value
 * #MAX_KEY_BYTES} bytes, or a header longer than {@value #MAX_HEADER_BYTES} bytes, makes Fastly
 * ignore that key <em>and every key after it</em>. This helper rejects such keys when they are
 * added instead, so that an origin never ships a header whose keys can never be purged.
 *
 * <pre>{@code
 * SurrogateKeys.Builder keys = SurrogateKeys.builder().add("post:42").add("author:7");
 * for (String tag : relatedTags) {
 *   if (!keys.tryAdd(tag)) {
 *     keys.add("posts");    // too many to list: fall back to a broader key (must still fit)
 *     break;
 *   }
 * }
 * response.setHeader(SurrogateKeys.HEADER, keys.build());
 * }</pre>
 *
 * @since 0.1
 */
public final class SurrogateKeys {

  /** The response (and purge request) header that carries the keys, space-separated. */
  public static final String HEADER = "Surrogate-Key";

  /**
   * Longest key, in bytes. Longer keys are ignored by Fastly when set and make purge calls fail.
   * See https://developer.fastly.com/reference/http-headers/Surrogate-Key/ and
   * https://www.fastly.com/documentation/reference/vcl/constraints-and-limitations/
   */
  public static final int MAX_KEY_BYTES = 1024;

  /**
   * Longest {@code Surrogate-Key} header value, in bytes; keys past it are ignored by Fastly. See
   * https://developer.fastly.com/reference/http-headers/Surrogate-Key/
   */
  public static final int MAX_HEADER_BYTES = 16_384;

  private SurrogateKeys() {}

  /**
   * Returns whether a key is one Fastly honours: 1 to {@value #MAX_KEY_BYTES} characters, each
   * printable ASCII ({@code 0x21} to {@code 0x7E}; space separates keys, so it cannot be part of
   * one).
   *
   * @param key the key, may be null
   * @return true if the key is valid
   */
  public static boolean isValid(String key) {
    return problem(key) == null;
  }

  /**
   * Checks a key and returns it.
   *
   * @param key the key
   * @return the key
   * @throws NullPointerException if the key is null
   * @throws IllegalArgumentException if the key is not valid; the message says why and shows the
   *     key with non-printable characters escaped
   */
  public static String requireValid(String key) {
    Objects.requireNonNull(key, "key");
    String problem = problem(key);
    if (problem != null) {
      throw new IllegalArgumentException(
          "invalid Fastly surrogate key (" + problem + "): '" + printable(key) + "'");
    }
    return key;
  }

  /**
   * Returns the header value for the given keys, in order, duplicates removed.
   *
   * @param keys the keys
   * @return the keys joined by single spaces
   * @throws NullPointerException if {@code keys} or a key is null
   * @throws IllegalArgumentException if a key is invalid
   * @throws IllegalStateException if the value would be longer than {@value #MAX_HEADER_BYTES}
   *     bytes
   */
  public static String headerValue(Collection<String> keys) {
    return builder().addAll(keys).build();
  }

  /**
   * Returns a new, empty builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns why a key is invalid, or null when it is valid. Package-private for the purger. */
  static String problem(String key) {
    if (key == null) {
      return "null";
    }
    if (key.isEmpty()) {
      return "empty";
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return "character 0x" + Integer.toHexString(c) + " at index " + i
            + " is not printable ASCII";
      }
    }
    // Every character is ASCII by now, so the length in chars is the length in bytes.
    if (key.length() > MAX_KEY_BYTES) {
      return "longer than " + MAX_KEY_BYTES + " bytes";
    }
    return null;
  }

  /** Makes a value safe to show in a message: non-printable characters escaped, length capped. */
  static String printable(String v) {
    StringBuilder sb = new StringBuilder(Math.min(v.length(), 80) + 8);
    int n = Math.min(v.length(), 80);
    for (int i = 0; i < n; i++) {
      char c = v.charAt(i);
      if (c >= 0x20 && c <= 0x7e) {
        sb.append(c);
      } else if (c <= 0xff) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(String.format("\\u%04x", (int) c));
      }
    }
    if (v.length() > n) {
      sb.append("...");
    }
    return sb.toString();
  }

  /**
   * Accumulates keys for one {@code Surrogate-Key} header, keeping the value within {@value
   * SurrogateKeys#MAX_HEADER_BYTES} bytes. Not thread-safe; {@link #build()} may be called more
   * than once.
   *
   * @since 0.1
   */
  public static final class Builder {
    private final Set<String> keys = new LinkedHashSet<>();
    private int bytes;

    private Builder() {}

    /**
     * Adds a key, if it fits.
     *
     * @param key the key
     * @return true if the key was added or was already present, false if it would make the header
     *     longer than {@value SurrogateKeys#MAX_HEADER_BYTES} bytes (the builder is then unchanged)
     * @throws NullPointerException if the key is null
     * @throws IllegalArgumentException if the key is invalid
     */
    public boolean tryAdd(String key) {
      requireValid(key);
      if (keys.contains(key)) {
        return true;
      }
      int added = keys.isEmpty() ? key.length() : key.length() + 1;
      if (bytes + added > MAX_HEADER_BYTES) {
        return false;
      }
      keys.add(key);
      bytes += added;
      return true;
    }

    /**
     * Adds a key.
     *
     * @param key the key
     * @return this builder
     * @throws NullPointerException if the key is null
     * @throws IllegalArgumentException if the key is invalid
     * @throws IllegalStateException if the key does not fit in the header
     */
    public Builder add(String key) {
      if (!tryAdd(key)) {
        throw new IllegalStateException(
            "Surrogate-Key header would exceed " + MAX_HEADER_BYTES + " bytes with key '"
                + printable(key) + "' (" + keys.size() + " keys, " + bytes + " bytes so far)");
      }
      return this;
    }

    /**
     * Adds keys, in order.
     *
     * @param keys the keys
     * @return this builder
     * @throws NullPointerException if {@code keys} or a key is null
     * @throws IllegalArgumentException if a key is invalid
     * @throws IllegalStateException if a key does not fit in the header
     */
    public Builder addAll(Collection<String> keys) {
      for (String k : keys) {
        add(k);
      }
      return this;
    }

    /**
     * Returns how many distinct keys were added.
     *
     * @return the count
     */
    public int size() {
      return keys.size();
    }

    /**
     * Returns the length of the header value built so far, in bytes.
     *
     * @return the length
     */
    public int byteLength() {
      return bytes;
    }

    /**
     * Returns the header value: the keys in the order added, separated by single spaces.
     *
     * @return the value; empty when no key was added
     */
    public String build() {
      return String.join(" ", keys);
    }
  }
}
