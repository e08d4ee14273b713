package dev.fanout.micrometer;

import dev.fanout.ErrorKind;
import dev.fanout.InvalidationReport;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tag values. Enum values go lower case; configured names (stages, purgers) are kept as they are
 * but bounded in number, so that a purger whose name changed per call could never grow a metrics
 * backend without limit.
 */
final class Names {
  /** Used once {@link FanoutObservability#MAX_NAMES} distinct names were seen for one key. */
  static final String OTHER = "other";
  /** The error kind tag when there was no error. */
  static final String NONE = "none";

  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private final int max;

  Names(int max) {
    this.max = max;
  }

  /** Returns the name, or {@link #OTHER} once {@code max} other names are in use. */
  String bounded(String name) {
    String n = name == null || name.isEmpty() ? "unnamed" : name;
    if (seen.contains(n)) {
      return n;
    }
    if (seen.size() >= max) {
      return OTHER;
    }
    seen.add(n);
    return n;
  }

  static String lower(Enum<?> value) {
    return value == null ? NONE : value.name().toLowerCase(Locale.ROOT);
  }

  static String errorKind(ErrorKind kind) {
    return kind == null ? NONE : lower(kind);
  }

  static String outcome(InvalidationReport report) {
    return report.isSuperseded() ? "superseded" : report.isComplete() ? "complete" : "incomplete";
  }
}
