package dev.fanout.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests for {@link ResponseParser}, fed from bytes without a socket. */
class ResponseParserTest {

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Feeds {@code response} split at {@code cut}; returns the parser once complete. */
  private static ResponseParser parse(String response, int cut, int maxBody) throws ProtocolException {
    byte[] all = bytes(response);
    ResponseParser p = new ResponseParser(maxBody);
    ByteBuffer first = ByteBuffer.wrap(all, 0, cut);
    if (p.feed(first)) {
      return p;
    }
    p.feed(ByteBuffer.wrap(all, cut, all.length - cut));
    return p;
  }

  private static void sameAtEveryCut(String response, int status, String body, boolean reusable)
      throws ProtocolException {
    for (int cut = 0; cut <= response.length(); cut++) {
      ResponseParser p = parse(response, cut, 1024);
      assertThat(p.isDone()).as("cut %d", cut).isTrue();
      assertThat(p.status()).isEqualTo(status);
      assertThat(new String(p.body(), StandardCharsets.ISO_8859_1)).as("cut %d", cut).isEqualTo(body);
      assertThat(p.reusable()).isEqualTo(reusable);
    }
  }

  @Test
  void contentLengthChunkedAndBareLineFeedsParseAlikeWhereverTheBytesAreSplit() throws Exception {
    sameAtEveryCut("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nRetry-After: 3\r\n\r\nhello", 200, "hello", true);
    sameAtEveryCut("HTTP/1.1 503 Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nx-trailer: t\r\n\r\n", 503, "hello", true);
    sameAtEveryCut("HTTP/1.1 200 OK\ncontent-length: 2\n\nok", 200, "ok", true);
    sameAtEveryCut("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\nok\n0\n\n", 200, "ok", true);
    sameAtEveryCut("HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok", 200, "ok", false);
    sameAtEveryCut("HTTP/1.1 200 OK\r\nconnection: keep-alive, close\r\ncontent-length: 2\r\n\r\nok", 200, "ok", false);
    sameAtEveryCut("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 204, "", true);
    sameAtEveryCut("HTTP/1.1 304 Not Modified\r\ncontent-length: 9\r\n\r\n", 304, "", true);
  }

  @Test
  void theStatesAreNamedAndFollowTheResponse() throws Exception {
    ResponseParser p = new ResponseParser(100);
    List<ResponseParser.State> seen = new ArrayList<>();
    for (byte b : bytes("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")) {
      p.feed(new byte[] {b});
      if (seen.isEmpty() || seen.get(seen.size() - 1) != p.state()) {
        seen.add(p.state());
      }
    }
    assertThat(seen).containsExactly(ResponseParser.State.STATUS_LINE, ResponseParser.State.HEADERS,
        ResponseParser.State.CHUNK_SIZE, ResponseParser.State.CHUNK_DATA, ResponseParser.State.CHUNK_DATA_END,
        ResponseParser.State.CHUNK_SIZE, ResponseParser.State.TRAILERS, ResponseParser.State.DONE);
  }

  @Test
  void aBodyUntilCloseEndsWithTheConnection() throws Exception {
    ResponseParser p = new ResponseParser(100);
    assertThat(p.feed(bytes("HTTP/1.1 200 OK\r\n\r\nsome"))).isFalse();
    assertThat(p.state()).isEqualTo(ResponseParser.State.BODY_UNTIL_CLOSE);
    assertThat(p.endOfInput()).isTrue();
    assertThat(p.body()).isEqualTo(bytes("some"));
    assertThat(p.reusable()).isFalse();
  }

  @Test
  void aBodyOverTheCapCompletesAtTheCapAndIsNotReusable() throws Exception {
    ResponseParser p = new ResponseParser(4);
    assertThat(p.feed(bytes("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789"))).isTrue();
    assertThat(p.body()).isEqualTo(bytes("0123"));
    assertThat(p.truncated()).isTrue();
    assertThat(p.reusable()).isFalse();
  }

  @Test
  void bytesAfterTheResponseAreLeftForTheCaller() throws Exception {
    ResponseParser p = new ResponseParser(100);
    ByteBuffer in = ByteBuffer.wrap(bytes("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA"));
    assertThat(p.feed(in)).isTrue();
    assertThat(in.remaining()).isEqualTo(5);
  }

  @Test
  void aClosedConnectionBeforeTheEndIsAProtocolError() throws Exception {
    ResponseParser p = new ResponseParser(100);
    p.feed(bytes("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhel"));
    assertThatThrownBy(p::endOfInput).isInstanceOf(ProtocolException.class);
  }

  @Test
  void inconsistentOrMalformedFramingIsRefused() {
    for (String bad : List.of(
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: 2, 3\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: 0x10\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: 1234567890123456789\r\n\r\n",
        "HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n",
        "HTTP/1.1 204 No Content\r\ntransfer-encoding: chunked\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 600 Odd\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nx-a: b\rc\r\n\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n11111111111111111\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n8000000000000000\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokX\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + "1".repeat(2000))) {
      assertThatThrownBy(() -> new ResponseParser(100).feed(bytes(bad))).as(bad.replace("\r\n", "|"))
          .isInstanceOf(ProtocolException.class);
    }
  }

  @Test
  void theHeadIsLimitedButNotToSixteenKilobytes() throws Exception {
    ResponseParser ok = new ResponseParser(100);
    assertThat(ok.feed(bytes("HTTP/1.1 200 OK\r\nx-big: " + "a".repeat(100_000) + "\r\ncontent-length: 0\r\n\r\n")))
        .isTrue();
    assertThatThrownBy(() -> new ResponseParser(100).feed(bytes("HTTP/1.1 200 OK\r\nx-big: "
        + "a".repeat(ResponseParser.MAX_HEAD) + "\r\n\r\n"))).isInstanceOf(ProtocolException.class)
        .hasMessageContaining("head larger than");
  }

  @Test
  void resetMakesTheParserReadyForTheNextResponse() throws Exception {
    ResponseParser p = new ResponseParser(100);
    assertThat(p.feed(bytes("HTTP/1.1 404 Not Found\r\ncontent-length: 1\r\n\r\nx"))).isTrue();
    p.reset();
    assertThat(p.started()).isFalse();
    assertThat(p.feed(bytes("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))).isTrue();
    assertThat(p.status()).isEqualTo(200);
    assertThat(p.body()).isEqualTo(bytes("ok"));
    assertThat(p.headers()).containsOnlyKeys("content-length");
  }
}
