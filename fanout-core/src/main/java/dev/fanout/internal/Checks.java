package dev.fanout.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks shared by the builders of every module. Not part of the public API. */
public final class Checks {
  private Checks() {}

  /**
   * Returns {@code d} if it is a positive duration.
   *
   * @param d the duration
   * @param what its name, for the message
   * @return {@code d}
   * @throws NullPointerException if {@code d} is null
   * @throws IllegalArgumentException if {@code d} is zero or negative
   */
  public static Duration positive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be > 0: " + d);
    }
    return d;
  }
}
