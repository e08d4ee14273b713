package dev.fanout.bench.soak;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.util.Set;

/**
 * The process's threads and heap at one moment: live threads by owner (the library's {@code
 * fanout-*}, this harness's {@code soak-*}, the JVM's own), and the heap in use right after a full
 * collection, so that what is measured is what is retained, not garbage waiting.
 *
 * @param when the moment's name
 * @param threads every live thread
 * @param library threads named {@code fanout-*}
 * @param harness threads named {@code soak-*}
 * @param heapUsed bytes of heap in use after a full collection
 * @param descriptors open file descriptors (sockets included), or -1 where the JVM cannot tell
 */
record Vitals(String when, int threads, int library, int harness, long heapUsed, long descriptors) {
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** Collects garbage (twice, so finalizable and softly reachable leftovers go too) and samples. */
  static Vitals sample(String when) {
    MEMORY.gc();
    MEMORY.gc();
    long heap = MEMORY.getHeapMemoryUsage().getUsed();
    Set<Thread> all = Thread.getAllStackTraces().keySet();
    int library = 0;
    int harness = 0;
    for (Thread t : all) {
      if (t.getName().startsWith("fanout-")) {
        library++;
      } else if (t.getName().startsWith("soak-")) {
        harness++;
      }
    }
    return new Vitals(when, all.size(), library, harness, heap, openDescriptors());
  }

  /**
   * Open file descriptors of this process, or -1 where the JVM cannot tell, or when it has none left
   * to look (the count reads {@code /proc/self/fd}, which fails with an {@code InternalError} then).
   */
  static long openDescriptors() {
    try {
      return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
          ? unix.getOpenFileDescriptorCount() : -1;
    } catch (InternalError e) {
      return -1;
    }
  }

  /** The process's descriptor limit, or -1 where the JVM cannot tell. */
  static long descriptorLimit() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
        ? unix.getMaxFileDescriptorCount() : -1;
  }

  /** Starts counting the peak of live threads afresh, from now. */
  static void resetPeak() {
    THREADS.resetPeakThreadCount();
  }

  /** The most live threads at once since {@link #resetPeak()}. */
  static int peak() {
    return THREADS.getPeakThreadCount();
  }

  /** Everything that is not the harness's own. */
  int measured() {
    return threads - harness;
  }

  double heapMiB() {
    return heapUsed / (1024.0 * 1024.0);
  }
}
