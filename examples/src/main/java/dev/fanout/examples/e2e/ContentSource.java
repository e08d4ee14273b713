package dev.fanout.examples.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The content source the site reads entities from (a CMS or the backend's own API): {@code GET
 * /posts/<id>} answers {@code {"id":"1","title":"...","body":"...","version":3}}, 404 for an
 * unknown post; {@code GET /posts} lists the ids (the site prerenders them at build time). {@link
 * #update} is the backend's write: it bumps the post's version.
 */
final class ContentSource implements AutoCloseable {
  /** The posts the stack starts with, at version 1: the build prerenders them. */
  static final List<String> SEEDED = java.util.stream.IntStream.rangeClosed(1, 11)
      .mapToObj(Integer::toString).toList();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern POST = Pattern.compile("/posts/([A-Za-z0-9_-]{1,64})");

  private final StandInServer server;
  private final Map<String, AtomicLong> versions = new ConcurrentHashMap<>();
  private final AtomicInteger reads = new AtomicInteger();

  ContentSource(String ip, int port) throws IOException {
    server = new StandInServer(ip, port, "content-source", "/posts", this::handle);
  }

  /**
   * Serves the seeded posts at version 1 until stopped: the content source of {@code next build}
   * in {@code examples/e2e/run.sh}.
   *
   * @param args the address and port to listen on
   * @throws IOException if it cannot listen
   */
  public static void main(String[] args) throws IOException {
    ContentSource source = new ContentSource(args[0], Integer.parseInt(args[1]));
    seed(source);
    System.out.println("content source on " + args[0] + ":" + args[1]);
    try {
      Thread.currentThread().join();   // until the build is done and run.sh stops it
    } catch (InterruptedException e) {
      source.close();
    }
  }

  /** Puts every seeded post at version 1. */
  static void seed(ContentSource source) {
    SEEDED.forEach(id -> source.put(id, 1));
  }

  /** Creates or replaces a post at the given version. */
  void put(String id, long version) {
    versions.computeIfAbsent(id, k -> new AtomicLong()).set(version);
  }

  /** The backend's write: the post changes, and its version goes up by one. */
  long update(String id) {
    return versions.computeIfAbsent(id, k -> new AtomicLong()).incrementAndGet();
  }

  long version(String id) {
    AtomicLong v = versions.get(id);
    return v == null ? 0 : v.get();
  }

  /** How many times a replica fetched a post (each render after an invalidation fetches once). */
  int reads() {
    return reads.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    if (ex.getRequestMethod().equals("GET") && ex.getRequestURI().getRawPath().equals("/posts")) {
      try (ex) {
        byte[] body = JSON.writeValueAsBytes(new java.util.TreeSet<>(versions.keySet()));
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
      }
      return;
    }
    try (ex) {
      Matcher m = POST.matcher(ex.getRequestURI().getRawPath());
      AtomicLong v = m.matches() ? versions.get(m.group(1)) : null;
      if (!ex.getRequestMethod().equals("GET") || v == null) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      reads.incrementAndGet();
      long version = v.get();
      ObjectNode post = JSON.createObjectNode()
          .put("id", m.group(1))
          .put("title", "Post " + m.group(1))
          .put("body", "This is version " + version + " of post " + m.group(1) + ".")
          .put("version", version);
      StandInServer.send(ex, 200, "application/json", JSON.writeValueAsBytes(post));
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
