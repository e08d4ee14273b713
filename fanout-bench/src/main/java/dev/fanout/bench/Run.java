package dev.fanout.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.Stage;
import dev.fanout.http.HttpNotifier;
import dev.fanout.http.WebhookSigner;
import dev.fanout.jdbc.JdbcJournal;
import dev.fanout.jdbc.TestPostgres;
import dev.fanout.spi.Discovery;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Times one complete fan-out (all acknowledgements in) with one method, in its own process. Prints
 * {@code RESULT <ms>} per measured repetition and one {@code STATS} line.
 *
 * <p>Usage: {@code Run <method> <n> <warmup> <reps> [port]}; methods: {@code fanout}, {@code
 * fanout-tuned}, {@code fanout-journal}, {@code fanout-jdk}, {@code java-seq}, {@code floor}.
 *
 * <p>{@code warmup} is the least number of warm-up fan-outs. With {@code
 * -Dfanout.bench.warmupSeconds=S} (S &gt; 0) warming up goes on after that until the JIT compilers
 * are quiet (see {@link WarmUp}) or S seconds have passed, so that the measured fan-outs show what a
 * long-running JVM pays per target rather than the one-time cost of compiling; that cost is printed
 * as {@code warmupJitMillis}, with the number of warm-ups and the first fan-out's time. The fleet
 * counts every request, warm-ups included, so the number is printed ({@code WARMUPS k}) before the
 * results.
 *
 * <p>{@code fanout-journal} starts a PostgreSQL server (fanout-jdbc's {@code TestPostgres}, durable
 * defaults) before the warm-ups and stops it after the measured fan-outs. That server is a process
 * of its own: the CPU figure of the {@code STATS} line is this JVM's only, without PostgreSQL's.
 */
public final class Run {
  private static final byte[] BODY =
      "{\"id\":\"bench\",\"paths\":[\"/blog/hello\"],\"tags\":[\"post:42\"]}".getBytes(StandardCharsets.UTF_8);

  /**
   * With {@code -Dfanout.bench.paced=true} the measured fan-outs wait for a line on standard input
   * each (after {@code READY}), so that {@link Bench} can alternate several methods' processes
   * fan-out by fan-out and every method meets the same moments of a shared machine. The first line
   * is {@code warm}, one more unmeasured fan-out ({@code WARMED} when done), the others {@code go}.
   */
  static final boolean PACED = Boolean.getBoolean("fanout.bench.paced");

  private Run() {}

  /** One way of fanning out. */
  interface Method extends AutoCloseable {
    void fanOut() throws Exception;

    @Override
    default void close() throws IOException {}
  }

