package dev.fanout.receiver;

import dev.fanout.FanoutListener;
import dev.fanout.RetryPolicy;
import dev.fanout.spi.Discovery;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * What {@link InvalidationReceiver.Relay} configures, as one value: each option method of the
 * public type returns a relay around a {@link #with(Consumer)} copy of this.
 *
 * @param peers discovers the replicas of this tier
 * @param self this replica's own address, excluded from the peers; null until set
 * @param path the path requested on each peer
 * @param port the port on each peer, or 0 for the discovered one
 * @param https whether peers are reached over HTTPS
 * @param deadline the overall deadline of one relay
 * @param attemptTimeout the timeout of one attempt to one peer
 * @param retry the retry policy per peer
 * @param minPeers the fewest peers discovery must find
 * @param listener where the relay's {@code Invalidator} reports
 */
record RelaySettings(Discovery peers, String self, String path, int port, boolean https,
    Duration deadline, Duration attemptTimeout, RetryPolicy retry, int minPeers,
    FanoutListener listener) {

  /** The defaults {@link InvalidationReceiver.Relay#to(Discovery)} documents. */
  static RelaySettings defaults(Discovery peers) {
    return new RelaySettings(peers, null, "/api/revalidate", 0, false, Duration.ofSeconds(4),
        Duration.ofSeconds(1), new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1)),
        0, FanoutListener.NONE);
  }

  /**
   * Returns a copy with the changes {@code change} makes to a draft of this value, e.g. {@code
   * settings.with(d -> d.path = "/fanout")}: one place lists the components, however many options
   * there are.
   */
  RelaySettings with(Consumer<Draft> change) {
    Draft d = new Draft(this);
    change.accept(d);
    return new RelaySettings(d.peers, d.self, d.path, d.port, d.https, d.deadline,
        d.attemptTimeout, d.retry, d.minPeers, d.listener);
  }

  /** The mutable form of a {@link RelaySettings} while {@link #with(Consumer)} changes it. */
  static final class Draft {
    Discovery peers;
    String self;
    String path;
    int port;
    boolean https;
    Duration deadline;
    Duration attemptTimeout;
    RetryPolicy retry;
    int minPeers;
    FanoutListener listener;

    private Draft(RelaySettings s) {
      peers = s.peers;
      self = s.self;
      path = s.path;
      port = s.port;
      https = s.https;
      deadline = s.deadline;
      attemptTimeout = s.attemptTimeout;
      retry = s.retry;
      minPeers = s.minPeers;
      listener = s.listener;
    }
  }

  /** The description {@link InvalidationReceiver.Relay#toString()} returns. */
  String describe() {
    return "Relay[peers " + peers + ", self " + self + ", POST " + path
        + (port > 0 ? " port " + port : "") + (https ? " https" : "") + ", deadline " + deadline
        + "]";
  }
}
