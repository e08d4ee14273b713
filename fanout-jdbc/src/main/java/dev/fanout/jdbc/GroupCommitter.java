package dev.fanout.jdbc;

import dev.fanout.Invalidation;
import dev.fanout.JournalException;
import dev.fanout.internal.Schedulers;
import dev.fanout.spi.Appended;
import dev.fanout.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Group commit: concurrent appends wait in a queue; one thread takes everything queued (up to the
 * batch size) and writes it in one transaction, so that N waiting callers cost one commit, not N.
 * A caller returns when its batch committed; when a batch fails, every caller in it gets the
 * failure and nothing of the batch was committed.
 *
 * <p>No waiting happens to fill a batch: a thread takes what arrived while the previous batch
 * was committing, so at low load a batch is one append and adds no latency. With more than one
 * committer thread, a batch is written while another is waiting for its commit to reach the disk,
 * and PostgreSQL flushes both commits' WAL together.
 */
final class GroupCommitter {
  /** Writes one batch in one transaction; results in request order. */
  interface Writer {
    List<Appended> write(List<Request> batch);
  }

  record Request(Invalidation invalidation, Lease claimAs, CompletableFuture<Appended> done) {}

  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final Writer writer;
  private final int maxBatch;
  private final Duration timeout;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicInteger running;
  private volatile boolean closing;
  private volatile boolean stopped;

  GroupCommitter(Writer writer, int maxBatch, int committers, Duration timeout, String threadName) {
    this.writer = writer;
    this.maxBatch = maxBatch;
    this.timeout = timeout;
    this.running = new AtomicInteger(committers);
    ThreadFactory factory = Schedulers.daemonThreads(threadName);
    for (int i = 0; i < committers; i++) {
      threads.add(factory.newThread(this::run));
    }
    threads.forEach(Thread::start);
  }

  Appended append(Invalidation inv, Lease claimAs) {
    if (closing) {
      throw closed();
    }
    Request r = new Request(inv, claimAs, new CompletableFuture<>());
    queue.add(r);
    if (stopped && queue.remove(r)) {
      throw closed();
    }
    try {
      return r.done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof JournalException je) {
        // A fresh exception, so the caller's own stack is in the trace.
        throw new JournalException(je.getMessage(), je.isRetryable(), je);
      }
      throw new JournalException("journal append failed: " + c, false, c);
    } catch (TimeoutException e) {
      throw new JournalException("journal append did not finish within " + timeout
          + "; it may or may not be committed: append it again with the same id (appends are"
          + " idempotent by id)", true, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JournalException("interrupted while waiting for a journal append; it may or may"
          + " not be committed: append it again with the same id", true, e);
    }
  }

  private void run() {
    List<Request> batch = new ArrayList<>();
    try {
      while (!closing || !queue.isEmpty()) {
        Request first;
        try {
          first = queue.poll(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          // close() interrupts only to wake the thread; the loop condition decides.
          continue;
        }
        if (first == null) {
          continue;
        }
        batch.clear();
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
        write(batch);
      }
    } finally {
      if (running.decrementAndGet() == 0) {
        stopped = true;
        List<Request> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(r -> r.done.completeExceptionally(closed()));
      }
    }
  }

  private void write(List<Request> batch) {
    try {
      List<Appended> results = writer.write(batch);
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).done.complete(results.get(i));
      }
    } catch (RuntimeException | Error e) {
      JournalException failure = e instanceof JournalException je ? je
          : new JournalException("journal append failed: " + e, false, e);
      batch.forEach(r -> r.done.completeExceptionally(failure));
    }
  }

  /** Commits or fails what is queued, then stops the thread. */
  void close() {
    closing = true;
    threads.forEach(Thread::interrupt);
    try {
      for (Thread t : threads) {
        t.join(timeout.toMillis() + 1_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static JournalException closed() {
    return new JournalException("the JDBC journal is closed; nothing was appended", false, null);
  }
}
