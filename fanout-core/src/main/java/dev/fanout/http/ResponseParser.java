// Over 500 lines for one job: reading one HTTP/1.1 response incrementally, as the named states of its framing (status line, headers, body by length, chunks or close, trailers).
package dev.fanout.http;

import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Parses one HTTP/1.1 response from bytes as they arrive, without a socket: {@link NioTransport}
 * feeds it what each read returned, tests and the fuzzer feed it arrays.
 *
 * <p>Framing decisions, each taken once and shared with the {@code java.net.http} transport (see
 * {@code HttpNotifier}):
 *
 * <ul>
 *   <li>A head (status line, headers) may be up to {@value #MAX_HEAD} bytes, the JDK client's own
 *       default limit ({@code jdk.http.maxHeaderSize}); a larger one is a protocol error. The status
 *       decides the acknowledgement, so a large head is no reason to fail.
 *   <li>A bare LF ends a line like CRLF does (RFC 9112 section 2.2 allows it; so does the JDK
 *       client). A CR anywhere else in a line is a protocol error.
 *   <li>1xx answers other than 101 are skipped; 101 is a protocol error (no upgrade was asked for).
 *   <li>204 and 304 have no body (RFC 9112 section 6.3). A 204 that declares one (a non-zero
 *       {@code Content-Length}, or {@code Transfer-Encoding}) is a protocol error, as in the JDK
 *       client, rather than a wait for bytes that never come.
 *   <li>{@code Content-Length} together with {@code Transfer-Encoding}, two different lengths, or a
 *       length that is not 1 to 18 digits: protocol error. The body's end would be ambiguous.
 *   <li>Chunked bodies: each size line is 1 to 16 hex digits (optional extensions after {@code ;}),
 *       each chunk's data must be followed by an empty line, trailers end at an empty line; anything
 *       else is a protocol error.
 *   <li>Without a length and not chunked, the body ends when the connection closes.
 * </ul>
 *
 * <p>At most {@code maxBody} bytes of the body are kept; once that many are kept and more is due,
 * the response is complete and {@link #truncated()} (its connection must then be dropped). Every
 * byte is looked at once and nothing grows beyond the head limit or the body cap, so the work and
 * memory per response are bounded. Not thread-safe; one parser per connection, {@link #reset()}
 * between responses.
 */
final class ResponseParser {
  /** Largest accepted response head, in bytes: the JDK client's default limit. */
  static final int MAX_HEAD = 384 * 1024;
  /** Largest accepted chunk-size line, extensions included. */
  static final int MAX_CHUNK_LINE = 1024;

  /** Where the parser is in the response. */
  enum State {
    /** Reading the status line. */
    STATUS_LINE,
    /** Reading header lines, up to the empty line. */
    HEADERS,
    /** Reading a body of known length. */
    BODY_FIXED,
    /** Reading a body that ends when the connection closes. */
    BODY_UNTIL_CLOSE,
    /** Reading a chunk-size line. */
    CHUNK_SIZE,
    /** Reading a chunk's data. */
    CHUNK_DATA,
    /** Reading the empty line after a chunk's data. */
    CHUNK_DATA_END,
    /** Reading trailer lines after the last chunk, up to the empty line. */
    TRAILERS,
    /** The response is complete. */
    DONE
  }

  /** Headers the transport and its callers look at; others are only counted against the limit. */
  private static final String[] KEPT = {"content-length", "transfer-encoding", "connection", "retry-after"};

  private final int maxBody;
  private State state = State.STATUS_LINE;
  private byte[] line = new byte[256];
  private int lineLength;
  /** Bytes of the current head (or trailer section) so far. */
  private int headBytes;
  private boolean started;
  private String version;
  private int status;
  private final Map<String, String> headers = new HashMap<>(8);
  private String lastName;
  private long remaining;
  private boolean keepAlive;
  private boolean truncated;
  /** The body kept so far: {@code bodyLength} bytes of {@code body}, which grows up to the cap. */
  private byte[] body = new byte[0];
  private int bodyLength;

  /**
   * Creates a parser.
   *
   * @param maxBody the most body bytes kept, {@code >= 0}
   */
  ResponseParser(int maxBody) {
    if (maxBody < 0) {
      throw new IllegalArgumentException("maxBody must be >= 0: " + maxBody);
    }
    this.maxBody = maxBody;
  }

  /** Gets ready for the next response on the same connection. */
  void reset() {
    state = State.STATUS_LINE;
    lineLength = 0;
    headBytes = 0;
    started = false;
    version = null;
    status = 0;
    // Reused: a response's headers are read before the next one is parsed.
    headers.clear();
    lastName = null;
    remaining = 0;
    keepAlive = false;
    truncated = false;
    bodyLength = 0;
  }

  /**
   * Consumes bytes until the response is complete or {@code in} is empty. Bytes after the end of the
   * response are left in {@code in}.
   *
   * @param in the bytes received
   * @return whether the response is complete
   * @throws ProtocolException if the bytes are not a well-framed HTTP/1.x response
   */
  boolean feed(ByteBuffer in) throws ProtocolException {
    if (in.hasRemaining()) {
      started = true;
    }
    while (in.hasRemaining() && state != State.DONE) {
      switch (state) {
        case BODY_FIXED:
        case CHUNK_DATA:
          readData(in);
          break;
        case BODY_UNTIL_CLOSE:
          keep(in, in.remaining());
          break;
        default:
          readLineByte(in.get());
          break;
      }
    }
    return state == State.DONE;
  }

  /**
   * Feeds a whole array.
   *
   * @param bytes the bytes
   * @return whether the response is complete
   * @throws ProtocolException if they are not a well-framed response
   */
  boolean feed(byte[] bytes) throws ProtocolException {
    return feed(ByteBuffer.wrap(bytes));
  }

  /**
   * Tells the parser the peer closed the connection.
   *
   * @return true if that completed the response (a body read until close)
   * @throws ProtocolException if the response was incomplete
   */
  boolean endOfInput() throws ProtocolException {
    if (state == State.BODY_UNTIL_CLOSE) {
      state = State.DONE;
      return true;
    }
    if (state == State.DONE) {
      return true;
    }
    throw new ProtocolException("connection closed before the response was complete");
  }

  int maxBody() {
    return maxBody;
  }

  State state() {
    return state;
  }

  boolean isDone() {
    return state == State.DONE;
  }

  /** Whether any byte of this response arrived. */
  boolean started() {
    return started;
  }

  int status() {
    return status;
  }

  /** The kept headers (lower-case names), once the head was read. */
  Map<String, String> headers() {
    return headers;
  }

  byte[] body() {
    return Arrays.copyOf(body, bodyLength);
  }

  /** Whether more body was due than was kept. */
  boolean truncated() {
    return truncated;
  }

  /** Whether the connection may carry another request after this complete response. */
  boolean reusable() {
    return state == State.DONE && keepAlive && !truncated;
  }

  private void readData(ByteBuffer in) {
    int take = (int) Math.min(in.remaining(), remaining);
    remaining -= take;
    keep(in, take);
    if (remaining == 0 && state != State.DONE) {
      state = state == State.BODY_FIXED ? State.DONE : State.CHUNK_DATA_END;
    }
  }

  private void keep(ByteBuffer in, int take) {
    int kept = Math.max(0, Math.min(maxBody - bodyLength, take));
    if (kept > 0) {
      if (bodyLength + kept > body.length) {
        body = Arrays.copyOf(body, Math.min(maxBody, Math.max(bodyLength + kept, 2 * body.length)));
      }
      in.get(in.position(), body, bodyLength, kept);
      bodyLength += kept;
    }
    in.position(in.position() + take);
    if (take > kept) {
      // More body than the cap: answer with what was kept and drop the connection rather than
      // drain an endless body.
      truncated = true;
      state = State.DONE;
    }
  }

  private void readLineByte(byte b) throws ProtocolException {
    boolean head = state == State.STATUS_LINE || state == State.HEADERS || state == State.TRAILERS;
    if (head && ++headBytes > MAX_HEAD) {
      throw new ProtocolException("response head larger than " + MAX_HEAD + " bytes");
    }
    if (b == '\n') {
      int length = lineLength;
      if (length > 0 && line[length - 1] == '\r') {
        length--;
      }
      lineLength = 0;
      for (int i = 0; i < length; i++) {
        if (line[i] == '\r') {
          throw new ProtocolException("bare CR in a line");
        }
      }
      endOfLine(length);
      return;
    }
    if (!head && lineLength > MAX_CHUNK_LINE) {
      throw new ProtocolException("chunk line longer than " + MAX_CHUNK_LINE + " bytes");
    }
    if (lineLength == line.length) {
      line = Arrays.copyOf(line, line.length * 2);
    }
    line[lineLength++] = b;
  }

  private void endOfLine(int length) throws ProtocolException {
    switch (state) {
      case STATUS_LINE:
        statusLine(length);
        break;
      case HEADERS:
        if (length == 0) {
          endOfHead();
        } else {
          headerLine(length);
        }
        break;
      case CHUNK_SIZE:
        chunkSize(length);
        break;
      case CHUNK_DATA_END:
        if (length != 0) {
          throw new ProtocolException("chunk data longer than its size");
        }
        state = State.CHUNK_SIZE;
        break;
      case TRAILERS:
        if (length == 0) {
          state = State.DONE;
        }
        break;
      default:
        throw new IllegalStateException("no line expected in state " + state);
    }
  }

  private void statusLine(int length) throws ProtocolException {
    // HTTP/1.x SP 3DIGIT [SP reason]
    if (length < 12 || !startsWith("HTTP/1.") || (line[7] != '0' && line[7] != '1') || line[8] != ' '
        || (length > 12 && line[12] != ' ')) {
      throw new ProtocolException("not an HTTP/1.x status line");
    }
    int code = 0;
    for (int i = 9; i < 12; i++) {
      if (line[i] < '0' || line[i] > '9') {
        throw new ProtocolException("bad status code");
      }
      code = code * 10 + (line[i] - '0');
    }
    if (code < 100 || code > 599) {
      throw new ProtocolException("bad status code " + code);
    }
    if (code == 101) {
      throw new ProtocolException("101 without an upgrade request");
    }
    version = line[7] == '1' ? "HTTP/1.1" : "HTTP/1.0";
    status = code;
    state = State.HEADERS;
  }

  private boolean startsWith(String prefix) {
    for (int i = 0; i < prefix.length(); i++) {
      if (line[i] != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private void headerLine(int length) throws ProtocolException {
    if (line[0] == ' ' || line[0] == '\t') {
      // obs-fold: the value continues (RFC 9112 section 5.2: replace the fold with a space).
      if (lastName == null) {
        throw new ProtocolException("folded line before any header");
      }
      String more = text(0, length).trim();
      headers.computeIfPresent(lastName, (k, v) -> v + " " + more);
      return;
    }
    int colon = -1;
    for (int i = 0; i < length; i++) {
      if (line[i] == ':') {
        colon = i;
        break;
      }
    }
    if (colon <= 0) {
      throw new ProtocolException("header line without a name");
    }
    int nameEnd = colon;
    while (nameEnd > 0 && (line[nameEnd - 1] == ' ' || line[nameEnd - 1] == '\t')) {
      nameEnd--;
    }
    lastName = null;
    for (String name : KEPT) {
      if (nameEquals(nameEnd, name)) {
        String value = text(colon + 1, length).trim();
        // Repeated fields combine into a list (RFC 9110 section 5.3).
        headers.merge(name, value, (a, b) -> a + ", " + b);
        lastName = name;
        return;
      }
    }
  }

  private boolean nameEquals(int end, String name) {
    if (end != name.length()) {
      return false;
    }
    for (int i = 0; i < end; i++) {
      int c = line[i];
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != name.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private String text(int from, int to) {
    return new String(line, from, Math.max(0, to - from), StandardCharsets.ISO_8859_1);
  }

  private void endOfHead() throws ProtocolException {
    if (status < 200) {
      // 100 Continue, 103 Early Hints: the real answer follows.
      state = State.STATUS_LINE;
      headBytes = 0;
      headers.clear();
      lastName = null;
      return;
    }
    String connection = headers.get("connection");
    keepAlive = "HTTP/1.1".equals(version)
        ? !hasToken(connection, "close")
        : hasToken(connection, "keep-alive") && !hasToken(connection, "close");
    String te = headers.get("transfer-encoding");
    String cl = headers.get("content-length");
    String problem = framingProblem(status, cl, te);
    if (problem != null) {
      throw new ProtocolException(problem);
    }
    long length = cl == null ? -1 : contentLength(cl);
    if (status == 204 || status == 304) {
      // A 304 may carry the Content-Length the full answer would have; it still has no body.
      state = State.DONE;
      return;
    }
    if (te != null) {
      if (lastToken(te).equals("chunked")) {
        state = State.CHUNK_SIZE;
      } else {
        // A transfer coding other than chunked last: the body ends with the connection.
        untilClose();
      }
      return;
    }
    if (length >= 0) {
      remaining = length;
      state = length == 0 ? State.DONE : State.BODY_FIXED;
      if (length > 0 && maxBody == 0) {
        truncated = true;
        state = State.DONE;
      }
      return;
    }
    untilClose();
  }

  private void untilClose() {
    keepAlive = false;
    state = State.BODY_UNTIL_CLOSE;
  }

  /**
   * Returns what makes a response's framing ambiguous, or null if nothing does. The one rule for
   * both transports: {@link NioTransport} through this parser, the JDK client through {@code
   * HttpNotifier}, which checks the headers the JDK client accepted.
   *
   * @param status the status code
   * @param contentLength every {@code Content-Length} value joined by commas, or null
   * @param transferEncoding every {@code Transfer-Encoding} value joined by commas, or null
   * @return the problem, or null
   */
  static String framingProblem(int status, String contentLength, String transferEncoding) {
    if (contentLength != null && transferEncoding != null) {
      return "both Content-Length and Transfer-Encoding";
    }
    long length = contentLength == null ? -1 : digits(contentLength);
    if (contentLength != null && length < 0) {
      for (String part : contentLength.split(",", -1)) {
        String p = part.trim();
        if (p.isEmpty() || p.length() > 18 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
          return "bad Content-Length";
        }
        long v = Long.parseLong(p);
        if (length >= 0 && v != length) {
          return "conflicting Content-Length values";
        }
        length = v;
      }
    }
    if (status == 204 && (transferEncoding != null || length > 0)) {
      return "a 204 response that declares a body";
    }
    return null;
  }

  /** The length of a value {@link #framingProblem} accepted. */
  private static long contentLength(String value) {
    long plain = digits(value);
    return plain >= 0 ? plain : Long.parseLong(value.split(",", -1)[0].trim());
  }

  /**
   * The value of 1 to 18 decimal digits and nothing else (the one {@code Content-Length} almost
   * every response has), or -1 for anything else, which the general rule then reads.
   */
  private static long digits(String value) {
    int n = value.length();
    if (n == 0 || n > 18) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static boolean hasToken(String list, String token) {
    if (list == null) {
      return false;
    }
    for (String part : list.split(",")) {
      if (part.trim().equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }

  private static String lastToken(String list) {
    String[] parts = list.split(",");
    return parts.length == 0 ? "" : parts[parts.length - 1].trim().toLowerCase(Locale.ROOT);
  }

  private void chunkSize(int length) throws ProtocolException {
    int end = 0;
    while (end < length && line[end] != ';' && line[end] != ' ' && line[end] != '\t') {
      end++;
    }
    for (int i = end; i < length && line[i] != ';'; i++) {
      if (line[i] != ' ' && line[i] != '\t') {
        throw new ProtocolException("bad chunk size");
      }
    }
    if (end == 0 || end > 16) {
      throw new ProtocolException("bad chunk size");
    }
    long size = 0;
    for (int i = 0; i < end; i++) {
      int d = Character.digit(line[i], 16);
      if (d < 0) {
        throw new ProtocolException("bad chunk size");
      }
      size = (size << 4) | d;
    }
    if (size < 0) {
      throw new ProtocolException("chunk size too large");
    }
    if (size == 0) {
      state = State.TRAILERS;
      headBytes = 0;
    } else {
      remaining = size;
      state = State.CHUNK_DATA;
    }
  }
}