  /**
   * Runs the benchmark.
   *
   * @param args method, n, warmup, reps, optional port
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    String method = args[0];
    int n = Integer.parseInt(args[1]);
    int warmup = Integer.parseInt(args[2]);
    int reps = Integer.parseInt(args[3]);
    int port = args.length > 4 ? Integer.parseInt(args[4]) : Fleet.PORT;
    List<Endpoint> endpoints = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      endpoints.add(Endpoint.of(Fleet.address(i), port));
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    try (Method m = create(method, endpoints)) {
      WarmUp w = WarmUp.run(m, warmup, Duration.ofMillis(
          (long) (1000 * Double.parseDouble(System.getProperty("fanout.bench.warmupSeconds", "0")))));
      System.out.println("WARMUPS " + w.fanOuts());
      System.gc();
      threads.resetPeakThreadCount();
      BufferedReader go = PACED ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)) : null;
      if (PACED) {
        System.out.println("READY");
        System.out.flush();
        // One more warm-up, unmeasured, once every method is ready: while the others warmed up,
        // this one's pooled connections may have been closed as idle.
        await(go, "warm");
        m.fanOut();
        System.out.println("WARMED");
        System.out.flush();
      }
      // Counted over each fan-out only: paced, the process waits between them while others run.
      long processCpu = 0;
      long allocated = 0;
      long jit = 0;
      long heapPeak = 0;
      for (int i = 0; i < reps; i++) {
        if (PACED) {
          await(go, "go");
        }
        long jit0 = jitMillis();
        long allocated0 = allocatedBytes(threads);
        long cpu0 = processCpuNanos();
        long start = System.nanoTime();
        m.fanOut();
        long elapsed = System.nanoTime() - start;
        processCpu += processCpuNanos() - cpu0;
        allocated += allocatedBytes(threads) - allocated0;
        jit += jitMillis() - jit0;
        heapPeak = Math.max(heapPeak, memory.getHeapMemoryUsage().getUsed());
        System.out.printf(Locale.ROOT, "RESULT %.3f%n", elapsed / 1e6);
        System.out.flush();
      }
      System.out.printf(Locale.ROOT, "STATS peakThreads=%d heapUsedMB=%.1f cpuMicrosPerTarget=%.1f"
              + " jitMicrosPerTarget=%.1f allocKBPerTarget=%.2f warmups=%d firstMillis=%.1f warmupJitMillis=%d%n",
          threads.getPeakThreadCount(), heapPeak / 1048576.0, processCpu / 1000.0 / ((double) reps * n),
          jit * 1000.0 / ((double) reps * n), allocated / 1024.0 / ((double) reps * n), w.fanOuts(),
          w.firstMillis(), w.jitMillis());
    }
    System.exit(0);
  }

  /** Waits for the pacing line {@code expected} from {@link Bench}. */
  private static void await(BufferedReader go, String expected) throws IOException {
    String line = go.readLine();
    if (!expected.equals(line)) {
      throw new IllegalStateException("paced run: expected '" + expected + "', got " + line);
    }
  }

  /**
   * The warm-up: at least {@code least} fan-outs, then, within {@code budget}, more until the JIT
   * compilers are quiet: over the last {@value #WINDOW} fan-outs they used at most {@value
   * #QUIET_PERCENT} % of the process's CPU. A JVM compiles the engine's hot code once, within its
   * first few thousand requests; measuring while that goes on mixes a one-time cost into a
   * per-target figure, which is what JMH's warm-up iterations avoid too. Every method gets the same
   * rule, the floor included.
   *
   * @param fanOuts the warm-up fan-outs done
   * @param firstMillis how long the very first fan-out took (connections opened, code interpreted)
   * @param jitMillis the compiler threads' CPU during the warm-up, the one-time cost left out of
   *     the measured figures
   */
  record WarmUp(int fanOuts, double firstMillis, long jitMillis) {
    static final int WINDOW = 5;
    static final int QUIET_PERCENT = 2;

    static WarmUp run(Method m, int least, Duration budget) throws Exception {
      long start = System.nanoTime();
      long jitStart = Run.jitMillis();
      long[] jit = new long[WINDOW + 1];
      long[] cpu = new long[WINDOW + 1];
      jit[0] = jitStart;
      cpu[0] = processCpuNanos() / 1_000_000;
      double first = 0;
      int done = 0;
      while (done < least || (System.nanoTime() - start < budget.toNanos() && !quiet(done, jit, cpu))) {
        long t = System.nanoTime();
        m.fanOut();
        if (done == 0) {
          first = (System.nanoTime() - t) / 1e6;
        }
        done++;
        jit[done % jit.length] = Run.jitMillis();
        cpu[done % cpu.length] = processCpuNanos() / 1_000_000;
      }
      return new WarmUp(done, first, Run.jitMillis() - jitStart);
    }

    private static boolean quiet(int done, long[] jit, long[] cpu) {
      if (done < WINDOW) {
        return false;
      }
      int now = done % jit.length;
      int then = (done - WINDOW) % jit.length;
      long cpuUsed = cpu[now] - cpu[then];
      return cpuUsed > 0 && (jit[now] - jit[then]) * 100 <= QUIET_PERCENT * cpuUsed;
    }
  }

