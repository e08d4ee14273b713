package dev.fanout.micrometer;

import dev.fanout.Invalidation;
import dev.fanout.spi.PurgeResult;
import io.micrometer.observation.Observation;
import java.util.Objects;

/**
 * What the {@code fanout.purge} observation knows: one purger call of a purge stage.
 *
 * @since 0.1
 */
public final class PurgeContext extends Observation.Context {
  private final Invalidation invalidation;
  private final String stage;
  private final String purger;
  private volatile PurgeResult result;

  PurgeContext(Invalidation invalidation, String stage, String purger) {
    this.invalidation = Objects.requireNonNull(invalidation, "invalidation");
    this.stage = Objects.requireNonNull(stage, "stage");
    this.purger = Objects.requireNonNull(purger, "purger");
  }

  /**
   * Returns the invalidation.
   *
   * @return the invalidation
   */
  public Invalidation invalidation() {
    return invalidation;
  }

  /**
   * Returns the purge stage's name.
   *
   * @return the stage name
   */
  public String stage() {
    return stage;
  }

  /**
   * Returns the purger's name ({@code Purger.name()}).
   *
   * @return the purger name
   */
  public String purger() {
    return purger;
  }

  /**
   * Returns the purger's result, once it finished.
   *
   * @return the result, or {@code null} while it runs
   */
  public PurgeResult result() {
    return result;
  }

  void result(PurgeResult r) {
    this.result = r;
  }
}
