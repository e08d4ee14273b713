package dev.fanout.internal;

/**
 * A CDN API token, held so that the only way to the raw value is {@link #reveal()}, which a purger
 * calls in exactly one place: the request header that carries it. Anything that prints it by
 * accident (string concatenation, a debugger, a log call) gets the mask. Part of the kernel; not
 * part of the public API (users pass the token as a string to a purger's builder).
 */
public final class ApiToken {
  /** What {@link #toString()} and {@link #scrub(String)} show instead of the token. */
  public static final String MASK = "****";

  private final String value;

  private ApiToken(String value) {
    this.value = value;
  }

  /**
   * Checks and wraps a token. The messages never contain the token, not even a part of it.
   *
   * @param value the token
   * @return the wrapped token
   * @throws NullPointerException if {@code value} is null
   * @throws IllegalArgumentException if the token is blank or cannot be a header value (printable
   *     ASCII without spaces)
   */
  public static ApiToken of(String value) {
    if (value.isBlank()) {
      throw new IllegalArgumentException("apiToken must not be blank");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new IllegalArgumentException(
            "apiToken must be printable ASCII without spaces (offending character at index "
                + i + ")");
      }
    }
    return new ApiToken(value);
  }

  /**
   * Returns the raw token, for the one request header that carries it.
   *
   * @return the token
   */
  public String reveal() {
    return value;
  }

  /**
   * Replaces the token wherever it occurs in text from outside (e.g. a reflected body).
   *
   * @param text the text, or null
   * @return the text with every occurrence of the token masked, or null for null
   */
  public String scrub(String text) {
    return text == null ? null : text.replace(value, MASK);
  }

  /**
   * Returns the mask, never the token.
   *
   * @return {@value #MASK}
   */
  @Override
  public String toString() {
    return MASK;
  }
}
