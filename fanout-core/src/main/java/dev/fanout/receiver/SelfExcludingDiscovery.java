package dev.fanout.receiver;

import dev.fanout.Endpoint;
import dev.fanout.spi.Discovery;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/** A relay's peers: what discovery finds, minus this replica's own address (any port). */
final class SelfExcludingDiscovery implements Discovery {
  private final Discovery peers;
  private final String self;

  SelfExcludingDiscovery(Discovery peers, String self) {
    this.peers = peers;
    this.self = self;
  }

  @Override
  public CompletionStage<List<Endpoint>> discover() {
    return without(false);
  }

  /** The relay's re-check must not be answered from the peers' discovery cache either. */
  @Override
  public CompletionStage<List<Endpoint>> discoverFresh() {
    return without(true);
  }

  private CompletionStage<List<Endpoint>> without(boolean fresh) {
    CompletionStage<List<Endpoint>> found;
    try {
      found = fresh ? peers.discoverFresh() : peers.discover();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return found.thenApply(list -> list.stream()
        .filter(e -> !e.address().equals(self))
        .collect(Collectors.toList()));
  }

  @Override
  public String toString() {
    return peers + " without " + self;
  }
}
