package dev.fanout.examples.e2e;

import dev.fanout.http.WebhookSigner;
import dev.fanout.k8s.DnsDiscovery;
import dev.fanout.spi.Discovery;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The whole stack on loopback, started and stopped by this class:
 *
 * <pre>
 *   content source      127.0.0.20:4000   (in this JVM)
 *   Next.js replicas    127.0.0.2-4:3000  (node server.js, each from its own copy of the build)
 *   headless Service    127.0.0.53:5353   (dnsmasq; web-headless.shop.svc.cluster.local A records,
 *                                          _http._tcp.varnish.shop.svc.cluster.local SRV records)
 *   Varnish replicas    127.0.0.10-11:6081 (varnishd with xkey, round robin over the replicas)
 *   load balancer       127.0.0.30:3000   (in this JVM, round robin per connection)
 *   CloudFront API      127.0.0.40:8040   (in this JVM, checks SigV4)
 *   Fastly API          127.0.0.41:8041   (in this JVM)
 *   Cloudflare API      127.0.0.42:8042   (in this JVM; unless --cloudflare off)
 * </pre>
 */
final class Stack implements AutoCloseable {
  static final List<String> WEB_IPS = List.of("127.0.0.2", "127.0.0.3", "127.0.0.4");
  static final int WEB_PORT = 3000;
  static final List<String> VARNISH_IPS = List.of("127.0.0.10", "127.0.0.11");
  static final int VARNISH_PORT = 6081;
  static final String DNS_IP = "127.0.0.53";
  static final int DNS_PORT = 5353;
  static final String CONTENT_IP = "127.0.0.20";
  static final int CONTENT_PORT = 4000;
  static final String FRONT_IP = "127.0.0.30";
  static final int FRONT_PORT = 3000;
  static final String CLOUDFRONT_IP = "127.0.0.40";
  static final int CLOUDFRONT_PORT = 8040;
  static final String FASTLY_IP = "127.0.0.41";
  static final int FASTLY_PORT = 8041;
  static final String CLOUDFLARE_IP = "127.0.0.42";
  static final int CLOUDFLARE_PORT = 8042;
  static final String WEB_SERVICE = "web-headless.shop.svc.cluster.local.";
  static final String VARNISH_SERVICE = "varnish.shop.svc.cluster.local.";
  static final String VARNISH_SRV = "_http._tcp." + VARNISH_SERVICE;

  private static final Duration READY = Duration.ofSeconds(60);

  final Options options;
  final String secret = WebhookSigner.generateSecret();
  final Path pidFile;
  ContentSource content;
  CloudFrontStandIn cloudFront;
  FastlyStandIn fastly;
  /** Null with {@code --cloudflare off}. */
  CloudflareStandIn cloudflare;
  RoundRobinFront front;
  /** Probes each replica's /api/ready for the front, as a kubelet does for a Service. */
  ReadinessProber prober;
  final List<Proc> web = new ArrayList<>();
  final List<Proc> varnish = new ArrayList<>();
  private Proc dnsmasq;
  private LoopbackDns builtinDns;
  private String dnsKind = "none";
  private boolean closed;

  Stack(Options options) {
    this.options = options;
    this.pidFile = options.work.resolve("pids");
  }

  static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  String dnsKind() {
    return dnsKind;
  }

  /** The Next.js replicas, found the way a pod finds a headless Service's pods. */
  Discovery webDiscovery() {
    return DnsDiscovery.builder(WEB_SERVICE).port(WEB_PORT).server(DNS_IP, DNS_PORT)
        .deadline(Duration.ofSeconds(2)).allowCidr("127.0.0.0/8").build();
  }

  /** The Varnish replicas, with their port from the SRV record of the named port {@code http}. */
  Discovery varnishDiscovery() {
    return DnsDiscovery.builder(VARNISH_SERVICE).srv("http").server(DNS_IP, DNS_PORT)
        .deadline(Duration.ofSeconds(2)).allowCidr("127.0.0.0/8").build();
  }

