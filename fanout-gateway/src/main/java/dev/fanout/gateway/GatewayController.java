package dev.fanout.gateway;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.fanout.Invalidation;
import dev.fanout.InvalidationStatus;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The gateway's HTTP interface: CMS webhooks in, invalidation status out.
 *
 * <p>Every webhook goes through the same steps, and stops at the first that fails: the body is
 * read up to {@code fanout.gateway.max-body-bytes} (413); the request is authenticated on its raw
 * bytes (401); a signed request's {@code webhook-id} must not have been accepted before (409, with
 * the invalidation it led to); the body must be {@code application/json} (415) holding one JSON
 * value (400); the source reads it (400 malformed, 422 unknown model or event, or a template or a
 * path the wire grammar refuses); the {@link InvalidationSink} accepts it (202), recognises it as a
 * duplicate (200), or cannot take it now (503 with {@code Retry-After}, so the CMS retries).
 * Nothing is sent for any 4xx or 5xx.
 */
@RestController
public final class GatewayController {
  private static final Logger log = LoggerFactory.getLogger(GatewayController.class);
  private static final String RETRY_AFTER_SECONDS = "5";

  private final Map<String, WebhookSource.Authenticated> sources;
  private final List<Authenticator> statusReaders;
  private final InvalidationSink sink;
  private final int maxBodyBytes;
  private final ReplayCache replays;
  private final ObjectMapper json = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  /**
   * Creates the controller.
   *
   * @param sources the configured sources by endpoint name ({@code wordpress}, {@code strapi},
   *     {@code hooks/<name>})
   * @param sink where invalidations go
   * @param maxBodyBytes the largest body accepted
   * @param replayCacheSize how many delivery ids are remembered
   */
  GatewayController(Map<String, WebhookSource.Authenticated> sources, InvalidationSink sink,
      int maxBodyBytes, int replayCacheSize) {
    this.sources = Map.copyOf(sources);
    this.statusReaders = sources.values().stream().map(WebhookSource.Authenticated::authenticator).toList();
    this.sink = Objects.requireNonNull(sink, "sink");
    this.maxBodyBytes = maxBodyBytes;
    this.replays = new ReplayCache(replayCacheSize);
  }

  /**
   * The WordPress plugin's webhooks.
   *
   * @param request the request
   * @return the answer
   * @throws IOException if the body cannot be read
   */
  @PostMapping("/v1/webhooks/wordpress")
  public ResponseEntity<Map<String, Object>> wordpress(HttpServletRequest request) throws IOException {
    return receive("wordpress", request);
  }

  /**
   * Strapi's webhooks.
   *
   * @param request the request
   * @return the answer
   * @throws IOException if the body cannot be read
   */
  @PostMapping("/v1/webhooks/strapi")
  public ResponseEntity<Map<String, Object>> strapi(HttpServletRequest request) throws IOException {
    return receive("strapi", request);
  }

  /**
   * A generic webhook configured under {@code fanout.gateway.hooks.<name>}.
   *
   * @param name the hook's name
   * @param request the request
   * @return the answer
   * @throws IOException if the body cannot be read
   */
  @PostMapping("/v1/webhooks/hooks/{name}")
  public ResponseEntity<Map<String, Object>> hook(@PathVariable("name") String name,
      HttpServletRequest request) throws IOException {
    return receive("hooks/" + name, request);
  }

  /**
   * Where an invalidation stands, for a CMS to show its editors: {@code state} (PENDING, IN_FLIGHT,
   * DELIVERED, FAILED, SUPERSEDED), {@code live} (delivered everywhere), times, and a summary
   * without hosts. Authenticated as any configured source's webhooks are (a signed request with an
   * empty body, or the header secret); not checked for replays, since reading changes nothing.
   *
   * @param id the invalidation id a webhook's answer gave
   * @param request the request
   * @return the status, or 404
   */
  @GetMapping("/v1/invalidations/{id}")
  public ResponseEntity<Map<String, Object>> status(@PathVariable("id") String id,
      HttpServletRequest request) {
    InboundRequest inbound = new InboundRequest(headers(request), new byte[0]);
    authenticateAny(inbound);
    return sink.status(id)
        .map(s -> ResponseEntity.ok(view(s)))
        .orElseGet(() -> answer(404, Map.of("error", "unknown invalidation id")));
  }

  private void authenticateAny(InboundRequest inbound) {
    WebhookRejected last = WebhookRejected.unauthorized("no webhook source is configured");
    for (Authenticator a : statusReaders) {
      try {
        a.authenticate(inbound);
        return;
      } catch (WebhookRejected e) {
        last = e;
      }
    }
    throw last;
  }

