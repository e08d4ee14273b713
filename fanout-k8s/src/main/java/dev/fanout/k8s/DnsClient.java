package dev.fanout.k8s;

import dev.fanout.DiscoveryException;
import dev.fanout.internal.Futures;
import dev.fanout.internal.Limiter;
import dev.fanout.internal.Retry;
import dev.fanout.internal.Tasks;
import dev.fanout.internal.Timeouts;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Sends DNS queries straight to the configured servers with dnsjava's {@link SimpleResolver}: no
 * cache, no hosts file, no JVM resolver. Retries SERVFAIL, REFUSED, timeouts and I/O errors within
 * a time budget, rotating over the servers; follows CNAME chains; reads A, AAAA and SRV answers.
 * {@link SimpleResolver} itself asks again over TCP when a UDP answer comes back truncated.
 */
final class DnsClient {
  static final Logger log = LoggerFactory.getLogger(DnsDiscovery.class);

  /** Callbacks are short and never block, so they run on whichever thread completes the query. */
  private static final Executor DIRECT = Runnable::run;

  private final List<InetSocketAddress> servers;
  private final List<SimpleResolver> resolvers;
  private final Retry retry;
  private final Duration attemptTimeout;
  private final Duration deadline;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final AtomicInteger rotation = new AtomicInteger();

  DnsClient(List<InetSocketAddress> servers, Retry retry, Duration attemptTimeout,
      Duration deadline, Clock clock, ScheduledExecutorService scheduler) {
    this.servers = List.copyOf(servers);
    this.retry = retry;
    this.attemptTimeout = attemptTimeout;
    this.deadline = deadline;
    this.clock = clock;
    this.scheduler = scheduler;
    List<SimpleResolver> rs = new ArrayList<>();
    for (InetSocketAddress s : this.servers) {
      SimpleResolver r = new SimpleResolver(s);
      // The attempt deadline is enforced by our scheduler; dnsjava's own timer only reclaims the
      // socket of an abandoned query.
      r.setTimeout(deadline.plusSeconds(1));
      rs.add(r);
    }
    this.resolvers = List.copyOf(rs);
  }

  List<InetSocketAddress> servers() {
    return servers;
  }

  String describeServers() {
    StringBuilder b = new StringBuilder();
    for (InetSocketAddress s : servers) {
      b.append(b.length() == 0 ? "" : ", ").append(authority(s));
    }
    return b.toString();
  }

  static String authority(InetSocketAddress s) {
    String host = s.getAddress().getHostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + s.getPort();
  }

  record Address(InetAddress address, long ttl) {}

  record Srv(Name target, int port, long ttl) {}

  /**
   * What one name and type resolved to.
   *
   * @param addresses A or AAAA answers
   * @param srv SRV answers
   * @param additional addresses from the additional section, by owner name
   * @param minTtl the smallest TTL of the records used (CNAMEs included), or -1 if none
   * @param nxdomain true if every candidate name was NXDOMAIN
   */
  record Records(List<Address> addresses, List<Srv> srv, Map<Name, List<Address>> additional,
      long minTtl, boolean nxdomain) {
    static final Records NXDOMAIN = new Records(List.of(), List.of(), Map.of(), -1, true);
    static final Records NODATA = new Records(List.of(), List.of(), Map.of(), -1, false);
  }

  /** An answer that is not a failure: NOERROR (maybe without data) or NXDOMAIN. */
  private record Answer(Message message, boolean nxdomain) {}

  /**
   * Resolves the candidate names in order (a search list): the first that exists wins, NXDOMAIN
   * moves on. When every candidate is NXDOMAIN the whole list is asked again {@code rechecks}
   * times, because NXDOMAIN can be intermittent.
   */
  CompletableFuture<Records> resolve(List<Name> candidates, int type, int rechecks) {
    return walk(candidates, 0, type, false).thenCompose(r -> {
      if (r.nxdomain() && rechecks > 0) {
        log.debug("DNS {} {}: NXDOMAIN, asking again", candidates.get(candidates.size() - 1),
            Type.string(type));
        return resolve(candidates, type, rechecks - 1);
      }
      return CompletableFuture.completedFuture(r);
    });
  }

