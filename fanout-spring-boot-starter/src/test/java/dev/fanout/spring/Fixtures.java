package dev.fanout.spring;

import dev.fanout.spring.actuate.FanoutActuatorAutoConfiguration;
import dev.fanout.spring.receiver.FanoutReceiverAutoConfiguration;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.springframework.boot.autoconfigure.AutoConfigurations;

/** What the starter's tests share. */
public final class Fixtures {
  private Fixtures() {}

  /** A Standard Webhooks secret (32 bytes), as senders and receivers would share it. */
  public static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(
      "fanout-starter-test-secret-32by!".getBytes(StandardCharsets.US_ASCII));

  /** Another valid secret, which receivers configured with {@link #SECRET} refuse. */
  public static final String OTHER_SECRET = "whsec_" + Base64.getEncoder().encodeToString(
      "another-secret-of-thirty-two-by!".getBytes(StandardCharsets.US_ASCII));

  /** The secret's base64 part, which must never appear in a message or a description. */
  public static final String SECRET_BODY = SECRET.substring("whsec_".length());

  /** Every auto-configuration of the starter, as Spring Boot would list them. */
  public static AutoConfigurations starter() {
    return AutoConfigurations.of(FanoutJournalAutoConfiguration.class,
        FanoutObservabilityAutoConfiguration.class, FanoutAutoConfiguration.class,
        FanoutTransactionAutoConfiguration.class, FanoutActuatorAutoConfiguration.class,
        FanoutReceiverAutoConfiguration.class);
  }
}
