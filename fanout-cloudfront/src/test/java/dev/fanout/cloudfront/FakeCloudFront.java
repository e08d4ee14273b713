package dev.fanout.cloudfront;

import com.sun.net.httpserver.HttpExchange;
import dev.fanout.testing.LoopbackHttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * A stand-in for CloudFront's REST-XML invalidation API on 127.0.0.1: parses each
 * InvalidationBatch, records every call, keeps CallerReference idempotency and the 3,000 / 15
 * in-flight limits the way CloudFront does, and can be told to answer with an error or to accept a
 * request and then never answer. Only loopback; thread-safe.
 */
final class FakeCloudFront implements AutoCloseable {

  static final String NS = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

  /** What the next POST (or GET) gets instead of the normal behaviour. */
  enum Answer {
    /** The normal behaviour (create, or return the existing invalidation). */
    ACCEPT(0, "", ""),
    TOO_MANY(
        400,
        "TooManyInvalidationsInProgress",
        "Processing your request will cause you to exceed the maximum number of in-progress"
            + " invalidations."),
    THROTTLING(400, "Throttling", "Rate exceeded"),
    ACCESS_DENIED(
        403,
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform:"
            + " cloudfront:CreateInvalidation"),
    INVALID_ARGUMENT(
        400, "InvalidArgument", "Your request contains one or more invalid invalidation paths."),
    ALREADY_EXISTS(
        400, "InvalidationBatchAlreadyExists", "Invalidation batch specified already exists."),
    UNAVAILABLE(
        503, "ServiceUnavailable", "CloudFront encountered an internal error. Please try again."),
    /** Creates the invalidation, then never answers (until the server closes). */
    STALL_AFTER_ACCEPT(0, "", "");

    final int status;
    final String code;
    final String message;

    Answer(int status, String code, String message) {
      this.status = status;
      this.code = code;
      this.message = message;
    }
  }

  /** One request as received. */
  record Call(
      String method,
      String path,
      Instant at,
      String callerReference,
      List<String> items,
      String authorization,
      String outcome) {}

  /** One invalidation the fake created. */
  static final class Created {
    final String id;
    final String callerReference;
    final List<String> items;
    volatile String status;
    volatile int polls;

    Created(String id, String callerReference, List<String> items, String status) {
      this.id = id;
      this.callerReference = callerReference;
      this.items = items;
      this.status = status;
    }

    int wildcards() {
      return (int) items.stream().filter(i -> i.endsWith("*")).count();
    }
  }

  private static final Pattern CREATE =
      Pattern.compile("/2020-05-31/distribution/([^/]+)/invalidation");
  private static final Pattern GET =
      Pattern.compile("/2020-05-31/distribution/([^/]+)/invalidation/([^/]+)");

  private final LoopbackHttpServer server;
  private final Clock clock;
  private final Set<String> distributions;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Deque<Answer> postAnswers = new ArrayDeque<>();
  private final Deque<Answer> getAnswers = new ArrayDeque<>();
  private final Map<String, Created> byReference = new LinkedHashMap<>();
  private final Map<String, Created> byId = new LinkedHashMap<>();
  private final CountDownLatch stalls = new CountDownLatch(1);
  private int nextId = 1;
  private int maxInFlightPaths;
  private int maxInFlightWildcards;
  private int limitRejections;
  private String createStatus = "InProgress";
  private int completeAfterPolls = Integer.MAX_VALUE;

  FakeCloudFront(Clock clock, String... distributions) throws IOException {
    this.clock = clock;
    this.distributions = Set.of(distributions);
    this.server = LoopbackHttpServer.startUnbounded("fake-cloudfront", this::handle);
  }

  URI endpoint() {
    return server.baseUri();
  }

  synchronized void answerNextPosts(Answer... answers) {
    postAnswers.addAll(List.of(answers));
  }

  synchronized void answerNextGets(Answer... answers) {
    getAnswers.addAll(List.of(answers));
  }

  /** Status of newly created invalidations: {@code InProgress} (default) or {@code Completed}. */
  synchronized void createStatus(String status) {
    this.createStatus = status;
  }

  /** An invalidation turns Completed when it has been read this many times. */
  synchronized void completeAfterPolls(int polls) {
    this.completeAfterPolls = polls;
  }

