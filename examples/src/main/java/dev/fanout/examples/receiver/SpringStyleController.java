package dev.fanout.examples.receiver;

import dev.fanout.Invalidation;
import dev.fanout.receiver.InvalidationReceiver;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How {@link InvalidationReceiver} sits in a Spring MVC controller or a servlet. This class has the
 * shape of both without depending on either; the annotations and types they would use are shown in
 * comments.
 *
 * <p>The one rule that matters in any framework: hand the receiver the <em>raw</em> body bytes.
 * Never let the framework bind the body to an object and re-serialise it: the signature covers the
 * exact bytes that were sent.
 */
// @RestController
public final class SpringStyleController {
  private final InvalidationReceiver receiver;

  /**
   * Creates the controller.
   *
   * @param secret the shared signing secret, e.g. {@code @Value("${fanout.secret}")}
   * @param cacheEviction evicts this replica's cache, e.g. Spring's {@code CacheManager}
   */
  public SpringStyleController(String secret, Consumer<Invalidation> cacheEviction) {
    this.receiver = InvalidationReceiver.builder()
        .secret(secret)
        .handler(cacheEviction)
        .build();
  }

  /**
   * The Spring MVC endpoint. With Spring on the class path this method would read:
   *
   * <pre>{@code
   * @PostMapping(path = "/api/revalidate")
   * public ResponseEntity<String> revalidate(@RequestHeader HttpHeaders headers,
   *                                          @RequestBody byte[] body) {
   *   InvalidationReceiver.Response r = receiver.handle("POST", headers, body);
   *   return ResponseEntity.status(r.status())
   *       .contentType(MediaType.APPLICATION_JSON)
   *       .body(r.body());
   * }
   * }</pre>
   *
   * <p>Spring's {@code HttpHeaders} is a {@code Map<String, List<String>>}. Set
   * {@code spring.servlet.multipart.max-request-size} or the server's own body limit as well, since
   * Spring reads {@code byte[]} bodies in full before the receiver sees them; or take the body as an
   * {@code InputStream} (see {@link #doPost}). Bound slow clients in the server too (Spring Boot:
   * {@code server.tomcat.connection-timeout}): a servlet reads the body on a request
   * thread, so clients that send slowly hold those threads. Without a framework, {@code
   * receiver.serve(address, path)} runs a server that slow clients cannot stall.
   *
   * @param headers the request headers
   * @param body the raw body
   * @return the status and JSON body to answer with
   */
  public InvalidationReceiver.Response revalidate(Map<String, List<String>> headers, byte[] body) {
    return receiver.handle("POST", headers, body);
  }

  /**
   * The servlet equivalent ({@code HttpServlet.doPost}); the receiver stops reading the stream at
   * its body limit:
   *
   * <pre>{@code
   * protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
   *   Map<String, List<String>> headers = new HashMap<>();
   *   for (String name : Collections.list(req.getHeaderNames())) {
   *     headers.put(name, Collections.list(req.getHeaders(name)));
   *   }
   *   InvalidationReceiver.Response r = receiver.handle(req.getMethod(), headers, req.getInputStream());
   *   resp.setStatus(r.status());
   *   resp.setContentType(InvalidationReceiver.Response.CONTENT_TYPE);
   *   resp.getWriter().write(r.body());
   * }
   * }</pre>
   *
   * @param method the request method
   * @param headers the request headers
   * @param body the request body stream
   * @return the status and JSON body to answer with (a read error is a 400)
   */
  public InvalidationReceiver.Response doPost(
      String method, Map<String, List<String>> headers, InputStream body) {
    return receiver.handle(method, headers, body);
  }
}
