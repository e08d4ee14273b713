package dev.fanout.bench.soak;

import dev.fanout.Endpoint;
import dev.fanout.receiver.InvalidationReceiver;
import dev.fanout.receiver.ReceiverServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The fleet under test: one real {@link InvalidationReceiver} per loopback address (127.0.0.2,
 * 127.0.0.3, ...), each served by its own {@link ReceiverServer} with the library's defaults and
 * verifying signatures with the shared secret. The misbehaving ones are reached only through a
 * {@link FaultyFront} on the same address; the others directly.
 */
final class Receivers implements AutoCloseable {
  static final String PATH = "/api/revalidate";

  private final List<InvalidationReceiver> receivers = new ArrayList<>();
  private final List<ReceiverServer> servers = new ArrayList<>();
  private final List<FaultyFront> fronts = new ArrayList<>();
  private final List<Endpoint> endpoints = new ArrayList<>();
  private final boolean[] faulty;

  private Receivers(int n) {
    this.faulty = new boolean[n];
  }

  /**
   * Starts the fleet.
   *
   * @param config how many receivers, how many misbehave, how often, from which seed
   * @param secret the signing secret
   * @param ledger records what each receiver applied
   * @return the running fleet
   * @throws IOException if an address cannot be bound
   */
  static Receivers start(SoakConfig config, String secret, Ledger ledger) throws IOException {
    Receivers fleet = new Receivers(config.receivers());
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < config.receivers(); i++) {
      order.add(i);
    }
    Random random = new Random(config.seed());
    Collections.shuffle(order, random);
    for (int i = 0; i < config.faulty(); i++) {
      fleet.faulty[order.get(i)] = true;
    }
    try {
      for (int i = 0; i < config.receivers(); i++) {
        fleet.startOne(i, config, secret, ledger);
      }
    } catch (IOException | RuntimeException e) {
      fleet.close();
      throw e;
    }
    return fleet;
  }

  private void startOne(int i, SoakConfig config, String secret, Ledger ledger) throws IOException {
    String ip = "127.0.0." + (2 + i);
    InvalidationReceiver receiver = InvalidationReceiver.builder()
        .secret(secret)
        .replayCacheSize(config.replayCache())
        .handler(inv -> ledger.apply(i, inv))
        .build();
    receivers.add(receiver);
    ReceiverServer server = receiver.serve(new InetSocketAddress(ip, 0), PATH);
    servers.add(server);
    int port = server.address().getPort();
    if (faulty[i]) {
      FaultyFront front = FaultyFront.start(ip, server.address(), config.faultProbability(), config.seed() * 31 + i);
      fronts.add(front);
      port = front.port();
    }
    endpoints.add(Endpoint.of(ip, port).withName(name(i)));
  }

  static String name(int i) {
    return String.format(java.util.Locale.ROOT, "r%02d", i);
  }

  List<Endpoint> endpoints() {
    return List.copyOf(endpoints);
  }

  boolean[] faulty() {
    return faulty.clone();
  }

  /** Receiver index by endpoint name. */
  Map<String, Integer> byName() {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < endpoints.size(); i++) {
      m.put(endpoints.get(i).name(), i);
    }
    return m;
  }

  /** Requests per fault kind, summed over every front. */
  Map<FaultyFront.Fault, Long> faults() {
    Map<FaultyFront.Fault, Long> sum = new EnumMap<>(FaultyFront.Fault.class);
    for (FaultyFront f : fronts) {
      f.counts().forEach((k, n) -> sum.merge(k, n, Long::sum));
    }
    return sum;
  }

  @Override
  public void close() {
    fronts.forEach(FaultyFront::close);
    servers.forEach(ReceiverServer::close);
    receivers.forEach(InvalidationReceiver::close);
  }
}
