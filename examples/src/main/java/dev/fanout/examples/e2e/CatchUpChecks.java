package dev.fanout.examples.e2e;

import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.TargetResult;
import dev.fanout.catchup.CatchUpPolicy;
import dev.fanout.catchup.CatchUpReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Check 6, catch-up on the real stack: ten posts prerendered at build time are updated while a
 * replica is away, and the replica must not serve them stale once it is back.
 *
 * <ul>
 *   <li>6a, 6b (the bug, without {@code catchUp}): a replica restarted on its old cache directory,
 *       and a fourth replica started from the original build, serve the missed versions.
 *   <li>6c: with {@code catchUp}, a replica restarted on its old cache directory (readiness held)
 *       serves every page fresh at its first read, within 5 s of being healthy.
 *   <li>6d: a fourth replica from the original build, readiness held until caught up: every read
 *       through the load balancer is fresh, and the new replica served every page.
 *   <li>6e: the three replicas restart together: each gets one compacted catch-up.
 * </ul>
 */
final class CatchUpChecks {
  /** One line of the checks table. */
  record Row(String id, String check, String observed, Boolean pass) {}

  /** One "healthy → caught up" measurement. */
  private record Timing(String scenario, String replica, double ms) {}

  private record Stamped(CatchUpReport report, long at) {}

  /** The ten posts the checks update: prerendered at build time, not touched by checks 1 to 5. */
  static final List<String> POSTS = ContentSource.SEEDED.subList(1, 11);

  /** What the checks configure: settle 500 ms, retries every second at most. */
  static final CatchUpPolicy POLICY = CatchUpPolicy.of(Duration.ofHours(1))
      .withSettle(Duration.ofMillis(500))
      .withRetry(new RetryPolicy(20, Duration.ofMillis(200), Duration.ofSeconds(1)));

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final long FIVE_SECONDS = TimeUnit.SECONDS.toNanos(5);
  private static final String NEW_IP = "127.0.0.5";
  private static final String NEW_IP_WITHOUT = "127.0.0.6";
  private static final Pattern VERSION = Pattern.compile("data-version=\"(\\d+)\"");

  private final Stack stack;
  private final Pages pages;
  private final Supplier<Stage.Fanout> nextStage;
  private final List<Row> rows = new ArrayList<>();
  private final List<Timing> timings = new ArrayList<>();
  private final List<Stamped> reports = new CopyOnWriteArrayList<>();

  CatchUpChecks(Stack stack, Pages pages, Supplier<Stage.Fanout> nextStage) {
    this.stack = stack;
    this.pages = pages;
    this.nextStage = nextStage;
  }

  List<Row> rows() {
    return rows;
  }

  void run() throws Exception {
    try (Invalidator plain = Invalidator.builder().stage(nextStage.get())
        .deadline(Duration.ofSeconds(30)).build()) {
      restartedWithout(plain);
      newReplicaWithout(plain);
    }
    FanoutListener listener = new FanoutListener() {
      @Override
      public void onCatchUp(CatchUpReport report) {
        reports.add(new Stamped(report, System.nanoTime()));
      }
    };
    try (Invalidator catching = Invalidator.builder().stage(nextStage.get().catchUp(POLICY))
        .listener(listener).deadline(Duration.ofSeconds(30)).build()) {
      restartedWith(catching);
      newReplicaWith();
      allRestart(catching);
    }
  }

  // ---- without catchUp: the bug ----

  private void restartedWithout(Invalidator plain) throws Exception {
    int victim = 2;
    String ip = Stack.WEB_IPS.get(victim);
    stack.web.get(victim).stop();
    Map<String, Long> versions = updateAll(plain, ip);
    stack.restartWeb(victim, false);
    stack.awaitWeb(victim);
    List<Pages.Page> read = readDirect(ip);
    long stale = staleCount(read, versions);
    rows.add(new Row("6a", "without catchUp: web-" + victim + " missed 10 updates, restarted on its "
        + "old cache directory", stale + " of 10 pages stale at first read " + read
        + " (the bug catch-up fixes)", stale > 0));
    heal(plain, versions);
  }

