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

/**
 * Runs every method against one fleet of N loopback endpoints and prints a table: median and p95
 * of one complete fan-out, as ratios to D plus the loopback round trip and to the floor. Each
 * method runs in its own process; the fleet checks that every endpoint received every request
 * exactly once.
 *
 * <p>Usage: {@code Bench [--quick] [--out DIR]}. Quick mode: N in 10 and 100, 3 repetitions, no
 * curl; it exists so the harness cannot rot, its numbers are not asserted.
 */
public final class Bench {
  private static final int DELAY_MS = 20;

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
   * Runs the benchmark.
   *
   * @param args options
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    Path out = Path.of(List.of(args).contains("--out") ? args[List.of(args).indexOf("--out") + 1] : "target/bench");
    Files.createDirectories(out);
    int[] sizes = quick ? new int[] {10, 100} : new int[] {10, 100, 500, 2000};
    int warmup = quick ? 2 : 5;
    int reps = quick ? 3 : 15;
    // After the least warm-up, up to this long more until the JIT compilers are quiet (Run.WarmUp).
    int warmupSeconds = quick ? 1 : 10;
    List<String> methods = new ArrayList<>(List.of("floor", "fanout", "fanout-tuned", "java-seq", "node"));
    if (!quick) {
      methods.add(3, "fanout-jdk");
      methods.add("curl");
    }
    boolean haveNode = commandExists("node");
    boolean haveCurl = commandExists("curl");
    String cp = System.getProperty("java.class.path");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path scripts = Path.of(System.getProperty("fanout.bench.scripts", "fanout-bench/scripts"));

    double rttMillis = measureRtt(java, cp);
    System.out.printf(Locale.ROOT, "loopback round trip (kept-alive, 1 endpoint, D=0): %.3f ms%n", rttMillis);

    int maxN = sizes[sizes.length - 1];
    Process fleet = new ProcessBuilder(java, "-Xss256k", "-cp", cp, Fleet.class.getName(), String.valueOf(maxN),
        String.valueOf(DELAY_MS)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader fleetOut = new BufferedReader(new InputStreamReader(fleet.getInputStream(), StandardCharsets.UTF_8));
    PrintWriter fleetIn = new PrintWriter(new OutputStreamWriter(fleet.getOutputStream(), StandardCharsets.UTF_8), true);
    String ready = fleetOut.readLine();
    if (ready == null || !ready.startsWith("READY")) {
      throw new IllegalStateException("fleet did not start: " + ready);
    }
    List<Row> rows = new ArrayList<>();
    try {
      for (int n : sizes) {
        for (String m : methods) {
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
                  String.valueOf(warmup), String.valueOf(reps));
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
                  String.valueOf(mReps));
              break;
            case "java-seq":
              if (n > 500) {
                // ~20 ms per endpoint: estimate from 500 rather than spend a minute per repetition.
                runN = 500;
                estimated = true;
              }
              mReps = Math.min(reps, n >= 500 ? 2 : 5);
              mWarmup = 1;
              cmd = javaCmd(java, cp, m, runN, mWarmup, mReps, 0);
              break;
            default:
              cmd = javaCmd(java, cp, m, n, warmup, reps, warmupSeconds);
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
          System.out.printf(Locale.ROOT, "  %-13s N=%-5d median %9.1f ms  p95 %9.1f ms%s %s%n", m, n,
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
      int warmupSeconds) {
    return List.of(java, "-Xss512k", "-Dfanout.bench.warmupSeconds=" + warmupSeconds, "-cp", cp,
        Run.class.getName(), m, String.valueOf(n), String.valueOf(warmup), String.valueOf(reps));
  }

  private static void expect(BufferedReader r, String what) throws IOException {
    String line = r.readLine();
    if (!what.equals(line)) {
      throw new IllegalStateException("fleet said " + line + ", expected " + what);
    }
  }

  private static Row run(String method, int n, List<String> cmd, boolean estimated, int warmups) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<Double> millis = new ArrayList<>();
    String stats = "";
    StringBuilder other = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("WARMUPS ")) {
          warmups = Integer.parseInt(line.substring(8).trim());
        } else if (line.startsWith("RESULT ")) {
          millis.add(Double.parseDouble(line.substring(7).trim()));
        } else if (line.startsWith("STATS ")) {
          stats = stats.isEmpty() ? line.substring(6) : stats + " " + line.substring(6);
        } else if (other.length() < 4000) {
          other.append(line).append('\n');
        }
      }
    }
    int exit = p.waitFor();
    if (exit != 0 || millis.isEmpty()) {
      throw new IllegalStateException(method + " at N=" + n + " failed (exit " + exit + "):\n" + other);
    }
    return new Row(method, n, millis, stats, estimated, warmups);
  }

  private static double measureRtt(String java, String cp) throws Exception {
    Process fleet = new ProcessBuilder(java, "-cp", cp, Fleet.class.getName(), "1", "0", "8081")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(fleet.getInputStream(), StandardCharsets.UTF_8));
    out.readLine();
    try {
      Row r = run("rtt", 1, List.of(java, "-cp", cp, Run.class.getName(), "floor", "1", "2000", "200", "8081"), false,
          2000);
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
