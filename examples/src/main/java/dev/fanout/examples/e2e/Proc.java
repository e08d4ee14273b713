package dev.fanout.examples.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A process of the stack (a Next.js replica, a Varnish replica, dnsmasq): started with its output
 * appended to a log file, its pid recorded in the stack's pid file (so the script's trap can end
 * it even if this JVM dies), stopped with SIGTERM and then SIGKILL, descendants included.
 */
final class Proc {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();

  final String name;
  private final List<String> command;
  private final Path dir;
  private final Map<String, String> env;
  private final Path log;
  private final Path pidFile;
  private volatile Process process;

  Proc(String name, List<String> command, Path dir, Map<String, String> env, Path log, Path pidFile) {
    this.name = name;
    this.command = List.copyOf(command);
    this.dir = dir;
    this.env = Map.copyOf(env);
    this.log = log;
    this.pidFile = pidFile;
  }

  synchronized void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(name + " is already running");
    }
    Files.createDirectories(log.getParent());
    Files.writeString(log, "---- start " + String.join(" ", command) + "\n",
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(env);
    process = pb.start();
    Files.writeString(pidFile, process.pid() + " " + name + "\n",
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  long pid() {
    Process p = process;
    return p == null ? -1 : p.pid();
  }

  /** Polls {@code url} until it answers with any HTTP status, for at most {@code timeout}. */
  void awaitHttp(String url, Duration timeout) throws IOException, InterruptedException {
    awaitReady(timeout, () -> {
      try {
        HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding());
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }

  /** A readiness check. */
  interface Check {
    boolean ready() throws IOException, InterruptedException;
  }

  /** Polls {@code check} every 50 ms until it passes, the process exits, or {@code timeout}. */
  void awaitReady(Duration timeout, Check check) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!isAlive()) {
        throw new IOException(name + " exited (status " + exitValue() + "); see " + log);
      }
      if (check.ready()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(name + " not ready after " + timeout.toSeconds() + " s; see " + log);
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  private String exitValue() {
    Process p = process;
    try {
      return p == null ? "not started" : String.valueOf(p.exitValue());
    } catch (IllegalThreadStateException e) {
      return "running";
    }
  }

  /** SIGKILL, as a crashing pod; waits until it is gone. */
  void kill() throws InterruptedException {
    Process p = process;
    if (p == null) {
      return;
    }
    List<ProcessHandle> children = p.descendants().toList();
    p.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
    p.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM, then SIGKILL after five seconds; descendants too. Never throws. */
  void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    List<ProcessHandle> children = p.descendants().toList();
    try {
      p.destroy();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle c : children) {
      if (c.isAlive()) {
        c.destroyForcibly();
      }
    }
  }

  Path log() {
    return log;
  }
}
