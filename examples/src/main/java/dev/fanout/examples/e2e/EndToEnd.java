// Over 500 lines for one job: the end-to-end proof's main run, one numbered check after another in the order the script reports them; the stack is in Stack, the catch-up and gateway checks in their own classes.
package dev.fanout.examples.e2e;

import dev.fanout.Endpoint;
import dev.fanout.FanoutListener;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationReport;
import dev.fanout.Invalidator;
import dev.fanout.RetryPolicy;
import dev.fanout.Stage;
import dev.fanout.StageReport;
import dev.fanout.TargetResult;
import dev.fanout.cloudflare.CloudflarePurger;
import dev.fanout.cloudflare.Plan;
import dev.fanout.cloudfront.CloudFrontPurger;
import dev.fanout.fastly.FastlyPurger;
import dev.fanout.http.HttpNotifier;
import dev.fanout.spi.Discovery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudfront.CloudFrontAsyncClient;

/**
 * The end-to-end proof on a real stack (see {@link Stack}): a backend updates a post in the content
 * source and invalidates it with an {@link Invalidator} whose stages are the Next.js replicas
 * (found through headless-Service DNS), the Varnish replicas (found through SRV records) and the
 * CDN (CloudFront, Fastly and Cloudflare purgers against their local API stand-ins; Cloudflare
 * unless {@code --cloudflare off}). It reproduces the bug
 * fanout exists to fix, proves the fix over many updates, shows why the stage order matters, and
 * crashes a replica mid-run. It prints a table and exits 1 if any check failed, 2 if the stack
 * could not start, 3 on its own timeout.
 */
public final class EndToEnd {
  static final String NEXTJS = "nextjs";
  static final String VARNISH = "varnish";
  static final String CDN = "cdn";

  private static final String POST = "1";
  private static final String PATH = "/posts/" + POST;
  private static final String TAG = "post:" + POST;

  private static final RetryPolicy RETRY = RetryPolicy.defaults().withMaxAttempts(3)
      .withDelays(Duration.ofMillis(50), Duration.ofMillis(250));

  private final Stack stack;
  private final Options options;
  private final HttpNotifier toNext;
  private final HttpNotifier toVarnish = HttpNotifier.varnishXkey().build();
  private final Pages pages = new Pages();
  private final StackListener listener = new StackListener(pages, PATH);
  private final List<Row> rows = new ArrayList<>();
  private final List<Double> invalidateMs = new ArrayList<>();
  private final List<Double> cdnGapMs = new ArrayList<>();

  /** One line of the table; {@code pass} is null for a line that only informs. */
  private record Row(String id, String check, String observed, Boolean pass) {}

  private EndToEnd(Stack stack, Options options) {
    this.stack = stack;
    this.options = options;
    this.toNext = HttpNotifier.builder().path("/api/revalidate").signingSecret(stack.secret).build();
  }

