package dev.fanout.spring;

import java.util.ArrayList;
import java.util.List;

/**
 * What the stages built from properties own (notifiers, Kubernetes watches, SDK clients): closed
 * when the application context closes, after the invalidator that uses them.
 */
final class FanoutResources implements AutoCloseable {
  private final List<AutoCloseable> resources = new ArrayList<>();

  synchronized void addAll(List<AutoCloseable> more) {
    resources.addAll(more);
  }

  @Override
  public synchronized void close() {
    StageFactory.closeAll(resources);
    resources.clear();
  }
}
