package dev.fanout.catchup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.FanoutListener;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The listener the engine calls when a stage catches up wraps the invalidator's own listener: it
 * must pass on every event, including those added to FanoutListener later.
 */
class ObservingListenerTest {
  @Test
  void everyListenerMethodIsPassedOn() {
    List<String> missing = new ArrayList<>();
    for (Method m : FanoutListener.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      try {
        ObservingListener.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
      } catch (NoSuchMethodException e) {
        missing.add(m.getName());
      }
    }
    assertThat(missing).as("FanoutListener methods ObservingListener does not pass on").isEmpty();
  }
}
