package dev.fanout.testing;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** How the API stand-ins of the tests answer a request with JSON. */
public final class JsonExchanges {
  private JsonExchanges() {}

  /**
   * Answers with a status, extra headers and a JSON body ({@code Content-Type: application/json}),
   * then closes the exchange; an empty body is sent with no content length.
   *
   * @param ex the exchange
   * @param status the status code
   * @param body the body, possibly empty
   * @param headerPairs header names and values, alternating
   * @return the status, for stand-ins that record it
   * @throws IOException if the client went away
   */
  public static int send(HttpExchange ex, int status, String body, String... headerPairs)
      throws IOException {
    for (int i = 0; i < headerPairs.length; i += 2) {
      ex.getResponseHeaders().add(headerPairs[i], headerPairs[i + 1]);
    }
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    }
    ex.close();
    return status;
  }

  /**
   * Sends a 200 with the headers and the start of a body, then stalls until {@code release} (the
   * stand-in's close) or 60 s, so that only the client's attempt timeout can end the exchange.
   *
   * @param ex the exchange
   * @param start the start of the body
   * @param release counted down when the stand-in closes
   * @throws IOException if the client went away
   */
  public static void stallBody(HttpExchange ex, String start, CountDownLatch release)
      throws IOException {
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    out.write(start.getBytes(StandardCharsets.UTF_8));
    out.flush();
    try {
      release.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ex.close();
  }
}
