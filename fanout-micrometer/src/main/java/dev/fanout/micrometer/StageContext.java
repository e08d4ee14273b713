package dev.fanout.micrometer;

import dev.fanout.Invalidation;
import dev.fanout.StageReport;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.SenderContext;
import java.util.Map;
import java.util.Objects;

/**
 * What the {@code fanout.stage} observation knows. It is a {@link SenderContext} (kind {@link
 * Kind#PRODUCER}): a tracing handler that propagates (Micrometer Tracing's {@code
 * PropagatingSenderTracingObservationHandler}, which Spring Boot registers) writes the stage span's
 * trace context into its carrier when the stage starts, and {@link
 * FanoutObservability#header(String)} hands those headers to {@code HttpNotifier}, so every
 * replica's receive span is a child of the stage that reached it.
 *
 * @since 0.1
 */
public final class StageContext extends SenderContext<Map<String, String>> {
  private final Invalidation invalidation;
  private final String stage;
  private volatile StageReport report;

  StageContext(Invalidation invalidation, String stage, Map<String, String> carrier) {
    super((c, key, value) -> {
      if (c != null && key != null && value != null) {
        c.put(key, value);
      }
    }, Kind.PRODUCER);
    this.invalidation = Objects.requireNonNull(invalidation, "invalidation");
    this.stage = Objects.requireNonNull(stage, "stage");
    setCarrier(carrier);
    setRemoteServiceName(stage);
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
   * Returns the stage name, as configured (or {@code other} past {@value
   * FanoutObservability#MAX_NAMES} distinct names).
   *
   * @return the stage name
   */
  public String stage() {
    return stage;
  }

  /**
   * Returns the stage's report, once the stage ended.
   *
   * @return the report, or {@code null} while it runs
   */
  public StageReport report() {
    return report;
  }

  void report(StageReport r) {
    this.report = r;
  }
}
