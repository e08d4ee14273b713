package dev.fanout.http;

import dev.fanout.Endpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A listener on a loopback address whose answers are raw bytes a test writes itself, for responses
 * a well-behaved server would never send (bare LF line ends, a huge head, inconsistent framing) and
 * for connection-level behaviour (answering before the request body was read).
 */
final class RawPod implements AutoCloseable {

  /** Serves one accepted connection. */
  @FunctionalInterface
  interface Script {
    /**
     * Talks to one client.
     *
     * @param socket the connection
     * @param index the 0-based number of this connection at this pod
     * @throws Exception to drop the connection
     */
    void serve(Socket socket, int index) throws Exception;
  }

  private final ServerSocket listener;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();

  private RawPod(String ip, Script script) throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getByName(ip));
    Thread t = new Thread(() -> {
      while (!listener.isClosed()) {
        try {
          Socket s = listener.accept();
          sockets.add(s);
          int index = accepted.getAndIncrement();
          Thread worker = new Thread(() -> {
            try {
              script.serve(s, index);
            } catch (Exception e) {
              close(s);
            }
          }, "test-raw-pod-conn");
          worker.setDaemon(true);
          worker.start();
        } catch (IOException e) {
          // closed
        }
      }
    }, "test-raw-pod");
    t.setDaemon(true);
    t.start();
  }

  static RawPod start(String ip, Script script) throws IOException {
    return new RawPod(ip, script);
  }

  /** A script that reads one request and answers each with {@code response}, then holds the connection. */
  static Script answering(String response) {
    return (s, i) -> {
      InputStream in = s.getInputStream();
      while (readRequest(in) != null) {
        s.getOutputStream().write(response.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
      }
    };
  }

  Endpoint endpoint() {
    return Endpoint.of(listener.getInetAddress().getHostAddress(), listener.getLocalPort());
  }

  int accepted() {
    return accepted.get();
  }

  /**
   * Reads a request head and, if {@code withBody}, the body its {@code Content-Length} declares.
   *
   * @return the head, or null at the end of the stream
   */
  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int tail = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      tail = (tail << 8) | b;
      if (tail == 0x0d0a0d0a) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
    }
  }

  static long contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    return 0;
  }

  /** Reads one whole request (head and declared body); null at the end of the stream. */
  static String readRequest(InputStream in) throws IOException {
    String head = readHead(in);
    if (head != null) {
      in.readNBytes((int) contentLength(head));
    }
    return head;
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    sockets.forEach(RawPod::close);
  }
}
