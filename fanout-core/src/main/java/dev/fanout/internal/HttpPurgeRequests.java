package dev.fanout.internal;

import dev.fanout.ErrorKind;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@link PurgeRequests} whose requests are calls to a CDN's HTTP API: sends one attempt with a
 * bound on the whole exchange, body included (on Java 17 {@code HttpRequest.timeout} does not cover
 * a stalled body), reads at most a capped body, and hands the answer or the failure to the purger.
 * A purger says how a request is built ({@link #request}) and an answer read ({@link
 * #onResponse}). Part of the kernel; not part of the public API.
 */
public abstract class HttpPurgeRequests extends PurgeRequests {
  /**
   * How a purger's API calls are made.
   *
   * @param client the HTTP client
   * @param attemptTimeout the bound on one attempt, from sending it to having read its whole body
   * @param maxResponseBytes the largest response body read; the rest is dropped
   */
  public record Exchange(HttpClient client, Duration attemptTimeout, int maxResponseBytes) {}

  private final Exchange exchange;
  private final ScheduledExecutorService scheduler;

  /**
   * Creates a purge of the given requests; see {@link PurgeRequests}.
   *
   * @param name the purger's name, for reports
   * @param requests the requests, in the order they are sent
   * @param concurrency how many may be in progress at once, retries included, {@code >= 1}
   * @param scheduler runs retries, waits and attempt timeouts
   * @param retry when a failed request is tried again
   * @param clock the clock of the deadline
   * @param deadline no retry starts later than this after now
   * @param exchange how each attempt is sent
   */
  protected HttpPurgeRequests(String name, List<? extends Request> requests, int concurrency,
      ScheduledExecutorService scheduler, Retry retry, Clock clock, Duration deadline,
      Exchange exchange) {
    super(name, requests, concurrency, scheduler, retry, clock, deadline);
    this.exchange = exchange;
    this.scheduler = scheduler;
  }

  /**
   * Builds attempt {@code n} of request {@code i}. Runs on the thread that sends it.
   *
   * @param i the request
   * @param n the attempt, from 1
   * @return the HTTP request
   */
  protected abstract HttpRequest request(int i, int n);

  /**
   * Reads the answer to attempt {@code n} of request {@code i}; it must end in exactly one of
   * {@link #succeed}, {@link #fail}, {@link #retryOrFail} or {@link #stopAll}.
   *
   * @param i the request
   * @param n the attempt, from 1
   * @param response the answer, its body capped
   */
  protected abstract void onResponse(int i, int n, HttpResponse<byte[]> response);

  /**
   * Logs, at debug level in the purger's own words, what became of attempt {@code n} of request
   * {@code i} when it got no answer.
   *
   * @param i the request
   * @param n the attempt, from 1
   * @param what the failure, described and scrubbed
   */
  protected abstract void debug(int i, int n, String what);

  /**
   * Called once for every {@link #send} when it is fully handled (answer read, failure handled, or
   * the request refused before it went out). By default nothing.
   */
  protected void settled() {}

  /**
   * Sends attempt {@code n} of request {@code i}, bounded by the attempt timeout on the scheduler,
   * and hands its outcome to {@link #onResponse} or {@link #onError}.
   *
   * @param i the request
   * @param n the attempt, from 1
   */
  protected final void send(int i, int n) {
    CompletableFuture<HttpResponse<byte[]>> sent;
    try {
      HttpRequest request = request(i, n);
      CompletableFuture<HttpResponse<byte[]>> http = track(exchange.client().sendAsync(
          request, CappedBody.handler(exchange.maxResponseBytes())));
      sent = Timeouts.within(http, exchange.attemptTimeout(), scheduler,
          () -> new HttpTimeoutException(
              "no complete response within " + exchange.attemptTimeout().toMillis() + " ms"));
    } catch (RuntimeException e) {
      settled();
      // sendAsync rejects some requests synchronously; that is a bug here, never worth a retry.
      fail(i, ErrorKind.INTERNAL, "request could not be sent: " + describe(e), e);
      return;
    }
    sent.whenComplete((response, error) -> {
      try {
        if (error != null) {
          Throwable cause = Futures.unwrap(error);
          debug(i, n, describe(cause));
          onError(i, n, cause);
        } else {
          onResponse(i, n, response);
        }
      } catch (RuntimeException e) {
        fail(i, ErrorKind.INTERNAL, "unexpected failure: " + describe(e), e);
      } finally {
        settled();
      }
    });
  }
}