  private CompletableFuture<Records> walk(List<Name> candidates, int i, int type,
      boolean sawNoData) {
    if (i >= candidates.size()) {
      return CompletableFuture.completedFuture(sawNoData ? Records.NODATA : Records.NXDOMAIN);
    }
    return follow(candidates.get(i), type, 0, new ArrayList<>(), -1).thenCompose(r -> {
      boolean hasData = !r.addresses().isEmpty() || !r.srv().isEmpty();
      if (hasData) {
        return CompletableFuture.completedFuture(r);
      }
      return walk(candidates, i + 1, type, sawNoData || !r.nxdomain());
    });
  }

  /** Queries one name, following CNAMEs that the server did not chase itself. */
  private CompletableFuture<Records> follow(Name qname, int type, int hops, List<Name> chain,
      long ttlSoFar) {
    return query(qname, type).thenCompose(answer -> {
      if (answer.nxdomain()) {
        return CompletableFuture.completedFuture(Records.NXDOMAIN);
      }
      List<Record> section = answer.message().getSection(Section.ANSWER);
      Name current = qname;
      long ttl = ttlSoFar;
      int h = hops;
      Set<Name> seen = new HashSet<>(chain);
      seen.add(qname);
      while (true) {
        List<Address> addresses = new ArrayList<>();
        List<Srv> srv = new ArrayList<>();
        boolean any = false;
        for (Record r : section) {
          if (!r.getName().equals(current) || r.getType() != type) {
            continue;
          }
          any = true;
          ttl = minTtl(ttl, r.getTTL());
          if (r instanceof ARecord a) {
            addresses.add(new Address(a.getAddress(), r.getTTL()));
          } else if (r instanceof AAAARecord a) {
            addresses.add(new Address(a.getAddress(), r.getTTL()));
          } else if (r instanceof SRVRecord s) {
            srv.add(new Srv(s.getTarget(), s.getPort(), r.getTTL()));
          }
        }
        if (any) {
          return CompletableFuture.completedFuture(new Records(List.copyOf(addresses),
              List.copyOf(srv), additional(answer.message()), ttl, false));
        }
        CNAMERecord cname = null;
        for (Record r : section) {
          if (r instanceof CNAMERecord c && r.getName().equals(current)) {
            cname = c;
            break;
          }
        }
        if (cname == null) {
          if (!current.equals(qname)) {
            // The server gave the chain but not its end: ask for the end ourselves.
            List<Name> next = new ArrayList<>(seen);
            return follow(current, type, h, next, ttl);
          }
          return CompletableFuture.completedFuture(Records.NODATA);
        }
        ttl = minTtl(ttl, cname.getTTL());
        current = cname.getTarget();
        h++;
        if (h > DnsDiscovery.MAX_CNAME_HOPS || !seen.add(current)) {
          return CompletableFuture.failedFuture(new DiscoveryException("DNS lookup of " + qname
              + " " + Type.string(type) + " at " + describeServers() + ": CNAME chain longer than "
              + DnsDiscovery.MAX_CNAME_HOPS + " or looping (at " + current + ")"));
        }
      }
    });
  }

  private static Map<Name, List<Address>> additional(Message m) {
    Map<Name, List<Address>> out = new LinkedHashMap<>();
    for (Record r : m.getSection(Section.ADDITIONAL)) {
      InetAddress a = r instanceof ARecord ar ? ar.getAddress()
          : r instanceof AAAARecord ar6 ? ar6.getAddress() : null;
      if (a != null) {
        out.computeIfAbsent(r.getName(), n -> new ArrayList<>()).add(new Address(a, r.getTTL()));
      }
    }
    return out;
  }