  private static Map<String, Object> view(InvalidationStatus s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.id());
    m.put("state", s.state().name());
    m.put("live", s.state() == InvalidationStatus.State.DELIVERED);
    m.put("acceptedAt", s.acceptedAt().toString());
    m.put("updatedAt", s.updatedAt().toString());
    m.put("attempts", s.attempts());
    m.put("summary", s.summary());
    return m;
  }

  private ResponseEntity<Map<String, Object>> receive(String name, HttpServletRequest request)
      throws IOException {
    WebhookSource.Authenticated source = sources.get(name);
    if (source == null) {
      return answer(404, Map.of("error", "no webhook endpoint '" + name + "' is configured"));
    }
    InboundRequest inbound = new InboundRequest(headers(request), body(request));
    String deliveryId = source.authenticator().authenticate(inbound);
    String replayKey = deliveryId == null ? null : name + " " + deliveryId;
    if (replayKey != null) {
      String earlier = replays.find(replayKey);
      if (earlier != null) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", "replayed webhook-id: this delivery was accepted already");
        m.put("id", earlier);
        return answer(409, m);
      }
    }
    checkContentType(request.getContentType());
    JsonNode body = parse(inbound.body());
    Change change;
    try {
      change = source.source().read(body);
    } catch (WebhookIgnored e) {
      if (replayKey != null) {
        replays.remember(replayKey, null);
      }
      return answer(200, Map.of("result", "ignored", "reason", e.getMessage()));
    }
    Invalidation invalidation = change.toInvalidation();
    InvalidationSink.Accepted accepted = sink.accept(invalidation);
    if (replayKey != null) {
      replays.remember(replayKey, accepted.id());
    }
    log.info("{} {} {} {}: invalidation {} {} ({} paths, {} tags)", name, change.event(),
        change.model(), change.entityId(), accepted.id(),
        accepted.duplicate() ? "duplicate, nothing sent" : "accepted",
        invalidation.paths().size(), invalidation.tags().size());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", accepted.id());
    m.put("result", accepted.duplicate() ? "duplicate" : "accepted");
    m.put("durable", sink.durable());
    m.put("status", "/v1/invalidations/" + accepted.id());
    m.put("paths", invalidation.paths());
    m.put("tags", invalidation.tags());
    return answer(accepted.duplicate() ? 200 : 202, m);
  }

  private byte[] body(HttpServletRequest request) throws IOException {
    long declared = request.getContentLengthLong();
    if (declared > maxBodyBytes) {
      throw new WebhookRejected(413, "body larger than " + maxBodyBytes + " bytes");
    }
    try (InputStream in = request.getInputStream()) {
      byte[] bytes = in.readNBytes(maxBodyBytes + 1);
      if (bytes.length > maxBodyBytes) {
        throw new WebhookRejected(413, "body larger than " + maxBodyBytes + " bytes");
      }
      return bytes;
    }
  }

  private static void checkContentType(String contentType) {
    MediaType type;
    try {
      type = contentType == null ? null : MediaType.parseMediaType(contentType);
    } catch (InvalidMediaTypeException e) {
      type = null;
    }
    if (type == null || !MediaType.APPLICATION_JSON.equalsTypeAndSubtype(type)) {
      throw new WebhookRejected(415, "Content-Type must be application/json");
    }
  }

  private JsonNode parse(byte[] bytes) {
    try {
      JsonNode node = json.readTree(bytes);
      if (node == null || !node.isObject()) {
        throw WebhookRejected.malformed("the body is not a JSON object");
      }
      return node;
    } catch (JacksonException e) {
      throw WebhookRejected.malformed("the body is not valid JSON");
    } catch (IOException e) {
      throw WebhookRejected.malformed("the body could not be read");
    }
  }

  private static Map<String, List<String>> headers(HttpServletRequest request) {
    Map<String, List<String>> h = new LinkedHashMap<>();
    for (String n : Collections.list(request.getHeaderNames())) {
      h.put(n.toLowerCase(Locale.ROOT), new ArrayList<>(Collections.list(request.getHeaders(n))));
    }
    return h;
  }

  private static ResponseEntity<Map<String, Object>> answer(int status, Map<String, Object> body) {
    return ResponseEntity.status(status).body(body);
  }

  /**
   * Answers a refused request with its status and reason.
   *
   * @param e the refusal
   * @return the answer
   */
  @ExceptionHandler(WebhookRejected.class)
  ResponseEntity<Map<String, Object>> rejected(WebhookRejected e) {
    log.debug("refused: {} {}", e.status(), e.getMessage());
    return answer(e.status(), Map.of("error", e.getMessage()));
  }

  /**
   * Answers 503 with {@code Retry-After} when the journal or the invalidator cannot take the
   * invalidation now.
   *
   * @param e why
   * @return the answer
   */
  @ExceptionHandler(InvalidationSink.Unavailable.class)
  ResponseEntity<Map<String, Object>> unavailable(InvalidationSink.Unavailable e) {
    log.warn("503: {}{}", e.getMessage(), e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")");
    return ResponseEntity.status(503).header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
        .body(Map.of("error", e.getMessage() + "; retry later"));
  }
}
