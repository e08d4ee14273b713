package dev.fanout.spring;

/** Stands in for a secret in descriptions: says whether it is set, never what it is. */
final class Redacted {
  private Redacted() {}

  static String of(String secret) {
    return secret == null ? null : "<redacted>";
  }
}
