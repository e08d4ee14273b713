package dev.fanout.bench.soak;

import java.time.Duration;
import java.util.Locale;

/**
 * What one soak run does: how long, how many calls of each kind, against how many receivers, how
 * many of them misbehave and how often, from which seed.
 *
 * @param duration how long the calls are spread over
 * @param invalidations how many {@code invalidate()} calls
 * @param submissions how many distinct {@code submit()} submissions
 * @param receivers how many loopback receivers
 * @param faultRate the share of receivers that misbehave (rounded, at least one when positive)
 * @param faultProbability the chance that a misbehaving receiver misbehaves on one request
 * @param seed seeds every random choice: which receivers misbehave, each fault drawn, the engine's
 *     backoff jitter
 * @param attemptTimeout the fan-out stage's per-attempt timeout
 * @param maxInFlight most {@code invalidate()} calls outstanding at once; the driver waits beyond
 * @param replayCache each receiver's {@code replayCacheSize}: bounded, it fills during the run,
 *     which the heap bound must allow for (about 3.4 MB for 20 receivers of 1,000 ids)
 */
record SoakConfig(
    Duration duration,
    int invalidations,
    int submissions,
    int receivers,
    double faultRate,
    double faultProbability,
    long seed,
    Duration attemptTimeout,
    int maxInFlight,
    int replayCache) {

  /** The full run: 10,000 invalidations and 50,000 submissions over 60 s, 20 receivers, 2 misbehaving. */
  static final SoakConfig FULL = new SoakConfig(Duration.ofSeconds(60), 10_000, 50_000, 20, 0.10, 0.5, 12L,
      Duration.ofSeconds(5), 600, 1_000);

  SoakConfig {
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("--duration must be positive: " + duration);
    }
    if (invalidations < 0 || submissions < 0 || invalidations + submissions == 0) {
      throw new IllegalArgumentException("--invalidations and --submissions must be >= 0, not both 0: "
          + invalidations + ", " + submissions);
    }
    if (receivers < 1 || receivers > 200) {
      throw new IllegalArgumentException("--receivers must be 1..200 (one loopback address each): " + receivers);
    }
    if (!(faultRate >= 0 && faultRate < 1)) {
      throw new IllegalArgumentException("--fault-rate must be in [0, 1): at least one receiver stays healthy: "
          + faultRate);
    }
    if (!(faultProbability >= 0 && faultProbability <= 1)) {
      throw new IllegalArgumentException("--fault-probability must be in [0, 1]: " + faultProbability);
    }
    if (attemptTimeout.isNegative() || attemptTimeout.isZero()) {
      throw new IllegalArgumentException("--attempt-timeout must be positive: " + attemptTimeout);
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("--max-in-flight must be >= 1: " + maxInFlight);
    }
    if (replayCache < 1) {
      throw new IllegalArgumentException("--replay-cache must be >= 1: " + replayCache);
    }
  }

  /** How many receivers misbehave: the rate rounded, at least one when the rate is positive. */
  int faulty() {
    if (faultRate == 0) {
      return 0;
    }
    return Math.min(receivers - 1, Math.max(1, (int) Math.round(receivers * faultRate)));
  }

  /**
   * Reads {@code --name value} options over the {@link #FULL} run's values.
   *
   * @param args the options
   * @return the configuration
   * @throws IllegalArgumentException naming an unknown option, a missing or bad value
   */
  static SoakConfig parse(String... args) {
    Duration duration = FULL.duration;
    int invalidations = FULL.invalidations;
    int submissions = FULL.submissions;
    int receivers = FULL.receivers;
    double faultRate = FULL.faultRate;
    double faultProbability = FULL.faultProbability;
    long seed = FULL.seed;
    Duration attemptTimeout = FULL.attemptTimeout;
    int maxInFlight = FULL.maxInFlight;
    int replayCache = FULL.replayCache;
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(name + " needs a value");
      }
      String value = args[i + 1];
      try {
        switch (name) {
          case "--duration": duration = duration(value); break;
          case "--invalidations": invalidations = Integer.parseInt(value); break;
          case "--submissions": submissions = Integer.parseInt(value); break;
          case "--receivers": receivers = Integer.parseInt(value); break;
          case "--fault-rate": faultRate = Double.parseDouble(value); break;
          case "--fault-probability": faultProbability = Double.parseDouble(value); break;
          case "--seed": seed = Long.parseLong(value); break;
          case "--attempt-timeout": attemptTimeout = duration(value); break;
          case "--max-in-flight": maxInFlight = Integer.parseInt(value); break;
          case "--replay-cache": replayCache = Integer.parseInt(value); break;
          default: throw new IllegalArgumentException("unknown option " + name);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " has a bad value: '" + value + "'");
      }
    }
    return new SoakConfig(duration, invalidations, submissions, receivers, faultRate, faultProbability, seed,
        attemptTimeout, maxInFlight, replayCache);
  }

  /** Parses {@code 60s}, {@code 1500ms} or {@code 2m}. */
  private static Duration duration(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
    }
    if (v.endsWith("s")) {
      return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
    }
    if (v.endsWith("m")) {
      return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
    }
    throw new NumberFormatException(value);
  }

  /** The options that reproduce this run. */
  String asArgs() {
    return String.format(Locale.ROOT, "--duration %dms --invalidations %d --submissions %d --receivers %d"
        + " --fault-rate %s --fault-probability %s --seed %d --attempt-timeout %dms --max-in-flight %d --replay-cache %d",
        duration.toMillis(), invalidations, submissions, receivers, faultRate, faultProbability, seed,
        attemptTimeout.toMillis(), maxInFlight, replayCache);
  }
}