  private void newReplicaWithout(Invalidator plain) throws Exception {
    Map<String, Long> versions = updateAll(plain, null);
    Proc extra = startExtra("web-4", NEW_IP_WITHOUT, "web-4", false, false);
    int backend = stack.front.add(new InetSocketAddress(InetAddress.getByName(NEW_IP_WITHOUT),
        Stack.WEB_PORT));
    List<Long> seen = readThroughFront(backend, versions);
    long stale = seen.stream().filter(v -> v < 0).count();
    rows.add(new Row("6b", "without catchUp: a 4th replica from the original build joins the load "
        + "balancer", stale + " of " + seen.size() + " reads through the load balancer stale "
        + "(build-time pages)", stale > 0));
    extra.stop();
  }

  // ---- with catchUp ----

  private void restartedWith(Invalidator catching) throws Exception {
    int victim = 2;
    String ip = Stack.WEB_IPS.get(victim);
    stack.web.get(victim).stop();
    Map<String, Long> versions = updateAll(catching, ip);
    long started = System.nanoTime();
    stack.restartWeb(victim, true);
    long healthy = awaitHealthy(List.of(ip))[0];
    Stamped caught = awaitCaughtUp(ip, started);
    awaitReady(stack.web.get(victim), ip);
    List<Pages.Page> read = readDirect(ip);
    long stale = staleCount(read, versions);
    double ms = millis(caught.at - healthy);
    timings.add(new Timing("6c restarted on its old cache directory", "web-" + victim, ms));
    rows.add(new Row("6c", "with catchUp: web-" + victim + " missed 10 updates, restarted on its "
        + "old cache directory, readiness held", String.format(Locale.ROOT,
            "first reads %s; healthy -> caught up %.0f ms; %s", read, ms, caught.report.summary()),
        stale == 0 && caught.report.isCaughtUp() && caught.at - healthy <= FIVE_SECONDS));
    stack.awaitWeb(victim);
  }

  private void newReplicaWith() throws Exception {
    Map<String, Long> versions = currentVersions();
    long started = System.nanoTime();
    Proc extra = startExtra("web-3", NEW_IP, "web-3", true, true);
    int backend = stack.front.add(new InetSocketAddress(InetAddress.getByName(NEW_IP), Stack.WEB_PORT));
    long healthy = awaitHealthy(List.of(NEW_IP))[0];
    List<Long> seen = readThroughFront(backend, versions);
    Stamped caught = awaitCaughtUp(NEW_IP, started);
    long stale = seen.stream().filter(v -> v < 0).count();
    boolean servedAll = seen.size() >= POSTS.size() && !seen.contains(Long.MIN_VALUE);
    double ms = millis(caught.at - healthy);
    timings.add(new Timing("6d new replica from the original build", "web-3", ms));
    rows.add(new Row("6d", "with catchUp: a 4th replica from the original build, readiness held, "
        + "joins DNS and the load balancer", String.format(Locale.ROOT, "%d reads through the load "
            + "balancer, %d stale, web-3 served each page: %s; healthy -> caught up %.0f ms; %s",
            seen.size(), stale, servedAll, ms, caught.report.summary()),
        stale == 0 && servedAll && caught.report.isCaughtUp()));
  }

