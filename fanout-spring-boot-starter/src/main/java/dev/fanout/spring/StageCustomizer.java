package dev.fanout.spring;

import dev.fanout.Stage;

/**
 * Replaces or adjusts a stage built from {@code fanout.stages[*]} before it is added to the
 * invalidator, e.g. {@code stage -> stage.name().equals("web") ? ((Stage.Fanout) stage).gate(myGate)
 * : stage}. Beans of this type are applied in {@link org.springframework.core.annotation.Order}
 * order, each to the previous one's result.
 *
 * <p>Called once per stage while the application starts; an exception thrown here stops the start.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface StageCustomizer {

  /**
   * Returns the stage to use.
   *
   * @param stage the stage the properties built (or the previous customizer returned)
   * @return the stage to use instead, or the same one; never null
   */
  Stage customize(Stage stage);
}
