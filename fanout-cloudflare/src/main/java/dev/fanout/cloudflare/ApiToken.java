package dev.fanout.cloudflare;

/**
 * Holds the Cloudflare API token so that the only way to the raw value is {@link
 * #authorization()}, used in exactly one place: the {@code Authorization} request header. Anything
 * that prints it by accident (string concatenation, a debugger, a log call) gets the mask.
 */
final class ApiToken {
  static final String MASK = "****";

  private final String value;

  private ApiToken(String value) {
    this.value = value;
  }

  /**
   * Checks and wraps a token. The messages never contain the token, not even a part of it.
   *
   * @throws IllegalArgumentException if the token is blank or cannot be a header value
   */
  static ApiToken of(String value) {
    String v = value.strip();
    if (v.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new IllegalArgumentException(
          "apiToken must be the token itself, without the 'Bearer ' prefix");
    }
    if (v.isEmpty()) {
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

  /** The {@code Authorization} header value. */
  String authorization() {
    return "Bearer " + value;
  }

  /** Replaces the token wherever it occurs in text from outside (e.g. a reflected body). */
  String scrub(String text) {
    return text == null ? null : text.replace(value, MASK);
  }

  @Override
  public String toString() {
    return MASK;
  }
}
