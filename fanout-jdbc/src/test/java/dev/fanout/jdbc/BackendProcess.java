package dev.fanout.jdbc;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A {@link CrashBackend} running in its own JVM, as a backend replica would. */
final class BackendProcess implements AutoCloseable {
  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  final Path accepted;
  final String prefix;

  private BackendProcess(Process process, Path accepted, String prefix) {
    this.process = process;
    this.accepted = accepted;
    this.prefix = prefix;
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the process died
      }
    }, "backend-output-" + prefix);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts a backend; {@code seconds} 0 submits until killed. */
  static BackendProcess start(Path dir, String prefix, int pgPort, String table, String targets,
      String secret, int rate, long seconds) throws IOException {
    return start(dir, prefix, pgPort, table, targets, secret, rate, seconds, 2000);
  }

  /** Starts a backend with a lease of its own. */
  static BackendProcess start(Path dir, String prefix, int pgPort, String table, String targets,
      String secret, int rate, long seconds, long leaseMs) throws IOException {
    Path accepted = dir.resolve(prefix + ".accepted");
    // The backend appends to it: a file left by an earlier run would count that run's ids.
    Files.deleteIfExists(accepted);
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        CrashBackend.class.getName(),
        "port=" + pgPort, "table=" + table, "targets=" + targets, "prefix=" + prefix,
        "rate=" + rate, "threads=8", "accepted=" + accepted, "seconds=" + seconds,
        "lease=" + leaseMs));
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectError(dir.resolve(prefix + ".err").toFile());
    pb.environment().put("FANOUT_SECRET", secret);
    return new BackendProcess(pb.start(), accepted, prefix);
  }

  /** Waits for a line the backend prints, such as READY or DRAINED. */
  void await(String expected, long seconds) throws InterruptedException {
    await(expected, line -> line.startsWith(expected), seconds);
  }

  /**
   * Waits until the backend reports at least {@code count} accepted submissions (all of them on
   * record in {@link #acceptedIds()} by then).
   */
  void awaitAccepted(long count, long seconds) throws InterruptedException {
    await("ACCEPTED " + count, line -> line.startsWith("ACCEPTED ")
        && Long.parseLong(line.substring("ACCEPTED ".length()).trim()) >= count, seconds);
  }

  private void await(String expected, Predicate<String> matches, long seconds)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      // Blocks on the backend's output; the timeout only bounds the wait.
      String line = lines.poll(200, TimeUnit.MILLISECONDS);
      if (line != null && matches.test(line)) {
        return;
      }
      if (line == null && !process.isAlive() && lines.isEmpty()) {
        throw new IllegalStateException("backend " + prefix + " exited with " + process.exitValue()
            + " before printing " + expected);
      }
    }
    throw new IllegalStateException("backend " + prefix + " did not print " + expected + " in "
        + seconds + " s");
  }

  /** SIGKILL, as an OOM kill or a node failure would. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The ids whose submit() returned in this backend. */
  Set<String> acceptedIds() throws IOException {
    Set<String> ids = new LinkedHashSet<>();
    if (Files.exists(accepted)) {
      String all = Files.readString(accepted, StandardCharsets.US_ASCII);
      // A line cut by the kill has no newline yet: that submission is not on record.
      int complete = all.lastIndexOf('\n') + 1;
      for (String line : all.substring(0, complete).split("\n")) {
        if (!line.isBlank()) {
          ids.add(line.trim());
        }
      }
    }
    return ids;
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }
}
