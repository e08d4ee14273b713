package dev.fanout.spring.receiver;

import dev.fanout.micrometer.ObservedReceiver;
import dev.fanout.receiver.InvalidationReceiver;
import io.micrometer.observation.ObservationRegistry;

/**
 * Continues the sender's trace on this replica (fanout-micrometer's {@link ObservedReceiver});
 * loaded only when fanout-micrometer is on the class path.
 */
final class ObservedReceivers {
  private ObservedReceivers() {}

  static ReceiverEndpoint.Call observed(InvalidationReceiver receiver, Object registry) {
    ObservedReceiver observed = ObservedReceiver.of(receiver, (ObservationRegistry) registry);
    return observed::handle;
  }
}
