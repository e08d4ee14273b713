package dev.fanout.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Runs every method against one fleet of N loopback endpoints and prints a table: median and p95
 * of one complete fan-out, as ratios to D plus the loopback round trip and to the floor. Each
 * method runs in its own process; the fleet checks that every endpoint received every request
 * exactly once.
 *
 * <p>Usage: {@code Bench [--quick] [--out DIR] [--port P] [--methods a,b,c] [--sizes 10,100]
 * [--warmup K] [--reps K]}.
 *
 * <ul>
 *   <li>{@code --quick}: N in 10 and 100, 2 warm-up and 3 measured fan-outs, no {@code fanout-jdk}
 *       and no curl; it exists so the harness cannot rot, its numbers are not asserted.
 *   <li>{@code --out DIR}: where results.md, results.csv and latency.png go (default {@code
 *       target/bench}).
 *   <li>{@code --port P}: the fleet's port (default 8080); the loopback round trip is measured on
 *       P + 1.
 *   <li>{@code --methods a,b,c}: only these methods, in the usual order ({@value #ALL_METHODS}),
 *       with or without {@code --quick}; the "× floor" column needs {@code floor} among them.
 *   <li>{@code --sizes 10,100}: the values of N (default 10, 100, 500, 2000; quick 10, 100).
 *   <li>{@code --warmup K}, {@code --reps K}: the least warm-up fan-outs (more follow until the JIT
 *       compilers are quiet, for up to 10 s, quick 1 s) and the measured ones, per method and N
 *       (default 5 and 15; quick 2 and 3). The sequential methods keep their own smaller counts.
 * </ul>
 */
public final class Bench {
  private static final int DELAY_MS = 20;
  /**
   * The methods whose processes run together at each N, their measured fan-outs alternating (see
   * {@link #runPaced}); the others run one after the other afterwards: the sequential ones, the ones
   * that are not Java, and {@code fanout-jdk}, whose gigabytes of heap and dozens of threads at N =
   * 2,000 would weigh on the others' fan-outs while it waits its turn.
   */
  static final List<String> PACED = List.of("floor", "fanout", "fanout-tuned", "fanout-journal");
  /** Every method, in the order they run at each N. */
  static final String ALL_METHODS =
      "floor,fanout,fanout-tuned,fanout-journal,fanout-jdk,java-seq,node,curl";
  /** How many endpoints the fleet can address: 127.1.0.1 to 127.1.255.250. */
  private static final int MAX_N = 256 * 250;

  private Bench() {}

  /**
   * One row of results.
   *
   * @param warmups the warm-up fan-outs the method made before the measured ones (the fleet counts them)
   */
  record Row(String method, int n, List<Double> millis, String stats, boolean estimated, int warmups) {
    double median() {
      return percentile(0.5);
    }

    double p95() {
      return percentile(0.95);
    }

    private double percentile(double p) {
      List<Double> sorted = new ArrayList<>(millis);
      Collections.sort(sorted);
      int i = (int) Math.ceil(p * sorted.size()) - 1;
      return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1)));
    }
  }

  /**
   * The command line, validated; see the class description.
   *
   * @param out where the results go
   * @param port the fleet's port; the round trip is measured on the next one
   * @param methods the methods to run, in the order of {@link #ALL_METHODS}
   * @param sizes the values of N, ascending
   * @param warmup the least warm-up fan-outs per method and N
   * @param reps measured fan-outs per method and N
   * @param warmupSeconds how long warming up may go on after {@code warmup} fan-outs until the JIT
   *     compilers are quiet (10 s; quick 1 s)
   */
  record Options(Path out, int port, List<String> methods, List<Integer> sizes, int warmup, int reps,
      int warmupSeconds) {
    private static final List<String> WITH_VALUE =
        List.of("--out", "--port", "--methods", "--sizes", "--warmup", "--reps");

    /**
     * Reads the options.
     *
     * @throws IllegalArgumentException naming the option that is unknown, lacks its value or has
     *     an invalid one
     */
    static Options parse(String... args) {
      boolean quick = List.of(args).contains("--quick");
      Map<String, String> given = new LinkedHashMap<>();
      for (int i = 0; i < args.length; i++) {
        String option = args[i];
        if (option.equals("--quick")) {
          continue;
        }
        if (!WITH_VALUE.contains(option)) {
          throw new IllegalArgumentException("unknown option '" + option + "'; options: --quick, "
              + String.join(", ", WITH_VALUE));
        }
        if (i + 1 == args.length) {
          throw new IllegalArgumentException(option + " needs a value");
        }
        given.put(option, args[++i]);
      }
      List<String> methods = new ArrayList<>();
      List<String> all = List.of(ALL_METHODS.split(","));
      if (given.containsKey("--methods")) {
        List<String> asked = list(given, "--methods");
        for (String m : asked) {
          if (!all.contains(m)) {
            throw new IllegalArgumentException("--methods: unknown method '" + m + "'; methods: " + ALL_METHODS);
          }
        }
        all.stream().filter(asked::contains).forEach(methods::add);
      } else {
        // Quick: without the two slowest to start or to run.
        all.stream().filter(m -> !quick || !List.of("fanout-jdk", "curl").contains(m)).forEach(methods::add);
      }
      List<Integer> sizes = new ArrayList<>();
      if (given.containsKey("--sizes")) {
        for (String n : list(given, "--sizes")) {
          sizes.add(integer("--sizes", n, 1, MAX_N));
        }
        sizes = sizes.stream().distinct().sorted().toList();
      } else {
        sizes = quick ? List.of(10, 100) : List.of(10, 100, 500, 2000);
      }
      return new Options(Path.of(given.getOrDefault("--out", "target/bench")),
          integer("--port", given.getOrDefault("--port", String.valueOf(Fleet.PORT)), 1, 65534),
          List.copyOf(methods), sizes,
          integer("--warmup", given.getOrDefault("--warmup", quick ? "2" : "5"), 0, 1000),
          integer("--reps", given.getOrDefault("--reps", quick ? "3" : "15"), 1, 1000), quick ? 1 : 10);
    }

    private static List<String> list(Map<String, String> given, String option) {
      List<String> items = new ArrayList<>();
      for (String item : given.get(option).split(",")) {
        if (!item.isBlank()) {
          items.add(item.trim());
        }
      }
      if (items.isEmpty()) {
        throw new IllegalArgumentException(option + " needs a comma-separated list: '" + given.get(option) + "'");
      }
      return items;
    }

    private static int integer(String option, String value, int min, int max) {
      try {
        int v = Integer.parseInt(value.trim());
        if (v >= min && v <= max) {
          return v;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(String.format(Locale.ROOT, "%s must be a whole number from %,d to %,d: '%s'",
          option, min, max, value));
    }
  }

  /**
   * Runs the benchmark.
   *
   * @param args options
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("Bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    Path out = o.out();
    Files.createDirectories(out);
    int[] sizes = o.sizes().stream().mapToInt(Integer::intValue).toArray();
    int warmup = o.warmup();
    int reps = o.reps();
    int port = o.port();
    // After the least warm-up, up to this long more until the JIT compilers are quiet (Run.WarmUp).
    int warmupSeconds = o.warmupSeconds();
    List<String> methods = o.methods();
    if (!methods.contains("floor")) {
      System.out.println("no floor among the methods: the × floor column stays empty");
    }
    boolean haveNode = commandExists("node");
    boolean haveCurl = commandExists("curl");
    String cp = System.getProperty("java.class.path");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path scripts = Path.of(System.getProperty("fanout.bench.scripts", "fanout-bench/scripts"));

    double rttMillis = measureRtt(java, cp, port + 1);
    System.out.printf(Locale.ROOT, "loopback round trip (kept-alive, 1 endpoint, D=0): %.3f ms%n", rttMillis);

    int maxN = sizes[sizes.length - 1];
    Process fleet = new ProcessBuilder(java, "-Xss256k", "-cp", cp, Fleet.class.getName(), String.valueOf(maxN),
        String.valueOf(DELAY_MS), String.valueOf(port)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader fleetOut = new BufferedReader(new InputStreamReader(fleet.getInputStream(), StandardCharsets.UTF_8));
    PrintWriter fleetIn = new PrintWriter(new OutputStreamWriter(fleet.getOutputStream(), StandardCharsets.UTF_8), true);
    String ready = fleetOut.readLine();
    if (ready == null || !ready.startsWith("READY")) {
      throw new IllegalStateException("fleet did not start: " + ready);
    }
    List<Row> rows = new ArrayList<>();
    try {
      for (int n : sizes) {
        List<String> paced = methods.stream().filter(PACED::contains).toList();
        if (!paced.isEmpty()) {
          fleetIn.println("reset");
          expect(fleetOut, "RESET");
          List<Row> together = runPaced(paced, n, reps,
              m -> javaCmd(java, cp, m, n, warmup, reps, warmupSeconds, port, true));
          int sent = together.stream().mapToInt(r -> r.warmups() + reps).sum();
          fleetIn.println("check " + sent + " " + n);
          String check = fleetOut.readLine();
          if (!"OK".equals(check)) {
            throw new IllegalStateException(paced + " at N=" + n + ": " + check);
          }
          for (Row row : together) {
            rows.add(row);
            System.out.printf(Locale.ROOT, "  %-14s N=%-5d median %9.1f ms  p95 %9.1f ms %s%n", row.method(), n,
                row.median(), row.p95(), row.stats());
          }
        }
        for (String m : methods) {
          if (PACED.contains(m)) {
            continue;
          }
          int mReps = reps;
          int mWarmup = warmup;
          int runN = n;
          boolean estimated = false;
          List<String> cmd;
          switch (m) {
            case "node":
              if (!haveNode) {
                continue;
              }
              cmd = List.of("node", scripts.resolve("promise-all.mjs").toString(), String.valueOf(n),
                  String.valueOf(warmup), String.valueOf(reps), String.valueOf(port));
              break;
            case "curl":
              if (!haveCurl) {
                continue;
              }
              // Sequential curl is slow: measure at most 500 endpoints once, estimate beyond.
              runN = Math.min(n, 500);
              estimated = runN < n;
              mReps = n >= 500 ? 1 : 3;
              mWarmup = 0;
              cmd = List.of("bash", scripts.resolve("curl-loop.sh").toString(), String.valueOf(runN), "0",
                  String.valueOf(mReps), String.valueOf(port));
              break;
            case "java-seq":
              if (n > 500) {
                // ~20 ms per endpoint: estimate from 500 rather than spend a minute per repetition.
                runN = 500;
                estimated = true;
              }
              mReps = Math.min(reps, n >= 500 ? 2 : 5);
              mWarmup = 1;
              cmd = javaCmd(java, cp, m, runN, mWarmup, mReps, 0, port, false);
              break;
            case "fanout-jdk":
              cmd = javaCmd(java, cp, m, n, warmup, reps, warmupSeconds, port, false);
              break;
            default:
              throw new IllegalStateException("no way to run " + m);
          }
          fleetIn.println("reset");
          expect(fleetOut, "RESET");
          Row row = run(m, runN, cmd, estimated, mWarmup);
          fleetIn.println("check " + (row.warmups() + mReps) + " " + runN);
          String check = fleetOut.readLine();
          if (!"OK".equals(check)) {
            throw new IllegalStateException(m + " at N=" + runN + ": " + check);
          }
          if (estimated) {
            List<Double> scaled = new ArrayList<>();
            for (double v : row.millis()) {
              scaled.add(v * n / runN);
            }
            row = new Row(m, n, scaled, row.stats(), true, row.warmups());
          }
          rows.add(row);
          System.out.printf(Locale.ROOT, "  %-14s N=%-5d median %9.1f ms  p95 %9.1f ms%s %s%n", m, n,
              row.median(), row.p95(), estimated ? " (estimated from N=" + runN + ")" : "", row.stats());
        }
      }
    } finally {
      fleetIn.println("quit");
      fleet.destroy();
    }
    String table = table(rows, sizes, rttMillis);
    System.out.println();
    System.out.println(table);
    Files.writeString(out.resolve("results.md"), table);
    StringBuilder csv = new StringBuilder("method,n,median_ms,p95_ms,estimated\n");
    for (Row r : rows) {
      csv.append(String.format(Locale.ROOT, "%s,%d,%.3f,%.3f,%s%n", r.method(), r.n(), r.median(), r.p95(), r.estimated()));
    }
    Files.writeString(out.resolve("results.csv"), csv);
    Plot.render(rows, out.resolve("latency.png"), DELAY_MS);
    System.out.println("wrote " + out.resolve("results.md") + ", results.csv, latency.png");
  }

  private static List<String> javaCmd(String java, String cp, String m, int n, int warmup, int reps,
      int warmupSeconds, int port, boolean paced) {
    return List.of(java, "-Xss512k", "-Dfanout.bench.warmupSeconds=" + warmupSeconds,
        "-Dfanout.bench.paced=" + paced, "-cp", cp,
        Run.class.getName(), m, String.valueOf(n), String.valueOf(warmup), String.valueOf(reps), String.valueOf(port));
  }

  /**
   * Runs the JVM methods at one N together: each process warms up in turn (one at a time, so that
   * no warm-up competes with another), then their measured fan-outs alternate, one fan-out of each
   * per round, starting each round with the next method. The load other processes put on a shared
   * machine comes and goes; alternating gives every method the same share of it, which is what
   * makes the ratios to the floor comparable within a run.
   */
  private static List<Row> runPaced(List<String> methods, int n, int reps,
      Function<String, List<String>> command) throws Exception {
    List<MethodProcess> running = new ArrayList<>();
    try {
      for (String m : methods) {
        running.add(MethodProcess.start(m, n, command.apply(m)));
      }
      // The first ones waited while the others warmed up, long enough for idle connections to close.
      for (MethodProcess p : running) {
        p.warmOnceMore();
      }
      for (int round = 0; round < reps; round++) {
        for (int k = 0; k < running.size(); k++) {
          running.get((round + k) % running.size()).measureOne();
        }
      }
      List<Row> rows = new ArrayList<>();
      for (MethodProcess p : running) {
        rows.add(p.finish());
      }
      return rows;
    } finally {
      for (MethodProcess p : running) {
        p.process.destroy();
      }
    }
  }

  /**
   * One method's process and what it printed. Paced ({@link Run#PACED}), it makes a measured fan-out
   * per line it is sent; otherwise it runs on its own and is read to its end.
   */
  private static final class MethodProcess {
    final String method;
    final int n;
    final Process process;
    final BufferedReader out;
    final PrintWriter in;
    final List<Double> millis = new ArrayList<>();
    final StringBuilder other = new StringBuilder();
    String stats = "";
    int warmups;

    private MethodProcess(String method, int n, Process process) {
      this.method = method;
      this.n = n;
      this.process = process;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.in = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
    }

    /** Starts the process and waits until it has warmed up. */
    static MethodProcess start(String method, int n, List<String> cmd) throws IOException {
      MethodProcess p = new MethodProcess(method, n, new ProcessBuilder(cmd).redirectErrorStream(true).start());
      p.readUntil("READY");
      return p;
    }

    /** One more warm-up fan-out, unmeasured (the fleet counts it). */
    void warmOnceMore() throws IOException {
      in.println("warm");
      readUntil("WARMED");
      warmups++;
    }

    void measureOne() throws IOException {
      in.println("go");
      readUntil("RESULT ");
    }

    Row finish() throws Exception {
      in.close();
      readUntil(null);
      int exit = process.waitFor();
      if (exit != 0 || millis.isEmpty()) {
        throw new IllegalStateException(method + " at N=" + n + " failed (exit " + exit + "):\n" + other);
      }
      return new Row(method, n, millis, stats, false, warmups);
    }

    /** Reads lines up to one that starts with {@code prefix} (or to the end, for null). */
    private void readUntil(String prefix) throws IOException {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("WARMUPS ")) {
          warmups = Integer.parseInt(line.substring(8).trim());
        } else if (line.startsWith("RESULT ")) {
          millis.add(Double.parseDouble(line.substring(7).trim()));
        } else if (line.startsWith("STATS ")) {
          stats = stats.isEmpty() ? line.substring(6) : stats + " " + line.substring(6);
        } else if (!line.equals("READY") && !line.equals("WARMED") && other.length() < 4000) {
          other.append(line).append('\n');
        }
        if (prefix != null && line.startsWith(prefix)) {
          return;
        }
      }
      if (prefix != null) {
        throw new IllegalStateException(method + " at N=" + n + " ended before " + prefix.trim() + ":\n" + other);
      }
    }
  }

  private static void expect(BufferedReader r, String what) throws IOException {
    String line = r.readLine();
    if (!what.equals(line)) {
      throw new IllegalStateException("fleet said " + line + ", expected " + what);
    }
  }

  /** Runs one method's process to its end; {@code warmups} counts when the process does not say. */
  private static Row run(String method, int n, List<String> cmd, boolean estimated, int warmups) throws Exception {
    MethodProcess p = new MethodProcess(method, n, new ProcessBuilder(cmd).redirectErrorStream(true).start());
    p.warmups = warmups;
    try {
      Row r = p.finish();
      return new Row(method, n, r.millis(), r.stats(), estimated, r.warmups());
    } finally {
      p.process.destroy();
    }
  }

  private static double measureRtt(String java, String cp, int port) throws Exception {
    Process fleet = new ProcessBuilder(java, "-cp", cp, Fleet.class.getName(), "1", "0", String.valueOf(port))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(fleet.getInputStream(), StandardCharsets.UTF_8));
    out.readLine();
    try {
      Row r = run("rtt", 1, List.of(java, "-cp", cp, Run.class.getName(), "floor", "1", "2000", "200",
          String.valueOf(port)), false, 2000);
      return r.median();
    } finally {
      fleet.destroy();
    }
  }

  private static boolean commandExists(String name) {
    try {
      return new ProcessBuilder("sh", "-c", "command -v " + name).start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  static String table(List<Row> rows, int[] sizes, double rtt) {
    Map<Integer, Double> floor = new LinkedHashMap<>();
    for (Row r : rows) {
      if (r.method().equals("floor")) {
        floor.put(r.n(), r.median());
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "D = %d ms, loopback round trip = %.3f ms; ratios use medians.%n%n", DELAY_MS, rtt));
    sb.append("| method | N | median ms | p95 ms | × (D + RTT) | × floor | peak threads | heap MB | CPU µs/target | of it JIT"
        + " | alloc KB/target | warm-ups | first ms | warm-up JIT ms |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      Map<String, String> stats = new LinkedHashMap<>();
      for (String kv : r.stats().split(" ")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          stats.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
      Double f = floor.get(r.n());
      sb.append(String.format(Locale.ROOT, "| %s | %d | %.1f%s | %.1f | %.2f | %s | %s | %s | %s | %s | %s | %d | %s | %s |%n",
          r.method(), r.n(), r.median(), r.estimated() ? " (est.)" : "", r.p95(), r.median() / (DELAY_MS + rtt),
          f == null ? "" : String.format(Locale.ROOT, "%.2f", r.median() / f),
          stats.getOrDefault("peakThreads", ""), stats.getOrDefault("heapUsedMB", ""),
          stats.getOrDefault("cpuMicrosPerTarget", ""), stats.getOrDefault("jitMicrosPerTarget", ""),
          stats.getOrDefault("allocKBPerTarget", ""), r.warmups(), stats.getOrDefault("firstMillis", ""),
          stats.getOrDefault("warmupJitMillis", "")));
    }
    return sb.toString();
  }
}