  private void allRestart(Invalidator catching) throws Exception {
    for (int i = 0; i < Stack.WEB_IPS.size(); i++) {
      stack.web.get(i).stop();
    }
    Map<String, Long> versions = updateAll(catching, Stack.WEB_IPS.get(0));
    long started = System.nanoTime();
    for (int i = 0; i < Stack.WEB_IPS.size(); i++) {
      stack.restartWeb(i, true);
    }
    long[] healthy = awaitHealthy(Stack.WEB_IPS);
    List<String> observed = new ArrayList<>();
    boolean ok = true;
    for (int i = 0; i < Stack.WEB_IPS.size(); i++) {
      String ip = Stack.WEB_IPS.get(i);
      Stamped caught = awaitCaughtUp(ip, started);
      awaitReady(stack.web.get(i), ip);
      List<Pages.Page> read = readDirect(ip);
      double ms = millis(caught.at - healthy[i]);
      timings.add(new Timing("6e all three restart together", "web-" + i, ms));
      CatchUpReport r = caught.report;
      observed.add(String.format(Locale.ROOT, "web-%d: %s, first reads %d/10 fresh", i,
          r.summary(), 10 - staleCount(read, versions)));
      ok &= r.isCaughtUp() && r.entries() >= POSTS.size() && staleCount(read, versions) == 0;
    }
    // One catch-up each, not one per entry: nothing more arrives after a settle and a retry delay.
    TimeUnit.MILLISECONDS.sleep(POLICY.settle().plus(POLICY.retry().maxDelay()).toMillis());
    Map<String, Integer> perReplica = new LinkedHashMap<>();
    for (String ip : Stack.WEB_IPS) {
      perReplica.put(ip, (int) reports.stream().filter(s -> s.at >= started
          && s.report.endpoint().address().equals(ip) && s.report.isCaughtUp()).count());
    }
    ok &= perReplica.values().stream().allMatch(n -> n == 1);
    rows.add(new Row("6e", "with catchUp: the three replicas restart together after 10 updates",
        "catch-ups per replica " + perReplica + "; " + String.join("; ", observed), ok));
  }

  // ---- helpers ----

  /** Updates the ten posts and invalidates each (concurrently); checks the away replica failed. */
  private Map<String, Long> updateAll(Invalidator invalidator, String away) throws Exception {
    Map<String, Long> versions = new LinkedHashMap<>();
    List<CompletableFuture<InvalidationReport>> done = new ArrayList<>();
    for (String id : POSTS) {
      long v = stack.content.update(id);
      versions.put(id, v);
      done.add(invalidator.invalidate(Invalidation.builder().path("/posts/" + id).tag("post:" + id)
          .entity("post:" + id, v).build()));
    }
    for (CompletableFuture<InvalidationReport> f : done) {
      InvalidationReport report = f.get(60, TimeUnit.SECONDS);
      if (away != null && report.stage(EndToEnd.NEXTJS).targets(TargetResult.Outcome.FAILED).stream()
          .noneMatch(t -> t.endpoint().address().equals(away))) {
        throw new IllegalStateException("the report does not name " + away + " as failed:\n"
            + report.describe());
      }
    }
    return versions;
  }

  private Map<String, Long> currentVersions() {
    Map<String, Long> versions = new LinkedHashMap<>();
    POSTS.forEach(id -> versions.put(id, stack.content.version(id)));
    return versions;
  }

  private void heal(Invalidator plain, Map<String, Long> versions) throws Exception {
    Invalidation.Builder b = Invalidation.builder();
    versions.keySet().forEach(id -> b.path("/posts/" + id).tag("post:" + id));
    plain.invalidate(b.build()).get(60, TimeUnit.SECONDS);
  }

  private Proc startExtra(String name, String ip, String dir, boolean holdReadiness, boolean inService)
      throws IOException {
    Path path = stack.options.work.resolve(dir);
    Proc p = stack.webProc(name, ip, path, holdReadiness);
    stack.web.add(p);
    p.start();
    if (inService) {
      stack.addToService(ip);
    }
    return p;
  }

  private Stamped awaitCaughtUp(String ip, long since) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      for (Stamped s : reports) {
        if (s.at >= since && s.report.endpoint().address().equals(ip) && s.report.isCaughtUp()) {
          return s;
        }
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    throw new IllegalStateException(ip + " was not caught up within " + WAIT.toSeconds() + " s; "
        + "catch-up reports: " + reports.stream().map(s -> s.report.summary()).toList());
  }

