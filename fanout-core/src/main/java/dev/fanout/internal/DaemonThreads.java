package dev.fanout.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Names the threads fanout creates ({@code prefix-1}, {@code prefix-2}, ...) and makes them daemons,
 * so that a library thread never keeps an application's JVM alive. Part of the kernel (see {@link
 * Schedulers#daemonThreads(String)}); not part of the public API.
 */
public final class DaemonThreads implements ThreadFactory {
  private final String prefix;
  private final AtomicInteger count = new AtomicInteger();

  /**
   * Creates a factory.
   *
   * @param prefix the thread name prefix, e.g. {@code fanout-timer}
   */
  public DaemonThreads(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public Thread newThread(Runnable r) {
    Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
    t.setDaemon(true);
    return t;
  }
}
