package dev.fanout.http;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Tests for {@link NioTransport}'s failure paths that the notifier contract does not reach. */
class NioTransportTest {

  @Test
  void aRuntimeErrorWhileConnectingEndsTheExchangeInsteadOfLeavingItOpen() {
    NioTransport nio = new NioTransport(Duration.ofSeconds(2));
    try {
      // connect() throws an unchecked UnresolvedAddressException for an unresolved address.
      CompletableFuture<NioTransport.Response> f =
          nio.send(InetSocketAddress.createUnresolved("pod.invalid", 80), new byte[0], 1024);

      assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(UnresolvedAddressException.class);
    } finally {
      nio.close();
    }
  }

  @Test
  void aClosedTransportRefusesNewExchanges() {
    NioTransport nio = new NioTransport(Duration.ofSeconds(2));
    nio.close();

    assertThatThrownBy(() -> nio.send(new InetSocketAddress("127.0.0.1", 9), new byte[0], 1024))
        .isInstanceOf(IllegalStateException.class);
  }
}