  /**
   * Looks up A and AAAA of each name (absolute, no search list), at most {@code concurrency} names
   * at a time. A name that does not resolve maps to an empty list.
   */
  CompletableFuture<Map<Name, List<Address>>> resolveTargets(List<Name> names, int concurrency) {
    Map<Name, List<Address>> found = new ConcurrentHashMap<>();
    if (names.isEmpty()) {
      return CompletableFuture.completedFuture(found);
    }
    Limiter limiter = new Limiter(concurrency, Runnable::run);
    List<CompletableFuture<Void>> lookups = new ArrayList<>();
    for (Name n : names) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      lookups.add(done);
      limiter.acquireHere(() -> {
        List<Name> one = List.of(n);
        resolve(one, Type.A, 0).thenCombine(resolve(one, Type.AAAA, 0), (a, b) -> {
          List<Address> all = new ArrayList<>(a.addresses());
          all.addAll(b.addresses());
          found.put(n, all);
          return null;
        }).whenComplete((v, e) -> {
          limiter.release();
          if (e != null) {
            done.completeExceptionally(e);
          } else {
            done.complete(null);
          }
        });
      });
    }
    return CompletableFuture.allOf(lookups.toArray(new CompletableFuture<?>[0]))
        .thenApply(v -> found);
  }

  /** Sends one query, retrying failures within the time budget. */
  private CompletableFuture<Answer> query(Name name, int type) {
    CompletableFuture<Answer> result = new CompletableFuture<>();
    Instant deadlineAt = clock.instant().plus(deadline);
    int first = Math.floorMod(rotation.getAndIncrement(), servers.size());
    attempt(name, type, 0, first, deadlineAt, new LinkedHashMap<>(), result);
    return result;
  }

  private void attempt(Name name, int type, int n, int first, Instant deadlineAt,
      Map<String, String> problems, CompletableFuture<Answer> result) {
    int index = (first + n) % servers.size();
    String server = authority(servers.get(index));
    Duration remaining = Duration.between(clock.instant(), deadlineAt);
    Duration budget = remaining.compareTo(attemptTimeout) < 0 ? remaining : attemptTimeout;
    CompletableFuture<Message> sent = new CompletableFuture<>();
    try {
      Message q = Message.newQuery(Record.newRecord(name, type, DClass.IN));
      resolvers.get(index).sendAsync(q, DIRECT).whenComplete((m, e) -> {
        if (e != null) {
          sent.completeExceptionally(e);
        } else {
          sent.complete(m);
        }
      });
    } catch (RuntimeException e) {
      sent.completeExceptionally(e);
    }
    Timeouts.within(sent, budget.isNegative() || budget.isZero() ? Duration.ofNanos(1) : budget,
        scheduler, java.util.concurrent.TimeoutException::new).whenComplete((m, e) -> {
      String problem;
      if (e != null) {
        Throwable cause = Futures.unwrap(e);
        problem = cause instanceof java.util.concurrent.TimeoutException
            ? "timed out after " + budget.toMillis() + " ms"
            : "I/O error: " + cause;
      } else {
        int rcode = m.getRcode();
        if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
          log.debug("DNS {} {} at {}: {}, {} answers", name, Type.string(type), server,
              Rcode.string(rcode), m.getSection(Section.ANSWER).size());
          result.complete(new Answer(m, rcode == Rcode.NXDOMAIN));
          return;
        }
        problem = Rcode.string(rcode);
      }
      log.debug("DNS {} {} at {}: {} (attempt {} of {})", name, Type.string(type), server, problem,
          n + 1, retry.policy().maxAttempts());
      problems.merge(server, problem, (a, b) -> b);
      Retry.Decision next =
          retry.next(n + 1, null, Duration.between(clock.instant(), deadlineAt));
      if (!next.again() || Tasks.schedule(scheduler, next.delay(),
          () -> attempt(name, type, n + 1, first, deadlineAt, problems, result)) == null) {
        result.completeExceptionally(new DiscoveryException("DNS lookup of " + name + " "
            + Type.string(type) + " failed after " + (n + 1) + " attempts within "
            + deadline.toMillis() + " ms: " + describe(problems)));
      }
    });
  }

  private static String describe(Map<String, String> problems) {
    StringBuilder b = new StringBuilder();
    problems.forEach((server, problem) ->
        b.append(b.length() == 0 ? "" : "; ").append(problem).append(" from server ").append(server));
    return b.toString();
  }

  private static long minTtl(long a, long b) {
    return a < 0 ? b : Math.min(a, b);
  }

  static Name absolute(Name n) {
    if (n.isAbsolute()) {
      return n;
    }
    Name a = concat(n, Name.root);
    if (a == null) {
      throw new IllegalArgumentException("name too long: " + n);
    }
    return a;
  }

  static Name concat(Name prefix, Name suffix) {
    try {
      return Name.concatenate(prefix, suffix);
    } catch (NameTooLongException e) {
      return null;
    }
  }

  static Name prefix(String labels, Name name) {
    try {
      Name p = Name.fromString(labels);
      Name n = Name.concatenate(p, name);
      return n;
    } catch (TextParseException | NameTooLongException e) {
      throw new IllegalArgumentException("cannot build SRV name " + labels + "." + name, e);
    }
  }
}
