package dev.fanout.examples.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.http.WebhookSigner;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The end-to-end run in which no Java backend takes part: fanout-gateway, started from its
 * executable jar with a YAML file, receives Strapi's webhook for post 1 and drives the three
 * Next.js replicas, the two Varnish replicas and the CloudFront and Fastly stand-ins of {@link
 * Stack}. After each update every replica and every Varnish serves the new version at its first
 * read, and the CDN stand-ins were purged; a repeated webhook sends nothing. Prints a table, exits
 * 1 if a check failed, 2 if the stack or the gateway could not start.
 *
 * <pre>
 * GatewayRun --gateway-jar fanout-gateway/target/fanout-gateway-exec.jar [--java BIN] [EndToEnd's options]
 * </pre>
 */
public final class GatewayRun {
  static final String GATEWAY_IP = "127.0.0.50";
  static final int GATEWAY_PORT = 8050;
  private static final String POST = "1";
  private static final String PATH = "/posts/" + POST;
  private static final Duration DONE = Duration.ofSeconds(60);

  private final Stack stack;
  private final Pages pages = new Pages();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final String token = "Bearer " + random();
  private final List<String[]> rows = new ArrayList<>();
  private final List<Double> liveMs = new ArrayList<>();
  private int failed;

  private final String wordpressSecret = WebhookSigner.generateSecret();
  private final String php;
  private final Path editor;

  private GatewayRun(Stack stack, String php, Path editor) {
    this.stack = stack;
    this.php = php;
    this.editor = editor;
  }

  /**
   * Starts the stack and the gateway, runs the checks, prints the table.
   *
   * @param args {@code --gateway-jar PATH [--java BIN] [--updates N]} and {@link EndToEnd}'s options
   */
  public static void main(String[] args) {
    Args a = Args.parse(args);
    if (a == null) {
      System.exit(2);
      return;
    }
    Stack stack = new Stack(a.options());
    Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "stack-stop"));
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(a.options().timeout.toMillis());
        System.err.println("e2e gateway: no result after " + a.options().timeout.toSeconds() + " s; stopping");
        System.exit(3);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    int code;
    Proc gateway = null;
    try {
      long t0 = System.nanoTime();
      stack.start();
      GatewayRun run = new GatewayRun(stack, a.php(), a.editor());
      gateway = run.startGateway(a.java(), a.jar(), a.options());
      System.out.printf(Locale.ROOT, "stack and gateway up in %.1f s; gateway http://%s:%d%n",
          (System.nanoTime() - t0) / 1e9, GATEWAY_IP, GATEWAY_PORT);
      code = run.run(a.options().updates);
    } catch (Exception e) {
      System.err.println("e2e gateway: the stack or the gateway failed: " + e);
      e.printStackTrace();
      code = 2;
    } finally {
      if (gateway != null) {
        gateway.stop();
      }
      stack.close();
    }
    System.exit(code);
  }

  /** The command line: the gateway's jar, the java to run it with, and {@link Options}. */
  private record Args(Options options, Path jar, String java, String php, Path editor) {
    /** Returns the arguments, or null after printing what is wrong. */
    static Args parse(String[] args) {
      List<String> rest = new ArrayList<>();
      Path jar = null;
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      String php = null;
      Path editor = null;
      for (int i = 0; i < args.length; i++) {
        if (args[i].equals("--gateway-jar") && i + 1 < args.length) {
          jar = Path.of(args[++i]).toAbsolutePath();
        } else if (args[i].equals("--java") && i + 1 < args.length) {
          java = args[++i];
        } else if (args[i].equals("--php") && i + 1 < args.length) {
          php = args[++i];
        } else if (args[i].equals("--wordpress-editor") && i + 1 < args.length) {
          editor = Path.of(args[++i]).toAbsolutePath();
        } else {
          rest.add(args[i]);
        }
      }
      if (jar == null || !Files.isRegularFile(jar)) {
        System.err.println("--gateway-jar must name fanout-gateway-exec.jar: " + jar);
        return null;
      }
      try {
        return new Args(Options.parse(rest.toArray(String[]::new)), jar, java, php, editor);
      } catch (IllegalArgumentException e) {
        System.err.println(e.getMessage());
        return null;
      }
    }
  }

  private static String random() {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** The gateway's whole configuration: the stack's tiers in order, and Strapi's post model. */
  private String config() {
    String dns = "servers: [\"" + Stack.DNS_IP + ":" + Stack.DNS_PORT + "\"], allow-cidrs: [127.0.0.0/8], timeout: 2s";
    String retry = "retry: {max-attempts: 3, base-delay: 50ms, max-delay: 250ms}";
    return String.join("\n",
        "server: {address: " + GATEWAY_IP + ", port: " + GATEWAY_PORT + "}",
        "fanout:",
        "  deadline: 30s",
        "  coalescer: {quiet-period: 50ms}",
        "  stages:",
        "    - name: nextjs",
        "      discovery: {dns: {name: " + Stack.WEB_SERVICE + ", port: " + Stack.WEB_PORT + ", " + dns + "}}",
        "      notifier: {signing-secret: \"" + stack.secret + "\"}",
        "      min-targets: " + Stack.WEB_IPS.size(),
        "      " + retry,
        "    - name: varnish",
        "      discovery: {dns: {name: " + Stack.VARNISH_SERVICE + ", srv: http, " + dns + "}}",
        "      notifier: {preset: varnish-xkey}",
        "      min-targets: " + Stack.VARNISH_IPS.size(),
        "      " + retry,
        "    - name: cdn",
        "      cloudfront: {distribution-id: " + CloudFrontStandIn.DISTRIBUTION
            + ", endpoint-override: \"" + stack.cloudFront.endpoint() + "\"}",
        "      fastly: {service-id: " + FastlyStandIn.SERVICE_ID + ", api-token: \"" + FastlyStandIn.TOKEN
            + "\", hosts: [www.example.test], base-uri: \"" + stack.fastly.baseUri() + "\"}",
        "  gateway:",
        "    strapi:",
        "      secrets: [\"" + token + "\"]",
        "      models:",
        "        post: {paths: [\"/posts/{entry.id}\"], tags: [\"post:{entry.id}\"]}",
        "    wordpress:",
        "      secrets: [\"" + wordpressSecret + "\"]",
        "      post-types:",
        "        post: {paths: [\"/posts/{post.id}\"], tags: [\"post:{post.id}\"]}",
        "");
  }

  private Proc startGateway(String java, Path jar, Options options) throws IOException, InterruptedException {
    Path yml = options.work.resolve("gateway.yml");
    Files.writeString(yml, config());
    Proc p = new Proc("gateway", List.of(java, "-Xmx256m", "-jar", jar.toString(),
        "--spring.config.additional-location=file:" + yml),
        options.work, Map.of(
            // The CloudFront stand-in checks SigV4 with these test credentials.
            "AWS_ACCESS_KEY_ID", CloudFrontStandIn.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY", CloudFrontStandIn.SECRET_KEY),
        options.work.resolve("logs/gateway.log"), stack.pidFile);
    p.start();
    p.awaitHttp("http://" + GATEWAY_IP + ":" + GATEWAY_PORT + "/actuator/health/readiness", DONE);
    return p;
  }

  private String webhook(String event, long version) {
    return """
        {"event":"%s","createdAt":"%s","model":"post","uid":"api::post.post",
         "entry":{"id":%s,"documentId":"post-%s","title":"Post %s","updatedAt":"%s","publishedAt":"%s"}}"""
        .formatted(event, Instant.now(), POST, POST, POST,
            // Strapi's updatedAt changes with every edit: one per version here.
            Instant.ofEpochSecond(1_796_380_000L + version), Instant.now());
  }

  private JsonNode send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode body = r.body().isEmpty() ? json.createObjectNode() : json.readTree(r.body());
    ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("_status", r.statusCode());
    return body;
  }

  private JsonNode post(String body) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create("http://" + GATEWAY_IP + ":" + GATEWAY_PORT
            + "/v1/webhooks/strapi")).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").header("Authorization", token)
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build());
  }

  /** Polls the status until the invalidation finished (the CMS plugin's view), within {@link #DONE}. */
  private JsonNode awaitFinished(String id) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + DONE.toNanos();
    JsonNode s;
    do {
      s = send(HttpRequest.newBuilder(URI.create("http://" + GATEWAY_IP + ":" + GATEWAY_PORT
          + "/v1/invalidations/" + id)).timeout(Duration.ofSeconds(10)).header("Authorization", token)
          .GET().build());
      String state = s.path("state").asText();
      if (state.equals("DELIVERED") || state.equals("FAILED") || state.equals("SUPERSEDED")) {
        return s;
      }
      Thread.sleep(20);
    } while (System.nanoTime() < deadline);
    return s;
  }

  private List<Pages.Page> read(List<String> ips, int port) {
    List<Pages.Page> out = new ArrayList<>();
    for (String ip : ips) {
      out.add(pages.get(ip, port, PATH));
    }
    return out;
  }

  private void row(String id, String check, String observed, boolean pass) {
    rows.add(new String[] {id, check, pass ? "PASS" : "FAIL", observed});
    failed += pass ? 0 : 1;
  }

  /**
   * One step of WordPress around the plugin of examples/wordpress, run by the real PHP interpreter
   * (its test's editor.php), as post 1 modified at {@code modified}.
   */
  private JsonNode wordpress(String modified, String step) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(php, editor.toString(), step).redirectErrorStream(true);
    pb.environment().putAll(Map.of(
        "FANOUT_STATE", stack.options.work.resolve("wordpress-state.json").toString(),
        "FANOUT_GATEWAY_URL", "http://" + GATEWAY_IP + ":" + GATEWAY_PORT,
        "FANOUT_GATEWAY_SECRET", wordpressSecret,
        "FANOUT_POST_ID", POST,
        "FANOUT_MODIFIED", modified));
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("php " + step + " failed: " + new String(out, StandardCharsets.UTF_8));
    }
    return json.readTree(out);
  }

  /** G7: an editor publishes post 1 in WordPress; the plugin (php-cli) sends it from its cron event. */
  private void wordpressRound() throws IOException, InterruptedException {
    if (php == null || editor == null) {
      rows.add(new String[] {"G7", "WordPress plugin (php-cli) to the gateway", "info", "skipped: no php"});
      return;
    }
    long v = stack.content.update(POST);
    String modified = "2026-12-04 12:00:" + String.format(Locale.ROOT, "%02d", v % 60);
    JsonNode saved = wordpress(modified, "publish-post");
    JsonNode cron = wordpress(modified, "cron");
    String id = cron.path("meta").path("_fanout_gateway_invalidation").asText();
    JsonNode status = awaitFinished(id);
    List<Pages.Page> web = read(Stack.WEB_IPS, Stack.WEB_PORT);
    List<Pages.Page> varnish = read(Stack.VARNISH_IPS, Stack.VARNISH_PORT);
    String box = wordpress(modified, "meta-box").path("result").asText();
    row("G7", "WordPress plugin (php-cli): a publish, sent by its cron; first reads",
        "editor's request sent " + saved.path("requests").size() + " requests; cron: "
            + cron.path("result").path("post:" + POST).asText() + "; replicas " + web + ", Varnish "
            + varnish + "; post box: " + box.replaceAll("<[^>]+>", ""),
        saved.path("requests").isEmpty() && "DELIVERED".equals(status.path("state").asText())
            && web.stream().allMatch(p -> p.is(v)) && varnish.stream().allMatch(p -> p.is(v))
            && box.contains("Live everywhere"));
  }

  private int run(int updates) throws Exception {
    stack.content.put(POST, 1);
    List<Pages.Page> web = read(Stack.WEB_IPS, Stack.WEB_PORT);
    List<Pages.Page> varnish = read(Stack.VARNISH_IPS, Stack.VARNISH_PORT);
    row("G0", "post 1 read once everywhere (caches warm at v1)", "replicas " + web + ", Varnish " + varnish,
        web.stream().allMatch(p -> p.is(1)) && varnish.stream().allMatch(p -> p.is(1)));

    int accepted = 0;
    int delivered = 0;
    int webFresh = 0;
    int varnishFresh = 0;
    int purged = 0;
    String lastBody = null;
    String lastSummary = "";
    for (int k = 0; k < updates; k++) {
      long v = stack.content.update(POST);
      int cf = stack.cloudFront.calls().size();
      int fastly = stack.fastly.calls().size();
      lastBody = webhook("entry.update", v);
      long t0 = System.nanoTime();
      JsonNode answer = post(lastBody);
      accepted += answer.path("_status").asInt() == 202 ? 1 : 0;
      JsonNode status = awaitFinished(answer.path("id").asText());
      liveMs.add((System.nanoTime() - t0) / 1e6);
      delivered += "DELIVERED".equals(status.path("state").asText()) ? 1 : 0;
      lastSummary = status.path("summary").asText();
      web = read(Stack.WEB_IPS, Stack.WEB_PORT);
      varnish = read(Stack.VARNISH_IPS, Stack.VARNISH_PORT);
      webFresh += (int) web.stream().filter(p -> p.is(v)).count();
      varnishFresh += (int) varnish.stream().filter(p -> p.is(v)).count();
      boolean cdn = stack.cloudFront.calls().subList(cf, stack.cloudFront.calls().size()).stream()
          .anyMatch(c -> c.paths().contains(PATH))
          && stack.fastly.calls().subList(fastly, stack.fastly.calls().size()).stream()
          .anyMatch(c -> c.target().contains("post:" + POST));
      purged += cdn ? 1 : 0;
      if (!web.stream().allMatch(p -> p.is(v)) || !varnish.stream().allMatch(p -> p.is(v)) || !cdn) {
        System.out.printf("update %d (v%d): answer %s, status %s, replicas %s, Varnish %s, CDN %s%n",
            k + 1, v, answer, status, web, varnish, cdn ? "purged" : "NOT purged");
      }
    }
    liveMs.sort(null);
    System.out.printf(Locale.ROOT, "webhook sent to status DELIVERED (coalescer quiet period 50 ms, status "
        + "polled every 20 ms): median %.0f ms, max %.0f ms over %d updates%n",
        liveMs.get(liveMs.size() / 2), liveMs.get(liveMs.size() - 1), liveMs.size());
    int reads = updates * Stack.WEB_IPS.size();
    int varnishReads = updates * Stack.VARNISH_IPS.size();
    row("G1", "a Strapi entry.update webhook per update, to the gateway", "202 accepted "
        + accepted + "/" + updates, accepted == updates);
    row("G2", "the gateway's status says DELIVERED (as the CMS plugin reads it)", delivered + "/"
        + updates + "; last: " + lastSummary, delivered == updates);
    row("G3", "every Next.js replica serves the new version on the first read", webFresh + "/"
        + reads + " reads fresh", webFresh == reads);
    row("G4", "every Varnish replica serves the new version on the first read", varnishFresh + "/"
        + varnishReads + " reads fresh", varnishFresh == varnishReads);
    row("G5", "CloudFront and Fastly stand-ins purged for every update", purged + "/" + updates
        + " updates; " + stack.cloudFront.rejected() + " bad SigV4",
        purged == updates && stack.cloudFront.rejected() == 0);

    int cf = stack.cloudFront.calls().size();
    int fastly = stack.fastly.calls().size();
    JsonNode again = post(lastBody);
    JsonNode marker = post(webhook("entry.publish", stack.content.update(POST)));
    awaitFinished(marker.path("id").asText());
    row("G6", "the same webhook again is a duplicate: nothing more is sent", "HTTP "
            + again.path("_status").asInt() + " " + again.path("result").asText() + "; CDN calls after it: "
            + (stack.cloudFront.calls().size() - cf) + " CloudFront, " + (stack.fastly.calls().size() - fastly)
            + " Fastly (one later publish)",
        again.path("_status").asInt() == 200 && "duplicate".equals(again.path("result").asText())
            && stack.cloudFront.calls().size() - cf == 1);
    wordpressRound();
    return printTable();
  }

  private int printTable() {
    System.out.println();
    System.out.printf("%-3s | %-70s | %-4s | %s%n", "#", "check (fanout-gateway, no Java backend)", "ok", "observed");
    for (String[] r : rows) {
      System.out.printf("%-3s | %-70s | %-4s | %s%n", r[0], r[1], r[2], r[3]);
    }
    System.out.println();
    long passed = rows.stream().filter(r -> r[2].equals("PASS")).count();
    System.out.println("e2e gateway: " + passed + " passed, " + failed + " failed");
    return failed == 0 ? 0 : 1;
  }
}