  /**
   * Heap allocated so far by the threads alive now (the JVM counts per thread; Java 17 has no
   * process-wide total). The client's threads live for the whole run, so the difference over the
   * measured repetitions is what they allocated; the main thread, which waits for each report, is
   * included.
   */
  private static long allocatedBytes(ThreadMXBean threads) {
    if (!(threads instanceof com.sun.management.ThreadMXBean)) {
      return 0;
    }
    long sum = 0;
    for (long b : ((com.sun.management.ThreadMXBean) threads).getThreadAllocatedBytes(threads.getAllThreadIds())) {
      sum += Math.max(0, b);
    }
    return sum;
  }

  /**
   * CPU time the JIT compiler threads used so far, in milliseconds: part of the process CPU above,
   * and after only a few warm-up fan-outs a large part of it. Read from /proc (the compiler threads
   * are hidden from ThreadMXBean); 0 where there is no /proc.
   */
  private static long jitMillis() {
    long ticks = 0;
    try (java.nio.file.DirectoryStream<java.nio.file.Path> tasks =
        java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/task"))) {
      for (java.nio.file.Path task : tasks) {
        try {
          if (!java.nio.file.Files.readString(task.resolve("comm")).contains("CompilerThre")) {
            continue;
          }
          String stat = java.nio.file.Files.readString(task.resolve("stat"));
          // Fields after the command's closing parenthesis: state is the 3rd, utime the 14th, stime the 15th.
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException gone) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return ticks * 10; // USER_HZ is 100 on Linux
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return 0;
  }

  private static Method create(String method, List<Endpoint> endpoints) throws IOException {
    switch (method) {
      case "fanout":
        return fanout(Stage.fanout("bench", Discovery.of(endpoints), signed()).recheck(false));
      case "fanout-journal":
        return journaled(Stage.fanout("bench", Discovery.of(endpoints), signed()).recheck(false));
      case "fanout-tuned":
        return fanout(Stage.fanout("bench", Discovery.of(endpoints), signed())
            .recheck(false).concurrency(Math.max(1, endpoints.size())));
      case "fanout-jdk":
        return fanout(Stage.fanout("bench", Discovery.of(endpoints), HttpNotifier.builder().path("/api/revalidate")
            .signingSecret(WebhookSigner.generateSecret()).transport(HttpNotifier.Transport.JDK).build())
            .recheck(false).concurrency(Math.max(1, endpoints.size())));
      case "java-seq":
        return javaSequential(endpoints);
      case "floor":
        return floor(endpoints);
      default:
        throw new IllegalArgumentException("unknown method " + method);
    }
  }

  private static HttpNotifier signed() {
    return HttpNotifier.builder().path("/api/revalidate").signingSecret(WebhookSigner.generateSecret()).build();
  }

  private static Method fanout(Stage stage) {
    Invalidator invalidator = Invalidator.builder().stage(stage).build();
    return reporting(() -> invalidator.invalidate(Invalidation.ofPaths("/blog/hello")), List.of(invalidator));
  }

  /**
   * The engine of {@code fanout} behind a durable journal: {@code submit()} into a PostgreSQL
   * server with its default, durable settings ({@code fsync=on}, {@code synchronous_commit=on}),
   * started here, reached through a HikariCP pool of 10 as {@link JournalSubmitBench} does. Each
   * fan-out submits a new id and waits for its future, which completes once the invalidator's
   * sender delivered the entry and committed it as finished: the append's commit, the hand-off to
   * the sender, the fan-out and the completion's commit. One entry at a time, so the journal is
   * idle otherwise. The sender sends an entry again only after a delivery that did not complete,
   * and then only to the targets that did not acknowledge it, after the redelivery backoff (1 s at
   * least): a target that had received the request counts it twice and the fleet's check fails the
   * run, so a run that passes delivered every request exactly once (the engine's own retries within
   * one delivery, as in {@code fanout}, are caught the same way).
   */
  private static Method journaled(Stage stage) {
    Deque<AutoCloseable> opened = new ArrayDeque<>();
    try {
      TestPostgres pg = TestPostgres.start(Map.of());
      opened.push(pg);
      HikariDataSource pool = ConcurrentCalls.pool(pg, "fanout-journal");
      opened.push(pool);
      JdbcJournal journal = JdbcJournal.builder().dataSource(pool).createSchema(true).build();
      opened.push(journal);
      Invalidator invalidator = Invalidator.builder().journal(journal).stage(stage).build();
      opened.push(invalidator);
      long[] next = {0};
      return reporting(() -> invalidator.submit(
          Invalidation.builder().id("bench-" + next[0]++).path("/blog/hello").build()), opened);
    } catch (RuntimeException e) {
      try {
        closeAll(opened);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * A fan-out that waits for the report {@code call} returns and requires it complete; closing it
   * closes {@code resources} in their order.
   */
  private static Method reporting(Supplier<CompletableFuture<InvalidationReport>> call,
      Iterable<? extends AutoCloseable> resources) {
    return new Method() {
      @Override
      public void fanOut() {
        InvalidationReport r = call.get().join();
        if (!r.isComplete()) {
          throw new IllegalStateException(r.summary());
        }
      }

      @Override
      public void close() throws IOException {
        closeAll(resources);
      }
    };
  }

  private static void closeAll(Iterable<? extends AutoCloseable> resources) throws IOException {
    IOException failed = null;
    for (AutoCloseable c : resources) {
      try {
        c.close();
      } catch (Exception e) {
        if (failed == null) {
          failed = new IOException("could not close " + c.getClass().getSimpleName(), e);
        } else {
          failed.addSuppressed(e);
        }
      }
    }
    if (failed != null) {
      throw failed;
    }
  }

  private static Method javaSequential(List<Endpoint> endpoints) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<HttpRequest> requests = new ArrayList<>();
    for (Endpoint e : endpoints) {
      requests.add(HttpRequest.newBuilder(URI.create("http://" + e.authority() + "/api/revalidate"))
          .POST(HttpRequest.BodyPublishers.ofByteArray(BODY)).header("content-type", "application/json").build());
    }
    return () -> {
      for (HttpRequest r : requests) {
        HttpResponse<Void> resp = client.send(r, HttpResponse.BodyHandlers.discarding());
        if (resp.statusCode() != 200) {
          throw new IllegalStateException("status " + resp.statusCode());
        }
      }
    };
  }

  /**
   * The floor: one thread, kept-alive raw sockets, write every request, then read every reply.
   * No HTTP parsing beyond counting complete replies of a known length.
   */
  private static Method floor(List<Endpoint> endpoints) throws IOException {
    Selector selector = Selector.open();
    List<SocketChannel> channels = new ArrayList<>();
    for (Endpoint e : endpoints) {
      SocketChannel c = SocketChannel.open(new InetSocketAddress(e.address(), e.port()));
      c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      c.configureBlocking(false);
      channels.add(c);
    }
    byte[] head = ("POST /api/revalidate HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: "
        + BODY.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    ByteBuffer request = ByteBuffer.allocate(head.length + BODY.length).put(head).put(BODY).flip();
    int replyLength = ("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n"
        + "{\"ok\":true}").length();
    ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    return new Method() {
      @Override
      public void fanOut() throws IOException {
        int[] got = new int[channels.size()];
        for (int i = 0; i < channels.size(); i++) {
          ByteBuffer r = request.duplicate();
          while (r.hasRemaining()) {
            channels.get(i).write(r);
          }
          channels.get(i).register(selector, SelectionKey.OP_READ, i);
        }
        int remaining = channels.size();
        while (remaining > 0) {
          selector.select();
          for (SelectionKey key : selector.selectedKeys()) {
            int i = (Integer) key.attachment();
            in.clear();
            int r = ((SocketChannel) key.channel()).read(in);
            if (r < 0) {
              throw new IOException("closed by the fleet");
            }
            got[i] += r;
            if (got[i] >= replyLength) {
              key.cancel();
              remaining--;
            }
          }
          selector.selectedKeys().clear();
        }
        selector.selectNow();
      }

      @Override
      public void close() throws IOException {
        for (SocketChannel c : channels) {
          c.close();
        }
      }
    };
  }
}
