package dev.fanout.examples.e2e;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * A loopback stand-in for CloudFront's {@code CreateInvalidation} API (REST-XML, 2020-05-31), for
 * the real AWS SDK client pointed at it with {@code endpointOverride}. It checks each request's
 * AWS Signature Version 4 against the static test credentials and CloudFront's signing scope
 * ({@code us-east-1/cloudfront}), answering 403 {@code SignatureDoesNotMatch} otherwise, parses the {@code InvalidationBatch}, keeps {@code
 * CallerReference} idempotency, records when each call arrived ({@link System#nanoTime()}) and
 * answers as CloudFront does, with the invalidation already {@code Completed}.
 */
final class CloudFrontStandIn implements AutoCloseable {
  static final String ACCESS_KEY = "AKIDFANOUTE2E0000001";
  static final String SECRET_KEY = "fanout-e2e-secret-key-not-a-real-one-0001";
  static final String DISTRIBUTION = "E2EFANOUT0001";
  static final String REGION = "us-east-1";

  private static final String NS = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
  private static final Pattern CREATE = Pattern.compile("/2020-05-31/distribution/([^/]+)/invalidation");
  private static final Pattern AUTH = Pattern.compile(
      "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request,\\s*"
          + "SignedHeaders=([a-z0-9;-]+),\\s*Signature=([0-9a-f]{64})");

  /** One CreateInvalidation call that was accepted. */
  record Call(long arrivalNanos, String callerReference, List<String> paths, String region) {}

  private final StandInServer server;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Map<String, String> idsByReference = new ConcurrentHashMap<>();
  private final AtomicInteger rejected = new AtomicInteger();
  private final AtomicInteger ids = new AtomicInteger();

  CloudFrontStandIn(String ip, int port) throws IOException {
    server = new StandInServer(ip, port, "cloudfront-stand-in", "/", this::handle);
  }

  URI endpoint() {
    return server.baseUri();
  }

  List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Requests refused for a bad signature, an unknown distribution or a malformed body. */
  int rejected() {
    return rejected.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    long arrival = System.nanoTime();
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      Matcher create = CREATE.matcher(ex.getRequestURI().getRawPath());
      if (!ex.getRequestMethod().equals("POST") || !create.matches()) {
        error(ex, 404, "NotFound", "only CreateInvalidation is served here");
        return;
      }
      String region = verifySignature(ex, body);
      if (region == null) {
        error(ex, 403, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.");
        return;
      }
      if (!create.group(1).equals(DISTRIBUTION)) {
        error(ex, 404, "NoSuchDistribution", "The specified distribution does not exist.");
        return;
      }
      Document doc = parse(body);
      if (doc == null) {
        error(ex, 400, "MalformedInput", "not an InvalidationBatch");
        return;
      }
      String reference = text(doc, "CallerReference");
      NodeList nodes = doc.getElementsByTagNameNS(NS, "Path");
      List<String> paths = new ArrayList<>();
      for (int i = 0; i < nodes.getLength(); i++) {
        paths.add(nodes.item(i).getTextContent());
      }
      if (reference.isEmpty() || paths.isEmpty()
          || Integer.parseInt(text(doc, "Quantity")) != paths.size()) {
        error(ex, 400, "InconsistentQuantities", "Quantity does not match the number of items.");
        return;
      }
      String id = idsByReference.computeIfAbsent(reference,
          r -> String.format("I2E%011d", ids.incrementAndGet()));
      calls.add(new Call(arrival, reference, List.copyOf(paths), region));
      StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
          .append("<Invalidation xmlns=\"").append(NS).append("\"><Id>").append(id)
          .append("</Id><Status>Completed</Status><CreateTime>2026-01-01T00:00:00.000Z</CreateTime>")
          .append("<InvalidationBatch><Paths><Quantity>").append(paths.size())
          .append("</Quantity><Items>");
      for (String p : paths) {
        xml.append("<Path>").append(escape(p)).append("</Path>");
      }
      xml.append("</Items></Paths><CallerReference>").append(escape(reference))
          .append("</CallerReference></InvalidationBatch></Invalidation>");
      ex.getResponseHeaders().add("Location", endpoint() + "/2020-05-31/distribution/"
          + DISTRIBUTION + "/invalidation/" + id);
      send(ex, 201, xml.toString());
    }
  }

  /**
   * Recomputes the request's SigV4 signature from the static test secret; returns the signing
   * region if it matches, null if not.
   */
  private String verifySignature(HttpExchange ex, byte[] body) {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    String amzDate = ex.getRequestHeaders().getFirst("X-Amz-Date");
    Matcher m = auth == null || amzDate == null ? null : AUTH.matcher(auth);
    // CloudFront requests are signed for the scope us-east-1/cloudfront.
    if (m == null || !m.matches() || !m.group(1).equals(ACCESS_KEY) || !m.group(3).equals(REGION)
        || !m.group(4).equals("cloudfront") || !amzDate.startsWith(m.group(2))) {
      rejected.incrementAndGet();
      return null;
    }
    try {
      Map<String, String> headers = new TreeMap<>();
      ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT),
          String.join(",", v.stream().map(s -> s.trim().replaceAll(" +", " ")).toList())));
      StringBuilder canonicalHeaders = new StringBuilder();
      for (String name : m.group(5).split(";")) {
        String value = headers.get(name);
        if (value == null) {
          rejected.incrementAndGet();
          return null;
        }
        canonicalHeaders.append(name).append(':').append(value).append('\n');
      }
      String payloadHash = headers.getOrDefault("x-amz-content-sha256", hex(sha256(body)));
      String canonicalRequest = ex.getRequestMethod() + "\n"
          + ex.getRequestURI().getRawPath() + "\n"
          + canonicalQuery(ex.getRequestURI().getRawQuery()) + "\n"
          + canonicalHeaders + "\n"
          + m.group(5) + "\n"
          + payloadHash;
      String scope = m.group(2) + "/" + m.group(3) + "/" + m.group(4) + "/aws4_request";
      String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
          + hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
      byte[] key = hmac(("AWS4" + SECRET_KEY).getBytes(StandardCharsets.UTF_8), m.group(2));
      key = hmac(key, m.group(3));
      key = hmac(key, m.group(4));
      key = hmac(key, "aws4_request");
      String expected = hex(hmac(key, toSign));
      if (MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
          m.group(6).getBytes(StandardCharsets.US_ASCII))) {
        return m.group(3);
      }
    } catch (GeneralSecurityException e) {
      // counted below
    }
    rejected.incrementAndGet();
    return null;
  }

  private static String canonicalQuery(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return "";
    }
    List<String> parts = new ArrayList<>(List.of(rawQuery.split("&")));
    parts.replaceAll(p -> p.contains("=") ? p : p + "=");
    parts.sort(null);
    return String.join("&", parts);
  }

  private static byte[] sha256(byte[] data) throws GeneralSecurityException {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }

  private static byte[] hmac(byte[] key, String data) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static Document parse(byte[] body) {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setNamespaceAware(true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(body));
      return "InvalidationBatch".equals(doc.getDocumentElement().getLocalName())
          && NS.equals(doc.getDocumentElement().getNamespaceURI()) ? doc : null;
    } catch (Exception e) {
      return null;
    }
  }

  private static String text(Document doc, String element) {
    NodeList nodes = doc.getElementsByTagNameNS(NS, element);
    return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent();
  }

  private static void error(HttpExchange ex, int status, String code, String message)
      throws IOException {
    send(ex, status, "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"" + NS + "\"><Error>"
        + "<Type>Sender</Type><Code>" + code + "</Code><Message>" + escape(message)
        + "</Message></Error><RequestId>e2e</RequestId></ErrorResponse>");
  }

  private static void send(HttpExchange ex, int status, String xml) throws IOException {
    ex.getResponseHeaders().add("x-amz-request-id", "e2e-" + System.nanoTime());
    StandInServer.send(ex, status, "text/xml", xml);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  @Override
  public void close() {
    server.close();
  }
}
