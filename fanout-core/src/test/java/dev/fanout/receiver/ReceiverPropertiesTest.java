package dev.fanout.receiver;

import static dev.fanout.receiver.Fixtures.SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.standardwebhooks.Webhook;
import dev.fanout.Invalidation;
import dev.fanout.WireContract;
import dev.fanout.http.WebhookSigner;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.receiver.Fixtures.Req;
import dev.fanout.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties over the receiver's input (fault-matrix rows A1, A2, A6, A13, A14): whatever arrives,
 * the answer is a small JSON object with a 2xx or 4xx status, it comes back promptly, and the
 * handler runs only for a correctly signed invalidation whose paths are all plain.
 */
class ReceiverPropertiesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<Integer> CLIENT_STATUSES = Set.of(200, 400, 401, 405, 413);

  private final ManualClock clock = new ManualClock();
  private final List<Invalidation> handled = new CopyOnWriteArrayList<>();
  private final InvalidationReceiver receiver = InvalidationReceiver.builder()
      .secret(SECRET)
      .handler(handled::add)
      .clock(clock)
      .maxBodyBytes(8 * 1024)
      .build();
  private final AtomicLong ids = new AtomicLong();

  private long now() {
    return clock.instant().getEpochSecond();
  }

  /** Sends the request and checks what every answer must satisfy; returns the status. */
  private int send(Req req) throws Exception {
    int before = handled.size();
    InvalidationReceiver.Response r = receiver.handleAsync(req.method(), req.headers(), req.body())
        // A guard against a hang, not a timing assertion: a correct answer takes microseconds.
        .get(30, TimeUnit.SECONDS);
    assertThat(CLIENT_STATUSES).as(r.toString()).contains(r.status());
    assertThat(r.body().length()).isLessThan(1024);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.isObject()).isTrue();
    if (r.status() == 200) {
      assertThat(body.path("result").asText()).isIn("applied", "duplicate");
    } else {
      assertThat(body.path("error").isTextual()).isTrue();
      assertThat(handled).hasSize(before);
    }
    for (Invalidation inv : handled.subList(before, handled.size())) {
      for (String path : inv.paths()) {
        assertThat(WireContract.pathProblem(path)).as(path).isNull();
      }
    }
    return r.status();
  }

  // ---- arbitrary requests: no 5xx, no hang, small answers

  @Property(tries = 300)
  void arbitraryRequestsNeverGet5xx(
      @ForAll("methods") String method,
      @ForAll("headerSets") Map<String, List<String>> headers,
      @ForAll("bodies") byte[] body) throws Exception {
    send(new Req(method, headers, body));
  }

  @Property(tries = 600)
  void signedArbitraryBodiesAreAppliedOrRejectedWith400(@ForAll("bodies") byte[] body) throws Exception {
    String id = "fz_" + ids.incrementAndGet();
    int status = send(Fixtures.signed(SECRET, id, now(), body));

    assertThat(status).isIn(200, 400, 413);
    Statistics.collect(status);
    Statistics.coverage(c -> {
      c.check(200).percentage(p -> p > 5);
      c.check(400).percentage(p -> p > 5);
    });
  }

  @Property(tries = 300)
  void signedInvalidationsWithHostilePathsNeverReachTheHandlerUnlessPlain(
      @ForAll("hostilePaths") List<String> paths) throws Exception {
    String id = "hp_" + ids.incrementAndGet();
    StringBuilder json = new StringBuilder("{\"id\":\"" + id + "\",\"paths\":[");
    for (int i = 0; i < paths.size(); i++) {
      json.append(i == 0 ? "" : ",").append(Fixtures.jsonString(paths.get(i)));
    }
    json.append("],\"tags\":[\"t\"]}");

    int status = send(Fixtures.signedJson(id, json.toString(), clock));

    boolean allPlain = paths.stream().allMatch(p -> WireContract.pathProblem(p) == null);
    assertThat(status).isEqualTo(allPlain ? 200 : 400);
    Statistics.collect(status);
    Statistics.coverage(c -> {
      c.check(200).percentage(p -> p > 1);
      c.check(400).percentage(p -> p > 50);
    });
  }

  // ---- A2: any flipped bit is caught before parsing

  @Property(tries = 300)
  void anyFlippedBitIsRejectedWith401(
      @ForAll("invalidations") Invalidation inv, @ForAll int position, @ForAll @IntRange(max = 7) int bit)
      throws Exception {
    Req ok = Fixtures.signed(inv, clock);
    byte[] tampered = ok.body().clone();
    int i = Math.floorMod(position, tampered.length);
    tampered[i] ^= (byte) (1 << bit);

    assertThat(send(ok.body(tampered))).isEqualTo(401);
  }

  // ---- A6: rotation and signature lists

  @Property(tries = 200)
  void aMatchingV1SignatureAnywhereInUpTo16EntriesPasses(
      @ForAll("signatureNoise") List<String> noise, @ForAll int where) throws Exception {
    Invalidation inv = Invalidation.builder().id("rot_" + ids.incrementAndGet()).tag("t").build();
    Req ok = Fixtures.signed(inv, clock);
    List<String> entries = new ArrayList<>(noise);
    entries.add(Math.floorMod(where, entries.size() + 1), ok.header("webhook-signature"));

    int status = send(ok.with("webhook-signature", String.join(" ", entries)));

    assertThat(status).isEqualTo(entries.size() <= WebhookSigner.MAX_SIGNATURES ? 200 : 401);
    Statistics.collect(status);
    Statistics.coverage(c -> {
      c.check(200).count(n -> n > 30);
      c.check(401).count(n -> n > 30);
    });
  }

  // ---- A1: the reference library signs, the receiver applies exactly what was sent

  @Property(tries = 200)
  void whatTheReferenceLibrarySignsIsAppliedUnchanged(@ForAll("invalidations") Invalidation inv)
      throws Exception {
    Invalidation unique = inv.withId(inv.id() + "_" + ids.incrementAndGet());
    String payload = new String(InvalidationJson.encode(unique), StandardCharsets.UTF_8);
    String signature = new Webhook(Fixtures.SECRET).sign(unique.id(), now(), payload);
    Map<String, List<String>> h = new LinkedHashMap<>();
    h.put("webhook-id", List.of(unique.id()));
    h.put("webhook-timestamp", List.of(Long.toString(now())));
    h.put("webhook-signature", List.of(signature));
    int before = handled.size();

    assertThat(send(new Req("POST", h, payload.getBytes(StandardCharsets.UTF_8)))).isEqualTo(200);
    assertThat(handled.subList(before, handled.size())).containsExactly(unique);
  }

  // ---- generators

  @Provide
  Arbitrary<String> methods() {
    return Arbitraries.oneOf(Arbitraries.of("POST", "POST", "POST", "GET", "PUT", "post", "", "P\u0000ST"),
        Arbitraries.strings().ofMaxLength(10));
  }

  @Provide
  Arbitrary<Map<String, List<String>>> headerSets() {
    Arbitrary<String> anyText = Arbitraries.strings().ofMaxLength(300);
    Arbitrary<String> id = Arbitraries.oneOf(
        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(20),
        anyText, Arbitraries.just("inv.1"), Arbitraries.just("x".repeat(300)));
    Arbitrary<String> ts = Arbitraries.oneOf(
        Arbitraries.longs().between(-400, 400).map(d -> Long.toString(now() + d)),
        Arbitraries.of("", "-1", "1e9", " 1", "99999999999999999999", "0"), anyText);
    Arbitrary<String> sig = Arbitraries.oneOf(
        Arbitraries.strings().withCharRange('!', '~').ofMaxLength(60).map(s -> "v1," + s),
        Arbitraries.strings().withChars("v1,AB= ").ofMaxLength(5000), anyText);
    Arbitrary<List<String>> values = Arbitraries.oneOf(
        id.list().ofMinSize(0).ofMaxSize(2), Arbitraries.just((List<String>) null));
    return Combinators.combine(
            values, ts.list().ofMaxSize(2), sig.list().ofMaxSize(2),
            Arbitraries.of("webhook-id", "Webhook-Id", "WEBHOOK-ID", "x-other"),
            anyText.map(List::of).injectNull(0.1))
        .as((ids, tss, sigs, idName, extra) -> {
          Map<String, List<String>> h = new LinkedHashMap<>();
          h.put(idName, ids);
          h.put("webhook-timestamp", tss);
          h.put("webhook-signature", sigs);
          h.put("content-length", extra);
          h.put(null, List.of("HTTP/1.1 200"));
          return h;
        });
  }

  @Provide
  Arbitrary<byte[]> bodies() {
    Arbitrary<byte[]> randomBytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(2048);
    Arbitrary<byte[]> big = Arbitraries.integers().between(8 * 1024 - 2, 8 * 1024 + 2)
        .map(n -> new byte[n]);
    Arbitrary<byte[]> json = jsonValues(3).map(s -> s.getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> shaped = Combinators.combine(
            jsonValues(1), hostilePaths(), Arbitraries.strings().ofMaxLength(30).list().ofMaxSize(3),
            jsonValues(1), jsonValues(1))
        .as((id, paths, tags, version, hop) -> {
          StringBuilder sb = new StringBuilder("{\"id\":").append(id).append(",\"paths\":[");
          for (int i = 0; i < paths.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(Fixtures.jsonString(paths.get(i)));
          }
          sb.append("],\"tags\":[");
          for (int i = 0; i < tags.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(Fixtures.jsonString(tags.get(i)));
          }
          return sb.append("],\"entity\":\"e\",\"version\":").append(version).append(",\"hop\":")
              .append(hop).append('}').toString().getBytes(StandardCharsets.UTF_8);
        });
    Arbitrary<byte[]> valid = invalidations().map(InvalidationJson::encode);
    Arbitrary<byte[]> deep = Arbitraries.integers().between(1, 4000)
        .map(n -> ("{\"id\":\"d\",\"paths\":" + "[".repeat(n) + "]".repeat(n) + "}")
            .getBytes(StandardCharsets.UTF_8));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, randomBytes), net.jqwik.api.Tuple.of(1, big),
        net.jqwik.api.Tuple.of(3, json), net.jqwik.api.Tuple.of(4, shaped),
        net.jqwik.api.Tuple.of(3, valid), net.jqwik.api.Tuple.of(1, deep));
  }

  /** Arbitrary JSON values up to the given depth, as text. */
  private Arbitrary<String> jsonValues(int depth) {
    Arbitrary<String> leaf = Arbitraries.oneOf(
        Arbitraries.of("null", "true", "false", "0", "-1", "1.5", "1e400", "99999999999999999999999",
            "\"\"", "\"inv_1\"", "1"),
        Arbitraries.strings().ofMaxLength(20).map(Fixtures::jsonString));
    if (depth == 0) {
      return leaf;
    }
    Arbitrary<String> array = jsonValues(depth - 1).list().ofMaxSize(4)
        .map(l -> "[" + String.join(",", l) + "]");
    Arbitrary<String> object = Combinators.combine(
            Arbitraries.of("id", "paths", "tags", "entity", "version", "hop", "x"),
            jsonValues(depth - 1)).as((k, v) -> "\"" + k + "\":" + v)
        .list().ofMaxSize(5).map(l -> "{" + String.join(",", l) + "}");
    return Arbitraries.oneOf(leaf, array, object);
  }

  @Provide
  Arbitrary<List<String>> hostilePaths() {
    Arbitrary<String> piece = Arbitraries.oneOf(
        Arbitraries.of("/", "//", "..", ".", "%2e", "%2E%2e", "%2f", "%", "%zz", "%c0%ae", "\\", "#", "?",
            "http:", "https://", "169.254.169.254", "localhost", " ", "\t", "\r\n", "\u0000", "\u0085",
            "\u200b", "\u2028", "\u202e", "\ud800", "\udc00", "\ud83d\ude00", "caf\u00e9", ";", "*", "~"),
        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(6));
    Arbitrary<String> path = piece.list().ofMinSize(1).ofMaxSize(8).map(l -> String.join("", l));
    return Arbitraries.oneOf(path, path.map(p -> "/" + p)).list().ofMinSize(1).ofMaxSize(4);
  }

  @Provide
  Arbitrary<Invalidation> invalidations() {
    Arbitrary<String> segment = Arbitraries.strings().withCharRange('a', 'z').numeric().withChars("-_~.")
        .ofMinLength(1).ofMaxLength(10).filter(s -> !s.equals(".") && !s.equals(".."));
    Arbitrary<String> path = segment.list().ofMaxSize(4).map(l -> "/" + String.join("/", l));
    Arbitrary<String> tag = Arbitraries.strings().withCharRange('!', '~').withChars("\u00e9\u4e2d")
        .ofMinLength(1).ofMaxLength(40);
    Arbitrary<String> id = Arbitraries.strings().withCharRange('a', 'z').numeric().withChars("_:-")
        .ofMinLength(1).ofMaxLength(40);
    return Combinators.combine(id, path.list().ofMaxSize(5), tag.list().ofMaxSize(5),
            Arbitraries.longs().between(0, Long.MAX_VALUE).injectNull(0.5))
        .as((i, paths, tags, version) -> {
          Invalidation.Builder b = Invalidation.builder().id(i).paths(paths).tags(tags);
          if (paths.isEmpty() && tags.isEmpty()) {
            b.tag("t");
          }
          if (version != null) {
            b.entity("entity:" + i, version);
          }
          return b.build();
        });
  }

  @Provide
  Arbitrary<List<String>> signatureNoise() {
    Arbitrary<String> entry = Arbitraries.oneOf(
        Arbitraries.strings().withCharRange('A', 'Z').ofLength(43).map(s -> "v1," + s + "="),
        Arbitraries.strings().alpha().ofMaxLength(20).map(s -> "v1a," + s),
        Arbitraries.strings().alpha().ofMaxLength(20).map(s -> "v2," + s),
        Arbitraries.of("v1,", "v1,!!!", ",", "v1", "v1,AAAA"));
    // Sizes drawn uniformly, so that lists above the 16-entry limit are as common as those below it.
    return Arbitraries.integers().between(0, 30).flatMap(n -> entry.list().ofSize(n));
  }
}