  /**
   * Polls the replicas together every 20 ms until each answers HTTP (its readiness path, whatever
   * the status: alive, maybe not ready); when each first did.
   */
  private static long[] awaitHealthy(List<String> ips) throws Exception {
    long[] at = new long[ips.size()];
    // HTTP/1.1: Next.js closes a connection that offers the h2c upgrade.
    java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofMillis(500)).build();
    long deadline = System.nanoTime() + WAIT.toNanos();
    int left = at.length;
    while (left > 0) {
      if (System.nanoTime() > deadline) {
        throw new IOException("replicas not healthy after " + WAIT.toSeconds() + " s");
      }
      for (int i = 0; i < at.length; i++) {
        if (at[i] == 0 && answers(http, ips.get(i))) {
          at[i] = System.nanoTime();
          left--;
        }
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    return at;
  }

  private static boolean answers(java.net.http.HttpClient http, String ip) throws InterruptedException {
    try {
      http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
          "http://" + ip + ":" + Stack.WEB_PORT + "/api/ready")).timeout(Duration.ofSeconds(1)).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding());
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Waits until the replica's readiness probe passes (it does once caught up). */
  private static void awaitReady(Proc p, String ip) throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    p.awaitReady(WAIT, () -> {
      try {
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
            "http://" + ip + ":" + Stack.WEB_PORT + "/api/ready")).timeout(Duration.ofSeconds(2)).build(),
            java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
      } catch (IOException e) {
        return false;
      }
    });
  }

  private List<Pages.Page> readDirect(String ip) {
    List<Pages.Page> out = new ArrayList<>();
    for (String id : POSTS) {
      out.add(pages.get(ip, Stack.WEB_PORT, "/posts/" + id));
    }
    return out;
  }

  private static long staleCount(List<Pages.Page> read, Map<String, Long> versions) {
    long stale = 0;
    int i = 0;
    for (Long v : versions.values()) {
      if (!read.get(i++).is(v)) {
        stale++;
      }
    }
    return stale;
  }

  /**
   * Reads every post through the load balancer, one connection per read, until the backend has
   * served each of them once: every read counts, from the first. Returns the versions read, -1 for
   * a stale one; {@code Long.MIN_VALUE} marks a post the backend never served within the limit.
   */
  private List<Long> readThroughFront(int backend, Map<String, Long> versions) throws Exception {
    List<Long> seen = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (Map.Entry<String, Long> e : versions.entrySet()) {
      boolean served = false;
      while (!served && System.nanoTime() < deadline) {
        int before = stack.front.connections(backend);
        long v = readViaFront("/posts/" + e.getKey());
        served = stack.front.connections(backend) > before;
        seen.add(v == e.getValue() ? v : -1);
        if (!served && v == Long.MIN_VALUE) {
          TimeUnit.MILLISECONDS.sleep(50);
        }
      }
      if (!served) {
        seen.add(Long.MIN_VALUE);
      }
    }
    return seen;
  }

  /** GET through the load balancer on a new connection; the version read, or MIN_VALUE. */
  private static long readViaFront(String path) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getByName(Stack.FRONT_IP), Stack.FRONT_PORT), 2_000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nhost: www.example.test\r\nconnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      Matcher m = VERSION.matcher(response);
      return response.startsWith("HTTP/1.1 200") && m.find() ? Long.parseLong(m.group(1)) : Long.MIN_VALUE;
    } catch (IOException e) {
      return Long.MIN_VALUE;
    }
  }

  /** Signed: negative when the catch-up ended before the poll saw the replica answer. */
  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  /** Prints the "healthy -> caught up" table. */
  void printTimings() {
    if (timings.isEmpty()) {
      return;
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "catch-up: replica healthy -> caught up (settle %d ms, retries "
        + "every %d ms at most, %d at once)%n", POLICY.settle().toMillis(),
        POLICY.retry().maxDelay().toMillis(), POLICY.concurrency());
    System.out.printf("  %-42s | %-7s | %s%n", "scenario", "replica", "healthy -> caught up");
    for (Timing t : timings) {
      System.out.printf(Locale.ROOT, "  %-42s | %-7s | %.0f ms%n", t.scenario(), t.replica(), t.ms());
    }
  }
}
