package dev.fanout.fastly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.ErrorKind;
import dev.fanout.internal.HttpPurgeRequests;
import dev.fanout.internal.PurgeRequests;
import dev.fanout.internal.RetryAfter;
import dev.fanout.spi.PurgeResult;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link FastlyPurger#purge} call: how one Fastly purge request is sent and its answer read.
 * Concurrency, retries, stopping, cancellation and the folding of the outcomes into one {@link
 * PurgeResult} are {@link PurgeRequests}'; the bounded exchange is {@link HttpPurgeRequests}'.
 */
final class PurgeRun extends HttpPurgeRequests {
  private static final Logger log = LoggerFactory.getLogger(FastlyPurger.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_DETAIL_CHARS = 200;

  private final FastlyPurger purger;
  private final String invalidationId;
  private final List<PurgeOp> ops;

  PurgeRun(FastlyPurger purger, String invalidationId, List<PurgeOp> ops) {
    super(purger.name(), ops, purger.concurrency, purger.scheduler, purger.retry, purger.clock,
        purger.deadline, new Exchange(purger.client, purger.attemptTimeout,
            FastlyPurger.MAX_RESPONSE_BYTES));
    this.purger = purger;
    this.invalidationId = invalidationId;
    this.ops = ops;
  }

  @Override
  public CompletableFuture<PurgeResult> start() {
    log.debug("Fastly service {}: purging invalidation {} with {} request(s)", purger.serviceId,
        invalidationId, ops.size());
    return super.start();
  }

  @Override
  protected void attempt(int i, int n) {
    send(i, n);
  }

  @Override
  protected HttpRequest request(int i, int n) {
    PurgeOp op = ops.get(i);
    HttpRequest.Builder b = HttpRequest.newBuilder(op.uri())
        .POST(HttpRequest.BodyPublishers.noBody())
        .header(FastlyPurger.FASTLY_KEY, purger.token.reveal())
        .header("Accept", "application/json")
        .header("User-Agent", "fanout-fastly")
        // Covers connect-to-headers only (Java 17); the exchange bounds the whole of it.
        .timeout(purger.attemptTimeout);
    if (op.surrogateKeys() != null) {
      b.header(SurrogateKeys.HEADER, op.surrogateKeys());
    }
    if (op.soft()) {
      b.header(FastlyPurger.SOFT_PURGE, "1");
    }
    HttpRequest request = b.build();
    log.debug("Fastly service {}: {} attempt {}: POST {}", purger.serviceId, op.label(), n,
        op.uri().getRawPath());
    return request;
  }

  @Override
  protected void debug(int i, int n, String what) {
    log.debug("Fastly service {}: {} attempt {}: {}", purger.serviceId, ops.get(i).label(), n,
        what);
  }

  @Override
  protected void onResponse(int i, int n, HttpResponse<byte[]> response) {
    PurgeOp op = ops.get(i);
    int status = response.statusCode();
    log.debug("Fastly service {}: {} attempt {}: HTTP {}", purger.serviceId, op.label(), n, status);
    if (status >= 200 && status < 300) {
      succeed(i, purgeIds(op, response.body()));
      return;
    }
    String detail = "HTTP " + status + errorMessage(response.body());
    if (status == 401 || status == 403) {
      String message = "Fastly refused the API token for service '" + purger.serviceId + "' ("
          + detail + "); check that the token is valid and has the purge_select scope"
          + (op.kind() == PurgeOp.Kind.ALL ? " (purge_all for purge-all)" : "");
      if (stopAll(i, ErrorKind.UNAUTHORIZED, message)) {
        log.warn("{}; stopping the purge of invalidation {}", message, invalidationId);
      }
      return;
    }
    if (status == 429 || status >= 500) {
      Duration hint = waitHint(response, status == 429);
      retryOrFail(i, n, ErrorKind.ofStatus(status), detail, hint, null);
      return;
    }
    fail(i, ErrorKind.ofStatus(status), detail, null);
  }

  /**
   * The wait a 429 or 5xx asks for: the later of {@code Retry-After} and, for 429, Fastly's
   * rate-limit reset time (epoch seconds); null when neither is given or readable.
   */
  private Duration waitHint(HttpResponse<?> response, boolean throttled) {
    Optional<Duration> retryAfter =
        RetryAfter.parse(response.headers().firstValue("Retry-After").orElse(null), purger.clock);
    Optional<Duration> reset = throttled
        ? resetIn(response.headers().firstValue(FastlyPurger.RATE_LIMIT_RESET).orElse(null))
        : Optional.empty();
    if (retryAfter.isPresent() && reset.isPresent()) {
      return retryAfter.get().compareTo(reset.get()) >= 0 ? retryAfter.get() : reset.get();
    }
    return retryAfter.or(() -> reset).orElse(null);
  }

  private Optional<Duration> resetIn(String value) {
    if (value == null) {
      return Optional.empty();
    }
    String v = value.trim();
    if (v.isEmpty() || v.length() > 12 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return Optional.empty();
    }
    Duration d = Duration.between(purger.clock.instant(), Instant.ofEpochSecond(Long.parseLong(v)));
    return Optional.of(d.isNegative() ? Duration.ZERO : d);
  }

  @Override
  protected String scrub(String text) {
    return purger.token.scrub(text);
  }

  @Override
  protected String failureMessage(Failure main, String where) {
    return main.kind() == ErrorKind.UNAUTHORIZED
        ? main.detail()
        : "Fastly purge of invalidation " + invalidationId + " for service '" + purger.serviceId
            + "' failed: " + where + main.detail();
  }

  /**
   * Reads Fastly's purge ids: a batch key purge answers with a map of key to purge id, a URL purge
   * with {@code {"status":"ok","id":"..."}}, purge-all with no id. An answer that cannot be read
   * does not make a 2xx a failure: Fastly accepted the purge.
   */
  private List<String> purgeIds(PurgeOp op, byte[] body) {
    if (op.kind() == PurgeOp.Kind.ALL || body == null || body.length == 0) {
      return List.of();
    }
    try {
      JsonNode node = JSON.readTree(body);
      Set<String> out = new LinkedHashSet<>();
      if (op.kind() == PurgeOp.Kind.URL) {
        JsonNode id = node.path("id");
        if (id.isTextual()) {
          out.add(id.asText());
        }
      } else if (node.isObject()) {
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
          JsonNode id = it.next();
          if (id.isTextual()) {
            out.add(id.asText());
          }
        }
      }
      return List.copyOf(out);
    } catch (IOException e) {
      log.debug("Fastly service {}: {}: unreadable purge answer ({})", purger.serviceId,
          op.label(), e.getClass().getSimpleName());
      return List.of();
    }
  }

  /** Fastly errors are {@code {"msg": "...", "detail": "..."}}; keep a short, printable excerpt. */
  private String errorMessage(byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    String text;
    try {
      JsonNode node = JSON.readTree(body);
      String msg = node.path("msg").asText("");
      String detail = node.path("detail").asText("");
      text = detail.isEmpty() ? msg : msg.isEmpty() ? detail : msg + ": " + detail;
    } catch (IOException e) {
      text = new String(body, 0, Math.min(body.length, MAX_DETAIL_CHARS), StandardCharsets.UTF_8);
    }
    text = purger.token.scrub(text.strip());
    if (text.isEmpty()) {
      return "";
    }
    return " " + SurrogateKeys.printable(
        text.length() > MAX_DETAIL_CHARS ? text.substring(0, MAX_DETAIL_CHARS) : text);
  }
}
