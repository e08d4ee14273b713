package dev.fanout.http;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Coverage-guided fuzzing of {@link ResponseParser} fed from bytes. For every input: only {@link
 * ProtocolException} may be thrown; feeding it whole, byte by byte, or in pieces of 7 gives the same
 * outcome; and an accepted response has consistent framing: a status of 200 to 599, a body within
 * the cap, never Content-Length together with Transfer-Encoding, a body exactly as long as its
 * Content-Length, no body for 204 and 304, and a truncated response is never reusable.
 *
 * <p>Without {@code JAZZER_FUZZ} the inputs under {@code ResponseParserFuzzTestInputs/} replay as
 * regression tests; {@code .ci/fuzz-short} and {@code .ci/fuzz-long} fuzz.
 */
class ResponseParserFuzzTest {
  private static final int MAX_BODY = 64;

  /** What one way of feeding produced. Consumed bytes are compared only for untruncated answers. */
  record Outcome(String error, boolean done, boolean byClose, int status, Map<String, String> headers,
      String body, boolean truncated, boolean reusable, int consumed) {}

  @FuzzTest(maxDuration = "30s")
  void response(byte[] input) {
    Outcome whole = run(input, Math.max(1, input.length));
    Outcome bytewise = run(input, 1);
    Outcome pieces = run(input, 7);
    if (!same(whole, bytewise) || !same(whole, pieces)) {
      throw new AssertionError("outcome depends on how the bytes arrive:\n" + whole + "\n" + bytewise + "\n" + pieces);
    }
    if (whole.done()) {
      checkFraming(whole);
    }
  }

  private static boolean same(Outcome a, Outcome b) {
    return a.equals(b) || (a.truncated() && b.truncated()
        && a.equals(new Outcome(b.error(), b.done(), b.byClose(), b.status(), b.headers(), b.body(),
            b.truncated(), b.reusable(), a.consumed())));
  }

  private static Outcome run(byte[] input, int piece) {
    ResponseParser p = new ResponseParser(MAX_BODY);
    int consumed = 0;
    boolean byClose = false;
    try {
      boolean done = false;
      for (int at = 0; at < input.length && !done; at += piece) {
        ByteBuffer buf = ByteBuffer.wrap(input, at, Math.min(piece, input.length - at));
        int before = buf.remaining();
        done = p.feed(buf);
        consumed += before - buf.remaining();
      }
      if (!done) {
        done = p.endOfInput();
        byClose = true;
      }
      return new Outcome(null, done, byClose, p.status(), p.headers(),
          new String(p.body(), StandardCharsets.ISO_8859_1), p.truncated(), p.reusable(), consumed);
    } catch (ProtocolException e) {
      return new Outcome(e.getMessage(), false, byClose, 0, Map.of(), "", false, false, 0);
    }
  }

  private static void checkFraming(Outcome o) {
    int status = o.status();
    if (status < 200 || status > 599) {
      throw new AssertionError("accepted status " + status);
    }
    if (o.body().length() > MAX_BODY) {
      throw new AssertionError("body over the cap: " + o.body().length());
    }
    String cl = o.headers().get("content-length");
    String te = o.headers().get("transfer-encoding");
    if (cl != null && te != null) {
      throw new AssertionError("accepted Content-Length with Transfer-Encoding");
    }
    if (ResponseParser.framingProblem(status, cl, te) != null) {
      throw new AssertionError("accepted framing the shared rule refuses: " + o);
    }
    if ((status == 204 || status == 304) && !o.body().isEmpty()) {
      throw new AssertionError(status + " with a body");
    }
    if (cl != null && te == null && status != 204 && status != 304 && !o.truncated()) {
      long length = Long.parseLong(cl.split(",")[0].trim());
      if (o.body().length() != length || o.byClose()) {
        throw new AssertionError("body length " + o.body().length() + " for Content-Length " + cl);
      }
    }
    if (o.truncated() && o.reusable()) {
      throw new AssertionError("a truncated response marked reusable");
    }
    if (o.byClose() && o.reusable()) {
      throw new AssertionError("a response ended by close marked reusable");
    }
  }
}