  /** Pretends another writer created an invalidation under this reference. */
  synchronized void seed(String callerReference, List<String> items) {
    Created c = new Created(newId(), callerReference, List.copyOf(items), "Completed");
    byReference.put(callerReference, c);
    byId.put(c.id, c);
  }

  synchronized void completeAll() {
    byId.values().forEach(c -> c.status = "Completed");
  }

  List<Call> calls() {
    return List.copyOf(calls);
  }

  List<Call> posts() {
    return calls.stream().filter(c -> c.method.equals("POST")).toList();
  }

  List<Call> gets() {
    return calls.stream().filter(c -> c.method.equals("GET")).toList();
  }

  synchronized List<Created> created() {
    return new ArrayList<>(byId.values());
  }

  synchronized int maxInFlightPaths() {
    return maxInFlightPaths;
  }

  synchronized int maxInFlightWildcards() {
    return maxInFlightWildcards;
  }

  synchronized int limitRejections() {
    return limitRejections;
  }

  @Override
  public void close() {
    stalls.countDown();
    server.close();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      String path = ex.getRequestURI().getRawPath();
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      Matcher get = GET.matcher(path);
      Matcher create = CREATE.matcher(path);
      if (ex.getRequestMethod().equals("GET") && get.matches()) {
        handleGet(ex, path, auth, get.group(1), get.group(2));
      } else if (ex.getRequestMethod().equals("POST") && create.matches()) {
        handlePost(ex, path, auth, create.group(1), body);
      } else {
        calls.add(
            new Call(ex.getRequestMethod(), path, clock.instant(), null, List.of(), auth, "404"));
        error(ex, 404, "NotFound", "no such resource");
      }
    }
  }

  private void handlePost(
      HttpExchange ex, String path, String auth, String distribution, byte[] body)
      throws IOException {
    Document doc;
    try {
      doc = parse(body);
    } catch (IOException e) {
      calls.add(new Call("POST", path, clock.instant(), null, List.of(), auth, "MalformedInput"));
      error(ex, 400, "MalformedInput", "unparseable body");
      return;
    }
    String reference = text(doc, "CallerReference");
    int quantity = Integer.parseInt(text(doc, "Quantity"));
    NodeList nodes = doc.getElementsByTagNameNS(NS, "Path");
    List<String> items = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      items.add(nodes.item(i).getTextContent());
    }
    Answer scripted;
    Created created = null;
    String outcome;
    int status = 0;
    Answer error = null;
    synchronized (this) {
      scripted = postAnswers.poll();
      if (!distributions.contains(distribution)) {
        outcome = "NoSuchDistribution";
      } else if (quantity != items.size()) {
        outcome = "InconsistentQuantities";
      } else if (scripted != null
          && scripted != Answer.STALL_AFTER_ACCEPT
          && scripted != Answer.ACCEPT) {
        outcome = scripted.code;
        error = scripted;
      } else {
        Created existing = byReference.get(reference);
        if (existing != null) {
          if (existing.items.equals(items)) {
            created = existing;
            outcome = "existing " + existing.id;
            status = 201;
          } else {
            outcome = Answer.ALREADY_EXISTS.code;
            error = Answer.ALREADY_EXISTS;
          }
        } else if (wouldExceedLimits(items)) {
          limitRejections++;
          outcome = Answer.TOO_MANY.code;
          error = Answer.TOO_MANY;
        } else {
          created = new Created(newId(), reference, List.copyOf(items), createStatus);
          byReference.put(reference, created);
          byId.put(created.id, created);
          recordInFlight();
          outcome = "created " + created.id;
          status = 201;
        }
      }
    }
    calls.add(
        new Call("POST", path, clock.instant(), reference, List.copyOf(items), auth, outcome));
    if (outcome.equals("NoSuchDistribution")) {
      error(ex, 404, "NoSuchDistribution", "The specified distribution does not exist.");
      return;
    }
    if (outcome.equals("InconsistentQuantities")) {
      error(ex, 400, "InconsistentQuantities", "Quantity does not match the number of items.");
      return;
    }
    if (error != null) {
      error(ex, error.status, error.code, error.message);
      return;
    }
    if (scripted == Answer.STALL_AFTER_ACCEPT) {
      try {
        stalls.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    ex.getResponseHeaders()
        .add(
            "Location",
            "https://cloudfront.amazonaws.com/2020-05-31/distribution/"
                + distribution
                + "/invalidation/"
                + created.id);
    send(ex, status, invalidationXml(created));
  }

  private void handleGet(HttpExchange ex, String path, String auth, String distribution, String id)
      throws IOException {
    Answer scripted;
    Created c;
    synchronized (this) {
      scripted = getAnswers.poll();
      c = byId.get(id);
      if (scripted == null && c != null && distributions.contains(distribution)) {
        c.polls++;
        if (c.polls >= completeAfterPolls) {
          c.status = "Completed";
        }
      }
    }
    String outcome = scripted != null ? scripted.code : c == null ? "NoSuchInvalidation" : c.status;
    calls.add(new Call("GET", path, clock.instant(), null, List.of(), auth, outcome));
    if (scripted != null) {
      error(ex, scripted.status, scripted.code, scripted.message);
    } else if (!distributions.contains(distribution)) {
      error(ex, 404, "NoSuchDistribution", "The specified distribution does not exist.");
    } else if (c == null) {
      error(ex, 404, "NoSuchInvalidation", "The specified invalidation does not exist.");
    } else {
      send(ex, 200, invalidationXml(c));
    }
  }

  /**
   * CloudFront's rule: paths and wildcards in progress, counted separately, a batch is all or
   * nothing.
   */
  private boolean wouldExceedLimits(List<String> items) {
    int paths = 0;
    int wildcards = 0;
    for (Created c : byId.values()) {
      if (c.status.equals("InProgress")) {
        wildcards += c.wildcards();
        paths += c.items.size() - c.wildcards();
      }
    }
    int newWildcards = (int) items.stream().filter(i -> i.endsWith("*")).count();
    return paths + items.size() - newWildcards > CloudFrontPurger.MAX_IN_FLIGHT_PATHS
        || wildcards + newWildcards > CloudFrontPurger.MAX_IN_FLIGHT_WILDCARDS;
  }

  private void recordInFlight() {
    int paths = 0;
    int wildcards = 0;
    for (Created c : byId.values()) {
      if (c.status.equals("InProgress")) {
        wildcards += c.wildcards();
        paths += c.items.size() - c.wildcards();
      }
    }
    maxInFlightPaths = Math.max(maxInFlightPaths, paths);
    maxInFlightWildcards = Math.max(maxInFlightWildcards, wildcards);
  }

  private String newId() {
    return String.format("IFAKE%09d", nextId++);
  }

  private static String invalidationXml(Created c) {
    StringBuilder sb = new StringBuilder();
    sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    sb.append("<Invalidation xmlns=\"").append(NS).append("\">");
    sb.append("<Id>").append(c.id).append("</Id>");
    sb.append("<Status>").append(c.status).append("</Status>");
    sb.append("<CreateTime>2026-01-01T00:00:00.000Z</CreateTime>");
    sb.append("<InvalidationBatch><Paths><Quantity>")
        .append(c.items.size())
        .append("</Quantity><Items>");
    for (String item : c.items) {
      sb.append("<Path>").append(escape(item)).append("</Path>");
    }
    sb.append("</Items></Paths><CallerReference>").append(escape(c.callerReference));
    sb.append("</CallerReference></InvalidationBatch></Invalidation>");
    return sb.toString();
  }

  private static void error(HttpExchange ex, int status, String code, String message)
      throws IOException {
    String xml =
        "<?xml version=\"1.0\"?><ErrorResponse xmlns=\""
            + NS
            + "\"><Error><Type>Sender</Type>"
            + "<Code>"
            + code
            + "</Code><Message>"
            + escape(message)
            + "</Message></Error>"
            + "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>";
    send(ex, status, xml);
  }

  private static void send(HttpExchange ex, int status, String xml) throws IOException {
    byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "text/xml");
    ex.getResponseHeaders().add("x-amz-request-id", "00000000-0000-0000-0000-000000000000");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static Document parse(byte[] body) throws IOException {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setNamespaceAware(true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      DocumentBuilder b = f.newDocumentBuilder();
      try (InputStream in = new ByteArrayInputStream(body)) {
        Document doc = b.parse(in);
        if (!"InvalidationBatch".equals(doc.getDocumentElement().getLocalName())
            || !NS.equals(doc.getDocumentElement().getNamespaceURI())) {
          throw new IOException("not an InvalidationBatch in " + NS);
        }
        return doc;
      }
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("unparseable InvalidationBatch", e);
    }
  }

  private static String text(Document doc, String element) {
    NodeList nodes = doc.getElementsByTagNameNS(NS, element);
    return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent();
  }
}
