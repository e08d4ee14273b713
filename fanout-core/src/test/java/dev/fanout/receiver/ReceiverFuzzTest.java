package dev.fanout.receiver;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.http.WebhookSigner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Coverage-guided fuzzing of the receiver's request handling: headers, timestamp, signature, JSON
 * and the path grammar, through {@link InvalidationReceiver#handleAsync} with a fixed clock and
 * secret. Each input must be answered at once (the handler is synchronous, so a pending answer is a
 * hang), never with a 5xx (the handler never fails, so a 5xx is the receiver's own error), with a
 * small JSON object; no exception may escape.
 *
 * <p>Without {@code JAZZER_FUZZ} the inputs under {@code ReceiverFuzzTestInputs/} replay as
 * regression tests; {@code .ci/fuzz-short} and {@code .ci/fuzz-long} fuzz.
 */
class ReceiverFuzzTest {
  private static final long NOW = 1_767_225_600L;
  private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
  private static final WebhookSigner SIGNER = WebhookSigner.of(Fixtures.SECRET);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicLong APPLIED = new AtomicLong();
  private static final AtomicLong IDS = new AtomicLong();
  private static final InvalidationReceiver RECEIVER = InvalidationReceiver.builder()
      .secret(Fixtures.SECRET).secret(Fixtures.OLD_SECRET)
      .clock(CLOCK)
      .handler(inv -> APPLIED.incrementAndGet())
      // Every rejection is logged at DEBUG; printing a million of them would be the whole run.
      .logger(org.slf4j.helpers.NOPLogger.NOP_LOGGER)
      .build();

  /**
   * Any request. The input is a request in text form: a first line whose first word is the method,
   * header lines ({@code name: value}), an empty line, the body. The word {@code SIGN} in a {@code
   * webhook-signature} value becomes a valid signature of that request, so the fuzzer also gets
   * past the signature check with headers, timestamps and bodies of its own.
   */
  @FuzzTest(maxDuration = "30s")
  void anyRequest(byte[] input) {
    String text = new String(input, StandardCharsets.ISO_8859_1);
    int split = text.indexOf("\n\n");
    int crlf = text.indexOf("\r\n\r\n");
    int headEnd = split < 0 ? crlf : crlf < 0 ? split : Math.min(split, crlf);
    String head = headEnd < 0 ? text : text.substring(0, headEnd);
    byte[] body = headEnd < 0 ? new byte[0]
        : text.substring(headEnd + (headEnd == crlf ? 4 : 2)).getBytes(StandardCharsets.ISO_8859_1);
    // Plain string scanning, no regular expressions: Jazzer hooks java.util.regex, which would make
    // the harness, not the receiver, the cost of each input.
    List<String> lines = new ArrayList<>();
    for (int from = 0; from <= head.length(); ) {
      int nl = head.indexOf('\n', from);
      int end = nl < 0 ? head.length() : nl;
      lines.add(head.substring(from, end > from && head.charAt(end - 1) == '\r' ? end - 1 : end));
      from = end + 1;
    }
    int space = lines.get(0).indexOf(' ');
    String method = space < 0 ? lines.get(0) : lines.get(0).substring(0, space);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      int colon = lines.get(i).indexOf(':');
      if (colon > 0) {
        headers.computeIfAbsent(lines.get(i).substring(0, colon), k -> new ArrayList<>())
            .add(lines.get(i).substring(colon + 1).trim());
      }
    }
    signWhereAsked(headers, body);

    check(RECEIVER.handleAsync(method, headers, body), false);
  }

  /**
   * Validly signed bodies: the input is the body, signed under a fresh id at the receiver's clock,
   * so every input reaches the JSON decoder and the path and tag grammar. Every answer is 200, 400
   * or 413.
   */
  @FuzzTest(maxDuration = "30s")
  void signedBody(byte[] body) {
    String id = "inv_fuzz_" + IDS.incrementAndGet();
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("content-type", List.of("application/json"));
    headers.put("webhook-id", List.of(id));
    headers.put("webhook-timestamp", List.of(Long.toString(NOW)));
    headers.put("webhook-signature", List.of(SIGNER.sign(id, NOW, body)));

    check(RECEIVER.handleAsync("POST", headers, body), true);
  }

  private static void signWhereAsked(Map<String, List<String>> headers, byte[] body) {
    List<String> signatures = headers.get("webhook-signature");
    if (signatures == null || signatures.stream().noneMatch(v -> v.contains("SIGN"))) {
      return;
    }
    List<String> ids = headers.getOrDefault("webhook-id", List.of());
    List<String> stamps = headers.getOrDefault("webhook-timestamp", List.of());
    String id = ids.isEmpty() ? "" : ids.get(0);
    long ts = NOW;
    if (!stamps.isEmpty() && !stamps.get(0).isEmpty() && stamps.get(0).length() <= 15
        && stamps.get(0).chars().allMatch(c -> c >= '0' && c <= '9')) {
      ts = Long.parseLong(stamps.get(0));
    }
    String valid = SIGNER.sign(id, ts, body);
    List<String> signed = new ArrayList<>();
    for (String v : signatures) {
      signed.add(v.replace("SIGN", valid));
    }
    headers.put("webhook-signature", signed);
  }

  private static void check(CompletableFuture<InvalidationReceiver.Response> answer, boolean signed) {
    if (!answer.isDone()) {
      throw new AssertionError("no answer at once: the receiver waits on something");
    }
    InvalidationReceiver.Response r = answer.join();
    if (r.status() >= 500) {
      throw new AssertionError("5xx from the receiver itself: " + r);
    }
    if (signed && r.status() != 200 && r.status() != 400 && r.status() != 413) {
      throw new AssertionError("a validly signed request answered " + r);
    }
    JsonNode json;
    try {
      json = JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("answer is not JSON: " + r.body(), e);
    }
    if (json == null || !json.isObject() || !(json.has("error") || json.has("result")) || r.body().length() > 2048) {
      throw new AssertionError("answer is not a small JSON object with error or result: " + r.body());
    }
  }
}
