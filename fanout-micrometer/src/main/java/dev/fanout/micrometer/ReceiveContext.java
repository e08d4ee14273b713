package dev.fanout.micrometer;

import dev.fanout.receiver.InvalidationReceiver;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.ReceiverContext;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What the {@code fanout.receive} observation knows: one request to a replica's receiver. It is a
 * {@link ReceiverContext} (kind {@link Kind#CONSUMER}) whose carrier is the request's headers, so a
 * propagating tracing handler continues the trace named by the {@code traceparent} header.
 *
 * @since 0.1
 */
public final class ReceiveContext extends ReceiverContext<Map<String, List<String>>> {
  private final String method;
  private volatile InvalidationReceiver.Response response;

  ReceiveContext(String method, Map<String, List<String>> headers) {
    super(ReceiveContext::header, Kind.CONSUMER);
    this.method = method;
    setCarrier(Objects.requireNonNull(headers, "headers"));
  }

  /**
   * Returns the first value of a header, matching its name case-insensitively (servlet
   * containers, Spring and the JDK server spell header names differently).
   */
  static String header(Map<String, List<String>> headers, String name) {
    if (headers == null || name == null) {
      return null;
    }
    List<String> values = headers.get(name);
    if (values == null) {
      String lower = name.toLowerCase(Locale.ROOT);
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey() != null && e.getKey().toLowerCase(Locale.ROOT).equals(lower)) {
          values = e.getValue();
          break;
        }
      }
    }
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /**
   * Returns the request's HTTP method.
   *
   * @return the method, as received
   */
  public String method() {
    return method;
  }

  /**
   * Returns the receiver's answer, once it is known.
   *
   * @return the answer, or {@code null} while the request is handled
   */
  public InvalidationReceiver.Response response() {
    return response;
  }

  void response(InvalidationReceiver.Response r) {
    this.response = r;
  }
}