  void start() throws IOException, InterruptedException {
    Files.writeString(pidFile, ProcessHandle.current().pid() + " backend\n",
        StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    checkFree(options.cloudflare);
    content = new ContentSource(CONTENT_IP, CONTENT_PORT);
    ContentSource.seed(content);
    cloudFront = new CloudFrontStandIn(CLOUDFRONT_IP, CLOUDFRONT_PORT);
    fastly = new FastlyStandIn(FASTLY_IP, FASTLY_PORT);
    if (options.cloudflare) {
      // Enterprise limits: the 50 updates of check 2 purge twice each within seconds.
      cloudflare = new CloudflareStandIn(CLOUDFLARE_IP, CLOUDFLARE_PORT,
          dev.fanout.cloudflare.Plan.ENTERPRISE.limits());
    }
    startDns();
    for (int i = 0; i < WEB_IPS.size(); i++) {
      Path dir = options.work.resolve("web-" + i);
      if (!Files.isRegularFile(dir.resolve("server.js"))) {
        throw new IOException("no Next.js build in " + dir + " (run examples/e2e/run.sh)");
      }
      Proc p = webProc("web-" + i, WEB_IPS.get(i), dir, false);
      web.add(p);
      p.start();
    }
    for (int i = 0; i < web.size(); i++) {
      awaitWeb(i);
    }
    for (int i = 0; i < VARNISH_IPS.size(); i++) {
      Path dir = options.work.resolve("varnish-" + i);
      Files.createDirectories(dir);
      Proc p = new Proc("varnish-" + i, List.of(options.varnishd,
          "-F", "-f", options.vcl.toString(),
          "-a", VARNISH_IPS.get(i) + ":" + VARNISH_PORT,
          "-T", "none",
          "-n", dir.toAbsolutePath().toString(),
          "-i", "varnish-" + i,
          "-s", "malloc,64m",
          "-p", "thread_pools=1", "-p", "thread_pool_min=10", "-p", "thread_pool_max=200"),
          dir, Map.of(), options.work.resolve("logs/varnish-" + i + ".log"), pidFile);
      varnish.add(p);
      p.start();
    }
    for (int i = 0; i < varnish.size(); i++) {
      varnish.get(i).awaitHttp("http://" + VARNISH_IPS.get(i) + ":" + VARNISH_PORT + "/", READY);
    }
    List<InetSocketAddress> backends = new ArrayList<>();
    for (String ip : WEB_IPS) {
      backends.add(new InetSocketAddress(InetAddress.getByName(ip), WEB_PORT));
    }
    front = new RoundRobinFront(FRONT_IP, FRONT_PORT, backends);
    prober = new ReadinessProber(front);
  }

  /**
   * A Next.js replica serving {@code dir} on {@code ip}; with {@code holdReadiness} its {@code
   * /api/ready} answers 503 until a catch-up reached it (at most 30 s).
   */
  Proc webProc(String name, String ip, Path dir, boolean holdReadiness) {
    Map<String, String> env = new java.util.HashMap<>(Map.of(
        "HOSTNAME", ip,
        "PORT", String.valueOf(WEB_PORT),
        "NODE_ENV", "production",
        "NEXT_TELEMETRY_DISABLED", "1",
        "FANOUT_SECRET", secret,
        "FANOUT_DEBUG", "1",
        "CONTENT_URL", "http://" + CONTENT_IP + ":" + CONTENT_PORT));
    if (holdReadiness) {
      env.put("FANOUT_HOLD_READINESS_SECONDS", "30");
    }
    return new Proc(name, List.of(options.node, "server.js"), dir, env,
        options.work.resolve("logs/" + name + ".log"), pidFile);
  }

  /** Replaces replica {@code i}'s process by a new one on the same directory, and starts it. */
  Proc restartWeb(int i, boolean holdReadiness) throws IOException {
    web.get(i).stop();
    Proc p = webProc("web-" + i, WEB_IPS.get(i), options.work.resolve("web-" + i), holdReadiness);
    web.set(i, p);
    p.start();
    return p;
  }

  /**
   * Lists one more replica under the headless Service's name, as the EndpointSlice controller does
   * for a new pod (the Service publishes not-ready addresses, so it is listed before it is ready).
   */
  void addToService(String ip) throws IOException {
    if (builtinDns != null) {
      builtinDns.a(WEB_SERVICE, ip);
    } else {
      // dnsmasq reads a new file of its hosts directory at once (inotify).
      Files.writeString(options.work.resolve("web-hosts/" + ip), ip + " " + strip(WEB_SERVICE) + "\n");
    }
  }

  void awaitWeb(int i) throws IOException, InterruptedException {
    web.get(i).awaitHttp("http://" + WEB_IPS.get(i) + ":" + WEB_PORT + "/", READY);
  }

  private void startDns() throws IOException, InterruptedException {
    if (options.dnsmasq.equals("builtin")) {
      builtinDns = new LoopbackDns(DNS_IP, DNS_PORT);
      for (String ip : WEB_IPS) {
        builtinDns.a(WEB_SERVICE, ip);
      }
      for (int i = 0; i < VARNISH_IPS.size(); i++) {
        String host = "varnish-" + i + "." + VARNISH_SERVICE;
        builtinDns.srv(VARNISH_SRV, host, VARNISH_PORT);
        builtinDns.a(host, VARNISH_IPS.get(i));
      }
      dnsKind = "in-process DNS stand-in (dnsmasq not installed)";
    } else {
      // The configuration goes in a file of the work directory, so the process names it.
      List<String> conf = new ArrayList<>(List.of(
          "port=" + DNS_PORT, "listen-address=" + DNS_IP, "bind-interfaces",
          "no-resolv", "no-hosts", "local-ttl=0", "log-facility=-",
          // Authoritative for the cluster domain: a type without records (AAAA here) is NODATA,
          // as in a cluster, instead of REFUSED for want of an upstream server.
          "local=/cluster.local/"));
      // The web Service's records live in a hosts directory, so that a replica can join later.
      Path hosts = options.work.resolve("web-hosts");
      Files.createDirectories(hosts);
      // A replica that joined in an earlier run left its file here; each run starts from the three.
      try (var left = Files.list(hosts)) {
        for (Path p : (Iterable<Path>) left::iterator) {
          Files.delete(p);
        }
      }
      StringBuilder initial = new StringBuilder();
      for (String ip : WEB_IPS) {
        initial.append(ip).append(' ').append(strip(WEB_SERVICE)).append('\n');
      }
      Files.writeString(hosts.resolve("initial"), initial);
      conf.add("hostsdir=" + hosts);
      for (int i = 0; i < VARNISH_IPS.size(); i++) {
        String host = "varnish-" + i + "." + strip(VARNISH_SERVICE);
        conf.add("srv-host=" + strip(VARNISH_SRV) + "," + host + "," + VARNISH_PORT + ",0,10");
        conf.add("host-record=" + host + "," + VARNISH_IPS.get(i));
      }
      Path confFile = options.work.resolve("dnsmasq.conf");
      Files.write(confFile, conf);
      List<String> cmd = List.of(options.dnsmasq, "--keep-in-foreground", "--pid-file=",
          "--conf-file=" + confFile);
      dnsmasq = new Proc("dnsmasq", cmd, options.work, Map.of(),
          options.work.resolve("logs/dnsmasq.log"), pidFile);
      dnsmasq.start();
      dnsKind = "dnsmasq";
    }
    Discovery check = webDiscovery();
    long deadline = System.nanoTime() + READY.toNanos();
    while (true) {
      if (dnsmasq != null && !dnsmasq.isAlive()) {
        throw new IOException("dnsmasq exited; see " + dnsmasq.log());
      }
      try {
        if (check.discover().toCompletableFuture().get(5, TimeUnit.SECONDS).size() == WEB_IPS.size()) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("DNS on " + DNS_IP + ":" + DNS_PORT + " does not list the "
              + WEB_IPS.size() + " web replicas");
        }
      } catch (IOException e) {
        throw e;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IOException("DNS on " + DNS_IP + ":" + DNS_PORT + " does not answer", e);
        }
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  private static String strip(String name) {
    return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
  }

  /** Fails early, naming the address, if another program holds one of the stack's ports. */
  private static void checkFree(boolean cloudflare) throws IOException {
    List<String> tcp = new ArrayList<>();
    WEB_IPS.forEach(ip -> tcp.add(ip + ":" + WEB_PORT));
    VARNISH_IPS.forEach(ip -> tcp.add(ip + ":" + VARNISH_PORT));
    tcp.add(CONTENT_IP + ":" + CONTENT_PORT);
    tcp.add(FRONT_IP + ":" + FRONT_PORT);
    tcp.add(CLOUDFRONT_IP + ":" + CLOUDFRONT_PORT);
    tcp.add(FASTLY_IP + ":" + FASTLY_PORT);
    if (cloudflare) {
      tcp.add(CLOUDFLARE_IP + ":" + CLOUDFLARE_PORT);
    }
    for (String a : tcp) {
      String[] hp = a.split(":");
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getByName(hp[0]), Integer.parseInt(hp[1])));
      } catch (IOException e) {
        throw new IOException(a + " is in use (a previous run still going, or another program)", e);
      }
    }
    try (DatagramSocket s = new DatagramSocket(
        new InetSocketAddress(InetAddress.getByName(DNS_IP), DNS_PORT))) {
      s.getLocalPort();
    } catch (IOException e) {
      throw new IOException(DNS_IP + ":" + DNS_PORT + "/udp is in use", e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (prober != null) {
      prober.close();
    }
    if (front != null) {
      front.close();
    }
    varnish.forEach(Proc::stop);
    web.forEach(Proc::stop);
    if (dnsmasq != null) {
      dnsmasq.stop();
    }
    if (builtinDns != null) {
      builtinDns.close();
    }
    for (AutoCloseable c : new AutoCloseable[] {content, cloudFront, fastly, cloudflare}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // stopping anyway
      }
    }
  }
}
