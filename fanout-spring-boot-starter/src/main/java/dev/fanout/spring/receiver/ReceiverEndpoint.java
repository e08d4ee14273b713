package dev.fanout.spring.receiver;

import dev.fanout.receiver.InvalidationReceiver;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * Serves {@code fanout.receiver.path} in Spring MVC: hands the method, the headers and the raw body
 * bytes, never a re-serialised form, to the {@link InvalidationReceiver}, and answers with exactly
 * its status and JSON body. Runs on the servlet container's request thread and blocks until the
 * handler finished, since the answer must say whether this replica is fresh.
 */
final class ReceiverEndpoint {
  /** One way to call the receiver with a body in memory: plain, or inside an observation. */
  @FunctionalInterface
  interface Call {
    InvalidationReceiver.Response handle(String method, Map<String, List<String>> headers, byte[] body);
  }

  private final InvalidationReceiver receiver;
  private final Call call;
  private final int maxBodyBytes;

  ReceiverEndpoint(InvalidationReceiver receiver, Call call, int maxBodyBytes) {
    this.receiver = receiver;
    this.call = call;
    this.maxBodyBytes = maxBodyBytes;
  }

  ServerResponse handle(ServerRequest request) throws IOException {
    HttpServletRequest servlet = request.servletRequest();
    String method = servlet.getMethod();
    Map<String, List<String>> headers = headers(servlet);
    InputStream in = servlet.getInputStream();
    InvalidationReceiver.Response r;
    if (!"POST".equals(method) || servlet.getContentLengthLong() > maxBodyBytes) {
      // The receiver refuses these before reading a byte; let it say so in its own words.
      r = receiver.handle(method, headers, in);
    } else {
      byte[] head = in.readNBytes(maxBodyBytes + 1);
      if (head.length > maxBodyBytes) {
        // Larger than this endpoint reads up front: the receiver reads on to its own limit.
        r = receiver.handle(method, headers, new SequenceInputStream(new ByteArrayInputStream(head), in));
      } else {
        r = call.handle(method, headers, head);
      }
    }
    ServerResponse.BodyBuilder answer = ServerResponse.status(r.status())
        .contentType(MediaType.APPLICATION_JSON)
        .header("Cache-Control", "no-store");
    if (r.status() == 405) {
      answer.header("Allow", "POST");
    }
    if (r.status() == 413 || r.status() == 400) {
      // The rest of the body may be unread; do not reuse the connection.
      answer.header("Connection", "close");
    }
    return answer.body(r.body());
  }

  private static Map<String, List<String>> headers(HttpServletRequest servlet) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : Collections.list(servlet.getHeaderNames())) {
      headers.put(name, new ArrayList<>(Collections.list(servlet.getHeaders(name))));
    }
    return headers;
  }
}
