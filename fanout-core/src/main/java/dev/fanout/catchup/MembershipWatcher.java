package dev.fanout.catchup;

import dev.fanout.Endpoint;
import dev.fanout.spi.Discovery;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * Follows one stage's membership: through the discovery's {@link Discovery#watch} when it can
 * report changes, otherwise by asking {@link Discovery#discoverFresh()} at the poll interval.
 */
final class MembershipWatcher implements AutoCloseable {
  private final Discovery discovery;
  private final Duration poll;
  private final Context ctx;
  private final Consumer<List<Endpoint>> onView;
  private volatile boolean closed;
  private volatile Discovery.Watch watch;
  private volatile ScheduledFuture<?> next;

  MembershipWatcher(Discovery discovery, Duration poll, Context ctx, Consumer<List<Endpoint>> onView) {
    this.discovery = discovery;
    this.poll = poll;
    this.ctx = ctx;
    this.onView = onView;
  }

  void start() {
    Discovery.Watch w;
    try {
      w = discovery.watch(this::view);
    } catch (RuntimeException e) {
      CatchUpService.LOG.warn("membership watch of {} failed to start; polling instead", discovery, e);
      w = Discovery.Watch.UNSUPPORTED;
    }
    watch = w;
    if (w == Discovery.Watch.UNSUPPORTED) {
      pollOnce();
    }
  }

  private void view(List<Endpoint> endpoints) {
    if (!closed) {
      onView.accept(endpoints);
    }
  }

  private void pollOnce() {
    if (closed) {
      return;
    }
    try {
      discovery.discoverFresh().whenComplete((list, error) -> {
        if (error != null) {
          CatchUpService.LOG.debug("membership poll of {} failed: {}", discovery, error.toString());
        } else {
          view(list);
        }
        if (!closed) {
          next = ctx.schedule(poll, this::pollOnce);
        }
      });
    } catch (RuntimeException e) {
      CatchUpService.LOG.debug("membership poll of {} threw: {}", discovery, e.toString());
      next = ctx.schedule(poll, this::pollOnce);
    }
  }

  @Override
  public void close() {
    closed = true;
    Discovery.Watch w = watch;
    if (w != null) {
      w.close();
    }
    ScheduledFuture<?> n = next;
    if (n != null) {
      n.cancel(false);
    }
  }
}
