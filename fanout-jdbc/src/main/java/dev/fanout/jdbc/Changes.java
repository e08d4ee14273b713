package dev.fanout.jdbc;

import dev.fanout.RetryPolicy;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Schedulers;
import dev.fanout.spi.Journal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells subscribers when entries may have become claimable. On PostgreSQL one thread holds a
 * dedicated connection that {@code LISTEN}s on the journal's channel and calls the subscribers when
 * a notification arrives (appends, releases and completions notify on commit, from any process).
 * When that connection breaks it calls them once (something may have been missed), polls at the
 * poll interval while the database is away, and listens again when it is back. On H2, or with
 * listening turned off, it calls them at the poll interval.
 */
final class Changes {
  private static final Logger LOG = LoggerFactory.getLogger(Changes.class);
  /** The longest a read for notifications blocks, so that close() is noticed soon. */
  private static final Duration MAX_READ = Duration.ofMillis(500);

  private final DataSource dataSource;
  private final Function<Connection, Dialect> dialect;
  private final String channel;
  private final Duration pollInterval;
  private final boolean listen;
  private final String threadName;
  private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();
  private final Retry reconnect;
  private Thread thread;
  private volatile boolean closed;

  Changes(DataSource dataSource, Function<Connection, Dialect> dialect, String channel,
      Duration pollInterval, boolean listen, String threadName) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.channel = channel;
    this.pollInterval = pollInterval;
    this.listen = listen;
    this.threadName = threadName;
    this.reconnect = new Retry(new RetryPolicy(Integer.MAX_VALUE, pollInterval,
        pollInterval.compareTo(Duration.ofSeconds(30)) > 0 ? pollInterval : Duration.ofSeconds(30)),
        Retry.defaultRandom());
  }

  synchronized Journal.Subscription subscribe(Runnable onChange) {
    subscribers.add(onChange);
    if (thread == null && !closed) {
      thread = Schedulers.daemonThreads(threadName).newThread(this::run);
      thread.start();
    }
    return () -> subscribers.remove(onChange);
  }

  synchronized void close() {
    // The listening thread notices within one read (at most MAX_READ) and gives its connection
    // back; closing a connection another thread is reading from would block in the driver.
    closed = true;
    subscribers.clear();
    if (thread != null) {
      LockSupport.unpark(thread);
    }
  }

  private void run() {
    if (!listen) {
      poll();
      return;
    }
    int failures = 0;
    boolean notifies = true;
    while (!closed && notifies) {
      try (Connection c = dataSource.getConnection()) {
        notifies = dialect.apply(c).notifies;
        if (!notifies) {
          continue;
        }
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + channel);
        }
        if (failures > 0) {
          LOG.info("journal notifications: listening again on '{}'", channel);
        }
        failures = 0;
        fire(); // anything appended while nobody listened
        int waitMillis = (int) Math.max(1, Math.min(MAX_READ.toMillis(), pollInterval.toMillis()));
        while (!closed) {
          if (PgDriver.await(c, waitMillis)) {
            fire();
          }
        }
        try (Statement s = c.createStatement()) {
          // The connection may go back to the application's pool: it must not keep listening.
          s.execute("UNLISTEN *");
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          return;
        }
        failures++;
        if (failures == 1) {
          LOG.warn("journal notifications: the LISTEN connection failed; polling every {} until it"
              + " is back ({})", pollInterval, SqlErrors.redact(String.valueOf(e.getMessage())));
        }
        fire();
        LockSupport.parkNanos(pollInterval.plus(reconnect.backoff(failures)).toNanos());
      }
    }
    poll();
  }

  private void poll() {
    while (!closed) {
      LockSupport.parkNanos(pollInterval.toNanos());
      if (!closed) {
        fire();
      }
    }
  }

  private void fire() {
    for (Runnable s : subscribers) {
      try {
        s.run();
      } catch (RuntimeException e) {
        LOG.warn("a journal subscriber threw; ignored", e);
      }
    }
  }
}
