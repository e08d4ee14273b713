package dev.fanout;

/**
 * When a stage counts as done enough for the next stage to start.
 *
 * <p>For a fan-out stage the gate counts the targets that were expected to acknowledge (every
 * discovered target that was not excused or skipped) and those that did. For a purge stage it
 * counts purgers. The default, {@link #all()}, holds the next stage back unless every expected
 * target acknowledged: purging a CDN while a replica is still stale would let the CDN re-cache the
 * stale copy.
 *
 * @since 0.1
 */
public final class Gate {
  private enum Mode {
    ALL,
    QUORUM,
    AT_LEAST,
    PROCEED
  }

  private static final Gate ALL = new Gate(Mode.ALL, 1.0, 0);
  private static final Gate PROCEED = new Gate(Mode.PROCEED, 0.0, 0);

  private final Mode mode;
  private final double fraction;
  private final int count;

  private Gate(Mode mode, double fraction, int count) {
    this.mode = mode;
    this.fraction = fraction;
    this.count = count;
  }

  /**
   * Every expected target must acknowledge (the default).
   *
   * @return the gate
   */
  public static Gate all() {
    return ALL;
  }

  /**
   * At least the given fraction of the expected targets must acknowledge, rounded up.
   *
   * @param fraction a fraction in (0, 1], e.g. {@code 0.5}
   * @return the gate
   * @throws IllegalArgumentException if the fraction is out of range
   */
  public static Gate quorum(double fraction) {
    if (!(fraction > 0.0 && fraction <= 1.0)) {
      throw new IllegalArgumentException("quorum fraction must be in (0, 1]: " + fraction);
    }
    return new Gate(Mode.QUORUM, fraction, 0);
  }

  /**
   * At least {@code n} targets must acknowledge.
   *
   * @param n the number, {@code >= 1}
   * @return the gate
   * @throws IllegalArgumentException if {@code n < 1}
   */
  public static Gate atLeast(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("atLeast needs n >= 1: " + n);
    }
    return new Gate(Mode.AT_LEAST, 0.0, n);
  }

  /**
   * Later stages run whatever happened here. The report still shows every failure. Use it with
   * care: a CDN purged while a replica is stale can re-cache the stale copy.
   *
   * @return the gate
   */
  public static Gate proceed() {
    return PROCEED;
  }

  /**
   * Returns whether the gate is met.
   *
   * @param acknowledged how many targets (or purgers) succeeded
   * @param expected how many were expected to
   * @return true if later stages may run
   */
  public boolean isMet(int acknowledged, int expected) {
    switch (mode) {
      case ALL:
        return acknowledged >= expected;
      case QUORUM:
        return acknowledged >= (int) Math.ceil(fraction * expected - 1e-9);
      case AT_LEAST:
        return acknowledged >= count;
      default:
        return true;
    }
  }

  /**
   * Returns whether this gate lets later stages run whatever happened.
   *
   * @return true for {@link #proceed()}
   */
  public boolean isProceed() {
    return mode == Mode.PROCEED;
  }

  /**
   * Returns a short description, e.g. {@code all}, {@code quorum(0.5)}, {@code atLeast(2)}.
   *
   * @return the description
   */
  @Override
  public String toString() {
    switch (mode) {
      case QUORUM:
        return "quorum(" + fraction + ")";
      case AT_LEAST:
        return "atLeast(" + count + ")";
      default:
        return mode.name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Gate
        && ((Gate) o).mode == mode
        && ((Gate) o).fraction == fraction
        && ((Gate) o).count == count;
  }

  @Override
  public int hashCode() {
    return mode.hashCode() * 31 + Double.hashCode(fraction) * 7 + count;
  }
}
