package dev.fanout.micrometer;

import dev.fanout.Endpoint;
import dev.fanout.testing.LoopbackPod;
import java.util.ArrayList;
import java.util.List;

/** Loopback pods started by a test, closed after it. */
final class Replicas implements AutoCloseable {
  private final List<LoopbackPod> pods = new ArrayList<>();

  /** Starts a pod on 127.0.0.{n} with the given behaviour. */
  LoopbackPod start(int n, LoopbackPod.Behaviour behaviour) throws Exception {
    LoopbackPod p = LoopbackPod.start("127.0.0." + n, 0, "web-" + n, behaviour);
    pods.add(p);
    return p;
  }

  List<Endpoint> endpoints() {
    return pods.stream().map(LoopbackPod::endpoint).toList();
  }

  List<LoopbackPod> pods() {
    return pods;
  }

  @Override
  public void close() {
    pods.forEach(LoopbackPod::close);
  }
}
