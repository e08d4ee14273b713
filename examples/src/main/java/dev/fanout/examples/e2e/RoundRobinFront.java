package dev.fanout.examples.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A layer-4 load balancer in front of the replicas, as a Kubernetes Service or a cloud load
 * balancer is: each new connection goes to the next ready replica in turn (readiness as a {@link
 * ReadinessProber} last saw it). A revalidation request sent to it reaches exactly one replica.
 */
final class RoundRobinFront implements AutoCloseable {
  /** Most backends, the three replicas and the ones that join. */
  static final int MAX_BACKENDS = 8;

  private final ServerSocket server;
  private final List<InetSocketAddress> backends = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.Set<InetSocketAddress> notReady = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicIntegerArray connections = new AtomicIntegerArray(MAX_BACKENDS);
  private final ExecutorService pipes = Executors.newCachedThreadPool(Stack.daemon("front-pipe"));
  private volatile boolean closed;

  RoundRobinFront(String ip, int port, List<InetSocketAddress> backends) throws IOException {
    this.backends.addAll(backends);
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getByName(ip), port), 64);
    Thread accept = Stack.daemon("front-accept").newThread(this::acceptLoop);
    accept.start();
  }

  /** Connections handed to each backend so far, in the order given (joined ones last). */
  int connections(int backend) {
    return connections.get(backend);
  }

  /** Routes to one more backend once it is ready; returns its index for {@link #connections}. */
  int add(InetSocketAddress backend) {
    notReady.add(backend);
    backends.add(backend);
    return backends.size() - 1;
  }

  List<InetSocketAddress> backends() {
    return List.copyOf(backends);
  }

  /** Readiness as last probed: a backend that is not ready gets no new connection. */
  void ready(InetSocketAddress backend, boolean ready) {
    if (ready) {
      notReady.remove(backend);
    } else {
      notReady.add(backend);
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      int i = pick();
      if (i < 0) {
        // No ready endpoint: the connection is refused, as by a Service without endpoints.
        try {
          client.close();
        } catch (IOException ignored) {
          // closing
        }
        continue;
      }
      connections.incrementAndGet(i);
      InetSocketAddress backend = backends.get(i);
      pipes.execute(() -> relay(client, backend));
    }
  }

  /** The next ready backend in turn, or -1. */
  private int pick() {
    int n = backends.size();
    for (int k = 0; k < n; k++) {
      int i = Math.floorMod(next.getAndIncrement(), n);
      if (!notReady.contains(backends.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private void relay(Socket client, InetSocketAddress backend) {
    try (client; Socket upstream = new Socket()) {
      upstream.connect(backend, 2_000);
      Future<?> back = pipes.submit(() -> copy(upstream, client));
      copy(client, upstream);
      // Keep both sockets open until the answer has been relayed too.
      back.get(60, TimeUnit.SECONDS);
    } catch (IOException | ExecutionException | TimeoutException ignored) {
      // The client sees the connection close, as with a real load balancer.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void copy(Socket from, Socket to) {
    byte[] buf = new byte[16 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
      to.shutdownOutput();
    } catch (IOException ignored) {
      // One side closed; the other direction ends on its own.
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    pipes.shutdownNow();
  }
}
