package dev.fanout;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What to make fresh: a set of absolute paths and/or cache tags, with an id and an optional entity
 * key and version.
 *
 * <p>An invalidation is an immutable value. It is validated when it is built: it must name at least
 * one path or tag, and every path, tag and entity key must follow the {@linkplain WireContract wire
 * contract's grammar}, which is exactly what fanout's receivers accept: a plain absolute path (no
 * host, no {@code .} or {@code ..} segment, no malformed {@code %} escape, no whitespace, {@code #},
 * {@code \}, control or format character) of at most {@value #MAX_PATH_LENGTH} characters; tags and
 * entity keys of at most {@value #MAX_TAG_LENGTH} characters without whitespace, control or format
 * characters. So nothing built from it can split a header or a request line, and nothing a receiver
 * would refuse with a 400 gets as far as the wire: it is refused here with an {@link
 * IllegalArgumentException} that names the value. Paths and tags are deduplicated, keeping the order
 * in which they were first given.
 *
 * <pre>{@code
 * Invalidation inv = Invalidation.builder()
 *     .path("/blog/hello")
 *     .tag("post:42")
 *     .entity("post:42", 7)      // optional: lets submit() drop out-of-order older versions
 *     .build();
 * }</pre>
 *
 * <p>The {@link #id() id} identifies the invalidation in reports, logs and on the wire; receivers
 * use it to recognise a redelivery. A fresh random id is generated when none is given.
 *
 * @param id the invalidation's id: 1 to 128 characters from {@code [A-Za-z0-9_:-]}
 * @param paths absolute paths to invalidate (may be empty when tags are given), unmodifiable
 * @param tags cache tags / surrogate keys to invalidate (may be empty when paths are given),
 *     unmodifiable
 * @param entity the entity key this invalidation is about, or {@code null}
 * @param version the entity version, or {@code null}; only set together with {@code entity}
 * @since 0.1
 */
public record Invalidation(
    String id, List<String> paths, List<String> tags, String entity, Long version) {

  /** Longest accepted id ({@link WireContract#MAX_ID_LENGTH}). */
  public static final int MAX_ID_LENGTH = WireContract.MAX_ID_LENGTH;

  /**
   * Longest accepted path, in characters ({@link WireContract#MAX_PATH_LENGTH}, Next.js's {@code
   * revalidatePath} limit). Vendor modules may enforce lower limits.
   */
  public static final int MAX_PATH_LENGTH = WireContract.MAX_PATH_LENGTH;

  /**
   * Longest accepted tag or entity key, in characters ({@link WireContract#MAX_TAG_LENGTH}, Next.js's
   * tag limit). Vendor modules may enforce lower limits.
   */
  public static final int MAX_TAG_LENGTH = WireContract.MAX_TAG_LENGTH;

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_:\\-]{1," + MAX_ID_LENGTH + "}");

  /**
   * Validates and normalises the components.
   *
   * @param id see the record description
   * @param paths see the record description
   * @param tags see the record description
   * @param entity see the record description
   * @param version see the record description
   * @throws NullPointerException if {@code id}, {@code paths} or {@code tags} is null, or contains
   *     null
   * @throws IllegalArgumentException if the invalidation is empty, or any component is invalid;
   *     the message names the offending value
   */
  public Invalidation {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(paths, "paths");
    Objects.requireNonNull(tags, "tags");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "invalidation id must be 1 to " + MAX_ID_LENGTH + " characters of [A-Za-z0-9_:-]: '"
              + printable(id) + "'");
    }
    paths = distinct(paths, "path");
    tags = distinct(tags, "tag");
    for (String p : paths) {
      checkPath(p);
    }
    for (String t : tags) {
      checkKey(t, "tag");
    }
    if (paths.isEmpty() && tags.isEmpty()) {
      throw new IllegalArgumentException(
          "an invalidation needs at least one path or tag (id '" + id + "')");
    }
    if (entity != null) {
      checkKey(entity, "entity key");
    }
    if (version != null) {
      if (entity == null) {
        throw new IllegalArgumentException("a version needs an entity key (id '" + id + "')");
      }
      if (version < 0) {
        throw new IllegalArgumentException("version must be >= 0: " + version);
      }
    }
  }

  /**
   * Returns an invalidation of the given paths with a fresh id.
   *
   * @param paths absolute paths, at least one
   * @return the invalidation
   * @throws IllegalArgumentException if no path is given or a path is invalid
   */
  public static Invalidation ofPaths(String... paths) {
    return builder().paths(List.of(paths)).build();
  }

  /**
   * Returns an invalidation of the given tags with a fresh id.
   *
   * @param tags cache tags, at least one
   * @return the invalidation
   * @throws IllegalArgumentException if no tag is given or a tag is invalid
   */
  public static Invalidation ofTags(String... tags) {
    return builder().tags(List.of(tags)).build();
  }

  /**
   * Returns a new builder.
   *
   * @return a builder with no paths, no tags and no id (a fresh id is generated by {@code build()})
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a fresh random invalidation id ({@code inv_} followed by 32 hex digits).
   *
   * @return a new id
   */
  public static String newId() {
    return "inv_" + UUID.randomUUID().toString().replace("-", "");
  }

  /**
   * Returns a copy of this invalidation with another id.
   *
   * @param newId the id
   * @return the copy
   * @throws IllegalArgumentException if the id is invalid
   */
  public Invalidation withId(String newId) {
    return new Invalidation(newId, paths, tags, entity, version);
  }

  /**
   * Returns whether this invalidation carries an entity key.
   *
   * @return true if {@link #entity()} is not null
   */
  public boolean hasEntity() {
    return entity != null;
  }

  /**
   * Returns the number of paths plus the number of tags.
   *
   * @return the size of this invalidation
   */
  public int size() {
    return paths.size() + tags.size();
  }

  /**
   * Returns a short description, for example {@code inv_1f..(2 paths, 1 tag)}.
   *
   * @return the description
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Invalidation[").append(id).append(": ");
    sb.append(paths.size() <= 3 ? paths.toString() : paths.subList(0, 3) + "+" + (paths.size() - 3));
    sb.append(" paths, ");
    sb.append(tags.size() <= 3 ? tags.toString() : tags.subList(0, 3) + "+" + (tags.size() - 3));
    sb.append(" tags");
    if (entity != null) {
      sb.append(", entity ").append(entity);
      if (version != null) {
        sb.append(" v").append(version);
      }
    }
    return sb.append(']').toString();
  }

  private static List<String> distinct(Collection<String> values, String what) {
    LinkedHashSet<String> set = new LinkedHashSet<>();
    for (String v : values) {
      set.add(Objects.requireNonNull(v, what));
    }
    return List.copyOf(set);
  }

  private static void checkPath(String p) {
    String problem = WireContract.pathProblem(p);
    if (problem != null) {
      throw new IllegalArgumentException(problem + ": '" + printable(p) + "'");
    }
  }

  private static void checkKey(String v, String what) {
    String problem = WireContract.tagProblem(v);
    if (problem != null) {
      String reason = v.strip().isEmpty() ? "must not be blank" : problem.substring("tag ".length());
      throw new IllegalArgumentException(what + " " + reason + ": '" + printable(v) + "'");
    }
  }

  /**
   * Makes a value safe to put in an exception message: at most 200 characters, and every character
   * the wire grammar forbids, apart from the plain space, escaped, as {@code \x0d} or as a
   * backslash, {@code u} and four hex digits.
   */
  static String printable(String v) {
    StringBuilder sb = new StringBuilder(Math.min(v.length(), 200) + 8);
    for (int i = 0; i < v.length() && i < 200; i++) {
      char c = v.charAt(i);
      int width = Character.isHighSurrogate(c) && i + 1 < v.length()
          && Character.isLowSurrogate(v.charAt(i + 1)) ? 2 : 1;
      boolean escape = c != ' ' && WireContract.kindAt(v, i) != null;
      for (int k = i; k < i + width; k++) {
        char x = v.charAt(k);
        if (escape) {
          sb.append(x < 0x100 ? String.format("\\x%02x", (int) x) : String.format("\\u%04x", (int) x));
        } else {
          sb.append(x);
        }
      }
      i += width - 1;
    }
    if (v.length() > 200) {
      sb.append("...");
    }
    return sb.toString();
  }

  /**
   * Builds an {@link Invalidation}. Not thread-safe; {@link #build()} may be called more than once.
   *
   * @since 0.1
   */
  public static final class Builder {
    private String id;
    private final List<String> paths = new ArrayList<>();
    private final List<String> tags = new ArrayList<>();
    private String entity;
    private Long version;

    private Builder() {}

    /**
     * Sets the id. Without it, {@link #build()} generates a fresh random one.
     *
     * @param id 1 to 128 characters of {@code [A-Za-z0-9_:-]}
     * @return this builder
     */
    public Builder id(String id) {
      this.id = Objects.requireNonNull(id, "id");
      return this;
    }

    /**
     * Adds an absolute path, e.g. {@code /blog/hello}, checked by {@link #build()} against {@link
     * WireContract#pathProblem(String)}. A trailing {@code *} is passed through to purgers that
     * support wildcards.
     *
     * @param path the path
     * @return this builder
     */
    public Builder path(String path) {
      paths.add(Objects.requireNonNull(path, "path"));
      return this;
    }

    /**
     * Adds paths.
     *
     * @param paths the paths
     * @return this builder
     */
    public Builder paths(Collection<String> paths) {
      for (String p : paths) {
        path(p);
      }
      return this;
    }

    /**
     * Adds a cache tag (a Next.js tag, a Varnish xkey, a Fastly surrogate key, a CloudFront tag),
     * checked by {@link #build()} against {@link WireContract#tagProblem(String)}.
     *
     * @param tag the tag
     * @return this builder
     */
    public Builder tag(String tag) {
      tags.add(Objects.requireNonNull(tag, "tag"));
      return this;
    }

    /**
     * Adds tags.
     *
     * @param tags the tags
     * @return this builder
     */
    public Builder tags(Collection<String> tags) {
      for (String t : tags) {
        tag(t);
      }
      return this;
    }

    /**
     * Sets the entity key without a version.
     *
     * @param entity the entity key, e.g. {@code post:42}
     * @return this builder
     */
    public Builder entity(String entity) {
      this.entity = Objects.requireNonNull(entity, "entity");
      this.version = null;
      return this;
    }

    /**
     * Sets the entity key and its version. {@code Invalidator.submit} drops a submission whose
     * version is older than one already seen for the same key.
     *
     * @param entity the entity key, e.g. {@code post:42}
     * @param version the version, {@code >= 0}, increasing with every change of the entity
     * @return this builder
     */
    public Builder entity(String entity, long version) {
      this.entity = Objects.requireNonNull(entity, "entity");
      this.version = version;
      return this;
    }

    /**
     * Validates and builds the invalidation.
     *
     * @return the invalidation
     * @throws IllegalArgumentException if it is empty or any value is invalid
     */
    public Invalidation build() {
      return new Invalidation(id != null ? id : newId(), paths, tags, entity, version);
    }
  }
}