  /**
   * Starts the stack, runs the checks, prints the table, stops the stack.
   *
   * @param args see {@code examples/e2e/run.sh}
   */
  public static void main(String[] args) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Stack stack = new Stack(options);
    Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "stack-stop"));
    ScheduledExecutorService watchdog =
        Executors.newSingleThreadScheduledExecutor(Stack.daemon("watchdog"));
    if (!options.serve) {
      watchdog.schedule(() -> {
        System.err.println("e2e: no result after " + options.timeout.toSeconds() + " s; stopping");
        System.exit(3);
      }, options.timeout.toSeconds(), TimeUnit.SECONDS);
    }
    int code;
    try {
      long t0 = System.nanoTime();
      stack.start();
      System.out.printf("stack up in %.1f s: Next.js %s:%d, Varnish %s:%d, DNS %s:%d (%s)%n",
          (System.nanoTime() - t0) / 1e9, String.join("/", Stack.WEB_IPS), Stack.WEB_PORT,
          String.join("/", Stack.VARNISH_IPS), Stack.VARNISH_PORT, Stack.DNS_IP, Stack.DNS_PORT,
          stack.dnsKind());
      EndToEnd e2e = new EndToEnd(stack, options);
      code = options.serve ? e2e.serve() : e2e.run();
    } catch (Exception e) {
      System.err.println("e2e: the stack failed: " + e);
      e.printStackTrace();
      code = 2;
    } finally {
      stack.close();
    }
    System.exit(code);
  }

  private Invalidation invalidation(long version) {
    return Invalidation.builder().path(PATH).tag(TAG).entity(TAG, version).build();
  }

  /** The fan-out invalidator of the checks: Next.js replicas, then Varnish, then the CDN. */
  private Invalidator defaultOrder(FanoutListener listener, CloudFrontAsyncClient cf) {
    return Invalidator.builder()
        .stage(nextStage()).stage(varnishStage()).stage(cdnStage(cf))
        .listener(listener).deadline(Duration.ofSeconds(30)).build();
  }

  /**
   * Keeps the stack up for a person to look at: each line read from the terminal updates post 1
   * and invalidates it through fanout. Ends at end of input or with Ctrl-C.
   */
  private int serve() throws Exception {
    stack.content.put(POST, 1);
    CloudFrontAsyncClient cf = cloudFrontClient();
    try (Invalidator fanout = defaultOrder(FanoutListener.NONE, cf)) {
      System.out.println();
      System.out.println("The stack is up. Try:");
      for (String ip : Stack.WEB_IPS) {
        tryLine("curl -si http://" + ip + ":" + Stack.WEB_PORT + PATH, "a Next.js replica");
      }
      for (String ip : Stack.VARNISH_IPS) {
        tryLine("curl -si http://" + ip + ":" + Stack.VARNISH_PORT + PATH, "a Varnish replica");
      }
      tryLine("curl -s http://" + Stack.CONTENT_IP + ":" + Stack.CONTENT_PORT + PATH,
          "the content source");
      System.out.println("Press Enter to update post 1 and invalidate it; Ctrl-C (or end of input) "
          + "stops the stack.");
      java.io.BufferedReader in = new java.io.BufferedReader(
          new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
      while (in.readLine() != null) {
        long v = stack.content.update(POST);
        InvalidationReport report = fanout.invalidate(invalidation(v)).get(60, TimeUnit.SECONDS);
        System.out.println("post 1 is now v" + v + ":");
        System.out.println(indent(report.describe()));
      }
    } finally {
      cf.close();
    }
    return 0;
  }

  private static void tryLine(String command, String what) {
    System.out.printf("  %-42s # %s%n", command, what);
  }

  private Stage.Fanout nextStage() {
    return Stage.fanout(NEXTJS, stack.webDiscovery(), toNext)
        .retry(RETRY).attemptTimeout(Duration.ofSeconds(5)).minTargets(Stack.WEB_IPS.size());
  }

  private Stage.Fanout varnishStage() {
    return Stage.fanout(VARNISH, stack.varnishDiscovery(), toVarnish)
        .retry(RETRY).attemptTimeout(Duration.ofSeconds(5)).minTargets(Stack.VARNISH_IPS.size());
  }

  private Stage.Purge cdnStage(CloudFrontAsyncClient cf) {
    CloudFrontPurger cloudFront = CloudFrontPurger.builder().client(cf)
        .distributionId(CloudFrontStandIn.DISTRIBUTION).build();
    FastlyPurger fastly = FastlyPurger.builder().serviceId(FastlyStandIn.SERVICE_ID)
        .apiToken(FastlyStandIn.TOKEN).host("www.example.test")
        .baseUri(stack.fastly.baseUri()).build();
    if (stack.cloudflare == null) {
      return Stage.purge(CDN, cloudFront, fastly);
    }
    CloudflarePurger cloudflare = CloudflarePurger.builder().zoneId(CloudflareStandIn.ZONE)
        .accountId(CloudflareStandIn.ACCOUNT).apiToken(CloudflareStandIn.TOKEN)
        .plan(Plan.ENTERPRISE).host("www.example.test").baseUri(stack.cloudflare.baseUri())
        .build();
    return Stage.purge(CDN, cloudFront, fastly, cloudflare);
  }

  private int cloudflareCalls() {
    return stack.cloudflare == null ? 0 : stack.cloudflare.calls().size();
  }

  private String cdns() {
    return stack.cloudflare == null ? "CloudFront and Fastly" : "CloudFront, Fastly and Cloudflare";
  }

  /** The real AWS SDK client, signing with static test credentials, pointed at the stand-in. */
  private CloudFrontAsyncClient cloudFrontClient() {
    return CloudFrontAsyncClient.builder()
        .endpointOverride(stack.cloudFront.endpoint())
        // With endpointOverride the SDK signs for the client's region; CloudFront's is us-east-1
        // (without an override, Region.AWS_GLOBAL resolves to it).
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
            CloudFrontStandIn.ACCESS_KEY, CloudFrontStandIn.SECRET_KEY)))
        .overrideConfiguration(o -> o.apiCallAttemptTimeout(Duration.ofSeconds(5))
            .apiCallTimeout(Duration.ofSeconds(20)))
        .build();
  }

  private int run() throws Exception {
    CloudFrontAsyncClient cf = cloudFrontClient();
    Invalidator fanout = defaultOrder(listener, cf);
    // The same tiers, outermost first: what a hand-written purge script often does.
    Invalidator reversed = Invalidator.builder()
        .stage(cdnStage(cf)).stage(varnishStage()).stage(nextStage())
        .listener(listener).deadline(Duration.ofSeconds(30)).build();
    Invalidator viaLoadBalancer = Invalidator.builder()
        .stage(Stage.fanout("nextjs-via-lb", Discovery.of(List.of(
            Endpoint.of(Stack.FRONT_IP, Stack.FRONT_PORT).withName("load-balancer"))), toNext))
        .deadline(Duration.ofSeconds(30)).build();
    CatchUpChecks catchUp = new CatchUpChecks(stack, pages, this::nextStage);
    try {
      stack.content.put(POST, 1);
      checkWarm(1);
      long v = reproduceBug(viaLoadBalancer);
      heal(fanout, v, "1b", "with fanout: the same update, invalidated once");
      v = withFanout(fanout);
      v = reversedOrder(reversed, fanout, v);
      crashedReplica(fanout, v);
      if (stack.cloudflare != null) {
        CloudflareBurst.Outcome o = CloudflareBurst.run(Stack.CLOUDFLARE_IP);
        rows.add(new Row("5", "Cloudflare Free plan: a burst of " + o.webhooks()
            + " webhooks through submit()", o.describe(), o.passed()));
      }
      catchUp.run();
      catchUp.rows().forEach(r -> rows.add(new Row(r.id(), r.check(), r.observed(), r.pass())));
    } finally {
      fanout.close();
      reversed.close();
      viaLoadBalancer.close();
      cf.close();
    }
    int code = printTable();
    catchUp.printTimings();
    return code;
  }

  // ---- the checks ----

  /** The stack serves version 1 everywhere and every cache tier holds it. */
  private void checkWarm(long v) {
    List<Pages.Page> web = readWeb();
    List<Pages.Page> varnish = readVarnish();
    boolean ok = web.stream().allMatch(p -> p.is(v)) && varnish.stream().allMatch(p -> p.is(v));
    rows.add(new Row("0", "stack up, post 1 read once everywhere (caches warm)",
        "replicas " + web + ", Varnish " + varnish, ok));
  }

  /** Check 1: one revalidate request through a load balancer refreshes one replica of three. */
  private long reproduceBug(Invalidator viaLoadBalancer) throws Exception {
    long v = stack.content.update(POST);
    int[] before = frontConnections();
    InvalidationReport report = viaLoadBalancer.invalidate(invalidation(v)).get(60, TimeUnit.SECONDS);
    int[] after = frontConnections();
    String reached = "";
    for (int i = 0; i < after.length; i++) {
      if (after[i] > before[i]) {
        reached += (reached.isEmpty() ? "" : ",") + "web-" + i;
      }
    }
    List<Pages.Page> web = readWeb();
    List<Pages.Page> varnish = readVarnish();
    long fresh = web.stream().filter(p -> p.is(v)).count();
    long freshVarnish = varnish.stream().filter(p -> p.is(v)).count();
    rows.add(new Row("1", "without fanout: update to v" + v
            + ", one signed revalidate via the round-robin LB",
        String.format(Locale.ROOT, "sender's report %s (%d/1 acked, reached %s); replicas on v%d: "
                + "%d/%d %s; Varnish on v%d: %d/%d", report.isComplete() ? "COMPLETE" : "INCOMPLETE",
            report.stage("nextjs-via-lb").acked(), reached.isEmpty() ? "none" : reached, v, fresh,
            web.size(), web, v, freshVarnish, varnish.size()),
        report.isComplete() && fresh <= 1 && fresh < web.size()));
    return v;
  }

  /** Invalidates the current version with fanout and checks that everything serves it. */
  private void heal(Invalidator fanout, long v, String id, String what) throws Exception {
    Invalidation inv = invalidation(v);
    InvalidationReport report = fanout.invalidate(inv).get(60, TimeUnit.SECONDS);
    List<Pages.Page> web = readWeb();
    List<Pages.Page> varnish = readVarnish();
    long fresh = web.stream().filter(p -> p.is(v)).count();
    long freshVarnish = varnish.stream().filter(p -> p.is(v)).count();
    rows.add(new Row(id, what, String.format(Locale.ROOT,
        "report %s; replicas on v%d: %d/%d; Varnish on v%d: %d/%d",
        report.isComplete() ? "COMPLETE" : "INCOMPLETE", v, fresh, web.size(), v, freshVarnish,
        varnish.size()), report.isComplete() && fresh == web.size() && freshVarnish == varnish.size()));
    if (id.equals("1b")) {
      System.out.println();
      System.out.println("The report of one invalidation with fanout:");
      System.out.println(indent(report.describe()));
    }
  }

  /** Check 2 (and the default-order half of check 3): many consecutive updates. */
  private long withFanout(Invalidator fanout) throws Exception {
    int n = options.updates;
    int complete = 0;
    int webFresh = 0;
    int varnishFresh = 0;
    int cdnAfter = 0;
    int recached = 0;
    int readerFresh = 0;
    int readerMisses = 0;
    long v = 0;
    int rejectedBefore = stack.cloudFront.rejected();
    for (int k = 0; k < n; k++) {
      v = stack.content.update(POST);
      Invalidation inv = invalidation(v);
      int cfBefore = stack.cloudFront.calls().size();
      int fastlyBefore = stack.fastly.calls().size();
      int cloudflareBefore = cloudflareCalls();
      long t0 = System.nanoTime();
      InvalidationReport report = fanout.invalidate(inv).get(60, TimeUnit.SECONDS);
      long took = System.nanoTime() - t0 - listener.readerNanos(inv);
      invalidateMs.add(took / 1e6);
      List<Pages.Page> web = readWeb();
      List<Pages.Page> varnish = readVarnish();
      final long version = v;
      boolean webOk = web.stream().allMatch(p -> p.is(version));
      boolean varnishOk = varnish.stream().allMatch(p -> p.is(version));
      long gap = cdnGap(inv, cfBefore, fastlyBefore, cloudflareBefore);
      complete += report.isComplete() ? 1 : 0;
      webFresh += (int) web.stream().filter(p -> p.is(version)).count();
      varnishFresh += (int) varnish.stream().filter(p -> p.is(version)).count();
      recached += varnishOk ? 0 : 1;
      cdnAfter += gap > 0 ? 1 : 0;
      // What the reader fetched through Varnish right after the Varnish purge, before the CDN's.
      for (StackListener.Visit visit : listener.visits(inv)) {
        if (visit.afterStage().equals(VARNISH)) {
          readerMisses += "MISS".equals(visit.page().cache()) ? 1 : 0;
          readerFresh += visit.page().is(version) ? 1 : 0;
        }
      }
      if (!report.isComplete() || !webOk || !varnishOk || gap <= 0) {
        System.out.printf("update %d (v%d) failed a check: replicas %s, Varnish %s, CDN gap %s%n%s%n",
            k + 1, v, web, varnish, gap == Long.MIN_VALUE ? "no purge" : (gap / 1e6) + " ms",
            indent(report.describe()));
      }
    }
    int reads = n * Stack.WEB_IPS.size();
    int varnishReads = n * Stack.VARNISH_IPS.size();
    int rejected = stack.cloudFront.rejected() - rejectedBefore;
    String cloudflare = stack.cloudflare == null ? ""
        : String.format(Locale.ROOT, "; Cloudflare: %d tag and %d URL purges, %d refused",
            stack.cloudflare.purged("tags").size(), stack.cloudflare.purged("files").size(),
            stack.cloudflare.refused());
    rows.add(new Row("2a", "with fanout: " + n + " consecutive updates, invalidate() each",
        "COMPLETE " + complete + "/" + n, complete == n));
    rows.add(new Row("2b", "every replica serves the new version on the first read",
        webFresh + "/" + reads + " reads fresh", webFresh == reads));
    rows.add(new Row("2c", "every Varnish replica serves the new version on the first read",
        varnishFresh + "/" + varnishReads + " reads fresh", varnishFresh == varnishReads));
    rows.add(new Row("2d", cdns() + " purged after the last Next.js/Varnish ack",
        String.format(Locale.ROOT, "%d/%d updates; gap min %.2f ms, median %.2f ms; %d bad SigV4",
            cdnAfter, n, min(cdnGapMs), percentile(cdnGapMs, 50), rejected) + cloudflare,
        cdnAfter == n && rejected == 0
            && (stack.cloudflare == null || stack.cloudflare.refused() == 0)));
    rows.add(new Row("3b", "default order, reader through Varnish between every two stages",
        String.format(Locale.ROOT, "stale re-cached in Varnish: %d/%d updates (reader fetched "
            + "%d/%d fresh right after the Varnish purge)", recached, n, readerFresh, readerMisses),
        recached == 0 && readerFresh == varnishReads && readerMisses == varnishReads));
    return v;
  }

  /**
   * Milliseconds from the last acknowledgement to the first purge that reached a CDN stand-in
   * during this invalidation; {@code Long.MIN_VALUE} unless every CDN stand-in was called.
   */
  private long cdnGap(Invalidation inv, int cfBefore, int fastlyBefore, int cloudflareBefore) {
    List<CloudFrontStandIn.Call> cf = stack.cloudFront.calls();
    List<FastlyStandIn.Call> fastly = stack.fastly.calls();
    List<CloudflareStandIn.Call> cloudflare =
        stack.cloudflare == null ? List.of() : stack.cloudflare.calls();
    if (cf.size() <= cfBefore || fastly.size() <= fastlyBefore
        || (stack.cloudflare != null && cloudflare.size() <= cloudflareBefore)) {
      return Long.MIN_VALUE;
    }
    long first = Long.MAX_VALUE;
    for (CloudFrontStandIn.Call c : cf.subList(cfBefore, cf.size())) {
      first = Math.min(first, c.arrivalNanos());
    }
    for (FastlyStandIn.Call c : fastly.subList(fastlyBefore, fastly.size())) {
      first = Math.min(first, c.arrivalNanos());
    }
    for (CloudflareStandIn.Call c : cloudflare.subList(
        Math.min(cloudflareBefore, cloudflare.size()), cloudflare.size())) {
      first = Math.min(first, c.arrivalNanos());
    }
    long gap = first - listener.lastAckNanos(inv);
    cdnGapMs.add(gap / 1e6);
    return gap;
  }

  /** Check 3: the tiers in the wrong order let a reader re-cache the stale page in Varnish. */
  private long reversedOrder(Invalidator reversed, Invalidator fanout, long v) throws Exception {
    int n = options.reversedUpdates;
    int complete = 0;
    int stale = 0;
    int staleReads = 0;
    int webFresh = 0;
    List<StackListener.Visit> firstTrace = null;
    long firstVersion = v + 1;
    for (int k = 0; k < n; k++) {
      v = stack.content.update(POST);
      Invalidation inv = invalidation(v);
      InvalidationReport report = reversed.invalidate(inv).get(60, TimeUnit.SECONDS);
      List<Pages.Page> web = readWeb();
      List<Pages.Page> varnish = readVarnish();
      final long version = v;
      complete += report.isComplete() ? 1 : 0;
      long s = varnish.stream().filter(p -> !p.is(version)).count();
      staleReads += (int) s;
      stale += s > 0 ? 1 : 0;
      webFresh += (int) web.stream().filter(p -> p.is(version)).count();
      if (firstTrace == null) {
        firstTrace = listener.visits(inv);
      }
    }
    rows.add(new Row("3a", "reversed order (CDN, Varnish, then replicas), same reader",
        String.format(Locale.ROOT, "reports COMPLETE %d/%d, replicas fresh %d/%d, yet Varnish "
                + "serves the previous version after %d/%d updates (%d/%d reads stale)",
            complete, n, webFresh, n * Stack.WEB_IPS.size(), stale, n, staleReads,
            n * Stack.VARNISH_IPS.size()),
        stale == n));
    if (firstTrace != null) {
      System.out.println();
      System.out.println("Reversed order, what the reader saw through Varnish after each stage "
          + "(update to v" + firstVersion + "):");
      for (StackListener.Visit visit : firstTrace) {
        System.out.printf("  after %-8s %-10s %s%n", visit.afterStage(), visit.varnish(), visit.page());
      }
    }
    heal(fanout, v, "3c", "default order again, no new version: Varnish healed");
    return v;
  }

  /** Check 4: a replica dies after discovery; the gate holds the outer tiers; it comes back. */
  private void crashedReplica(Invalidator fanout, long v) throws Exception {
    int victim = 1;
    String victimIp = Stack.WEB_IPS.get(victim);
    Proc replica = stack.web.get(victim);
    listener.crashAfterNextDiscovery(() -> {
      try {
        replica.kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    long missed = stack.content.update(POST);
    Invalidation inv = invalidation(missed);
    int cfBefore = stack.cloudFront.calls().size();
    int fastlyBefore = stack.fastly.calls().size();
    int cloudflareBefore = cloudflareCalls();
    InvalidationReport report = fanout.invalidate(inv).get(60, TimeUnit.SECONDS);
    System.out.println();
    System.out.println("The report when web-" + victim + " (" + victimIp
        + ") was killed after discovery:");
    System.out.println(indent(report.describe()));
    List<String> failed = report.stage(NEXTJS).targets(TargetResult.Outcome.FAILED).stream()
        .map(t -> t.endpoint().address() + ":" + t.endpoint().port()).toList();
    String failure = report.stage(NEXTJS).targets(TargetResult.Outcome.FAILED).stream()
        .map(TargetResult::describe).collect(Collectors.joining("; "));
    rows.add(new Row("4a", "web-" + victim + " killed after discovery, before delivery (v"
            + missed + ")",
        "report " + (report.isComplete() ? "COMPLETE" : "INCOMPLETE") + ", failed: " + failure,
        !report.isComplete() && failed.equals(List.of(victimIp + ":" + Stack.WEB_PORT))));
    int cdnCalls = stack.cloudFront.calls().size() - cfBefore
        + stack.fastly.calls().size() - fastlyBefore + cloudflareCalls() - cloudflareBefore;
    StageReport varnishReport = report.stage(VARNISH);
    StageReport cdnReport = report.stage(CDN);
    rows.add(new Row("4b", "the gate holds back Varnish and the CDN",
        "varnish " + status(varnishReport) + ", cdn " + status(cdnReport) + "; CDN API calls: "
            + cdnCalls + "; Varnish still " + readVarnish(),
        varnishReport.status() == StageReport.Status.SKIPPED
            && cdnReport.status() == StageReport.Status.SKIPPED && cdnCalls == 0));
    replica.start();
    stack.awaitWeb(victim);
    Pages.Page restarted = pages.get(victimIp, Stack.WEB_PORT, PATH);
    rows.add(new Row("4c", "web-" + victim + " restarted on its own directory, before the next "
            + "invalidation",
        "serves " + restarted + (restarted.is(missed) ? "" : " (a restart does not heal a missed "
            + "invalidation)"), null));
    long next = stack.content.update(POST);
    Invalidation again = invalidation(next);
    cfBefore = stack.cloudFront.calls().size();
    fastlyBefore = stack.fastly.calls().size();
    cloudflareBefore = cloudflareCalls();
    report = fanout.invalidate(again).get(60, TimeUnit.SECONDS);
    boolean reached = report.stage(NEXTJS).targets(TargetResult.Outcome.ACKED).stream()
        .anyMatch(t -> t.endpoint().address().equals(victimIp));
    List<Pages.Page> web = readWeb();
    List<Pages.Page> varnish = readVarnish();
    long gap = cdnGap(again, cfBefore, fastlyBefore, cloudflareBefore);
    boolean fresh = web.stream().allMatch(p -> p.is(next)) && varnish.stream().allMatch(p -> p.is(next));
    rows.add(new Row("4d", "the next invalidation (v" + next + ") reaches it",
        String.format(Locale.ROOT, "report %s, web-%d %s; replicas %s; Varnish %s; CDN purged "
                + "%s after the last ack", report.isComplete() ? "COMPLETE" : "INCOMPLETE", victim,
            reached ? "acked" : "NOT acked", web, varnish,
            gap == Long.MIN_VALUE ? "never" : String.format(Locale.ROOT, "%.2f ms", gap / 1e6)),
        report.isComplete() && reached && fresh && gap > 0));
  }

  // ---- reading and printing ----

  private List<Pages.Page> readWeb() {
    List<Pages.Page> out = new ArrayList<>();
    for (String ip : Stack.WEB_IPS) {
      out.add(pages.get(ip, Stack.WEB_PORT, PATH));
    }
    return out;
  }

  private List<Pages.Page> readVarnish() {
    List<Pages.Page> out = new ArrayList<>();
    for (String ip : Stack.VARNISH_IPS) {
      out.add(pages.get(ip, Stack.VARNISH_PORT, PATH));
    }
    return out;
  }

  private int[] frontConnections() {
    int[] c = new int[Stack.WEB_IPS.size()];
    for (int i = 0; i < c.length; i++) {
      c[i] = stack.front.connections(i);
    }
    return c;
  }

  private static String status(StageReport r) {
    return r.status().name().toLowerCase(Locale.ROOT) + (r.detail() == null ? "" : " (" + r.detail() + ")");
  }

  private static String indent(String text) {
    return text.lines().map(l -> "  " + l).collect(Collectors.joining("\n"));
  }

  private static double min(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  private static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  private int printTable() {
    int checkWidth = rows.stream().mapToInt(r -> r.check().length()).max().orElse(10);
    String format = "%-3s | %-" + checkWidth + "s | %-4s | %s%n";
    System.out.println();
    System.out.printf(format, "#", "check", "ok", "observed");
    System.out.println("-".repeat(3) + "-+-" + "-".repeat(checkWidth) + "-+-" + "-".repeat(4)
        + "-+-" + "-".repeat(60));
    int failed = 0;
    int passed = 0;
    List<Row> sorted = new ArrayList<>(rows);
    sorted.sort(java.util.Comparator.comparing(Row::id));
    for (Row r : sorted) {
      String ok = r.pass() == null ? "info" : r.pass() ? "PASS" : "FAIL";
      if (Boolean.TRUE.equals(r.pass())) {
        passed++;
      } else if (Boolean.FALSE.equals(r.pass())) {
        failed++;
      }
      System.out.printf(format, r.id(), r.check(), ok, r.observed());
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "invalidate() per update over %d updates (3 Next.js replicas, "
            + "2 Varnish, %s; reader time excluded): median %.1f ms, p95 %.1f ms, "
            + "max %.1f ms%n", invalidateMs.size(), cdns(), percentile(invalidateMs, 50),
        percentile(invalidateMs, 95), percentile(invalidateMs, 100));
    System.out.println();
    System.out.println("e2e: " + passed + " passed, " + failed + " failed");
    return failed == 0 ? 0 : 1;
  }
}
