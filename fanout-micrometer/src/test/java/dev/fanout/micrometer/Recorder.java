package dev.fanout.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Records which observations started and which stopped, in order, to check none is left open. */
final class Recorder implements ObservationHandler<Observation.Context> {
  private final List<Observation.Context> started = Collections.synchronizedList(new ArrayList<>());
  private final Set<Observation.Context> stopped = ConcurrentHashMap.newKeySet();

  @Override
  public void onStart(Observation.Context context) {
    started.add(context);
  }

  @Override
  public void onStop(Observation.Context context) {
    stopped.add(context);
  }

  @Override
  public boolean supportsContext(Observation.Context context) {
    return true;
  }

  List<Observation.Context> started(String name) {
    synchronized (started) {
      return started.stream().filter(c -> name.equals(c.getName())).toList();
    }
  }

  List<Observation.Context> open() {
    synchronized (started) {
      return started.stream().filter(c -> !stopped.contains(c)).toList();
    }
  }

  int count() {
    return started.size();
  }
}
