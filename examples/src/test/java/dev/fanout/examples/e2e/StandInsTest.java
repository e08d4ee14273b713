package dev.fanout.examples.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.Endpoint;
import dev.fanout.Invalidation;
import dev.fanout.cloudflare.CloudflarePurger;
import dev.fanout.cloudflare.Plan;
import dev.fanout.k8s.DnsDiscovery;
import dev.fanout.spi.PurgeResult;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudfront.CloudFrontAsyncClient;
import software.amazon.awssdk.services.cloudfront.model.CloudFrontException;

/**
 * The pieces of the end-to-end stack that run inside the JVM, checked without the stack: the
 * CloudFront stand-in accepts what the real SDK signs and refuses a wrong signature, the
 * Cloudflare stand-in accepts what the real purger sends and enforces the token, the zone and the
 * plan's limits, the DNS stand-in answers DnsDiscovery, and the load balancer relays a request.
 */
class StandInsTest {

  private static CloudFrontAsyncClient client(CloudFrontStandIn cf, String secret) {
    return CloudFrontAsyncClient.builder()
        .endpointOverride(cf.endpoint())
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(CloudFrontStandIn.ACCESS_KEY, secret)))
        .overrideConfiguration(o -> o.apiCallTimeout(Duration.ofSeconds(10)))
        .build();
  }

  private static void create(CloudFrontAsyncClient client, String reference) {
    client.createInvalidation(b -> b.distributionId(CloudFrontStandIn.DISTRIBUTION)
        .invalidationBatch(ib -> ib.callerReference(reference)
            .paths(p -> p.quantity(2).items("/posts/1", "/caf%C3%A9 and more?x=1&a=2"))))
        .join();
  }

  @Test
  void cloudFrontStandInChecksTheSdkSignature() throws Exception {
    try (CloudFrontStandIn cf = new CloudFrontStandIn("127.0.0.1", 0);
        CloudFrontAsyncClient good = client(cf, CloudFrontStandIn.SECRET_KEY);
        CloudFrontAsyncClient bad = client(cf, "not-the-secret-key-of-the-stand-in-000")) {
      create(good, "ref-1");
      assertThat(cf.calls()).singleElement().satisfies(c -> {
        assertThat(c.callerReference()).isEqualTo("ref-1");
        assertThat(c.paths()).hasSize(2).startsWith("/posts/1");
        assertThat(c.region()).isEqualTo("us-east-1");
      });
      assertThat(cf.rejected()).isZero();

      assertThatThrownBy(() -> create(bad, "ref-2"))
          .isInstanceOf(CompletionException.class)
          .cause().isInstanceOfSatisfying(CloudFrontException.class, e ->
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SignatureDoesNotMatch"));
      assertThat(cf.rejected()).isPositive();
      assertThat(cf.calls()).hasSize(1);
    }
  }

  @Test
  void loopbackDnsAnswersARecordsAndSrv() throws Exception {
    try (LoopbackDns dns = new LoopbackDns("127.0.0.1", 0)) {
      dns.a(Stack.WEB_SERVICE, "127.0.0.2");
      dns.a(Stack.WEB_SERVICE, "127.0.0.3");
      dns.srv(Stack.VARNISH_SRV, "varnish-0." + Stack.VARNISH_SERVICE, 6081);
      dns.a("varnish-0." + Stack.VARNISH_SERVICE, "127.0.0.10");

      List<Endpoint> web = DnsDiscovery.builder(Stack.WEB_SERVICE).port(3000)
          .server("127.0.0.1", dns.port()).allowCidr("127.0.0.0/8").build()
          .discover().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(web).extracting(Endpoint::authority)
          .containsExactlyInAnyOrder("127.0.0.2:3000", "127.0.0.3:3000");

      List<Endpoint> varnish = DnsDiscovery.builder(Stack.VARNISH_SERVICE).srv("http")
          .server("127.0.0.1", dns.port()).allowCidr("127.0.0.0/8").build()
          .discover().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(varnish).extracting(Endpoint::authority).containsExactly("127.0.0.10:6081");
    }
  }

  @Test
  void roundRobinFrontSendsEachConnectionToTheNextBackend() throws Exception {
    try (ServerSocket a = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
      List<InetSocketAddress> backends = List.of(
          (InetSocketAddress) a.getLocalSocketAddress(), (InetSocketAddress) b.getLocalSocketAddress());
      int port;
      try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = probe.getLocalPort();
      }
      try (RoundRobinFront front = new RoundRobinFront("127.0.0.1", port, backends)) {
        for (ServerSocket backend : List.of(a, b)) {
          try (Socket client = new Socket("127.0.0.1", port)) {
            client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            try (Socket accepted = backend.accept()) {
              assertThat(new String(accepted.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                  .isEqualTo("ping");
              accepted.getOutputStream().write("pong".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                .isEqualTo("pong");
          }
        }
        assertThat(front.connections(0)).isEqualTo(1);
        assertThat(front.connections(1)).isEqualTo(1);
      }
    }
  }

  private static HttpResponse<String> post(URI base, String zone, String token, String body)
      throws Exception {
    HttpRequest r = HttpRequest.newBuilder(base.resolve("/client/v4/zones/" + zone + "/purge_cache"))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void cloudflareStandInAcceptsThePurgerAndEnforcesTokenZoneAndLimits() throws Exception {
    try (CloudflareStandIn cf = new CloudflareStandIn("127.0.0.1", 0, Plan.FREE.limits())) {
      CloudflarePurger purger = CloudflarePurger.builder().zoneId(CloudflareStandIn.ZONE)
          .accountId("ac0e2eac0e2eac0e2eac0e2eac0e2e77").apiToken(CloudflareStandIn.TOKEN)
          .plan(Plan.FREE).host("www.example.test").baseUri(cf.baseUri()).build();
      PurgeResult result = purger.purge(Invalidation.builder().tag("post:1").path("/posts/1")
          .build()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(result.isSuccess()).isTrue();
      assertThat(result.requestIds()).hasSize(2);
      assertThat(cf.purged("tags")).containsExactly("post:1");
      assertThat(cf.purged("files")).containsExactly("https://www.example.test/posts/1");

      URI base = cf.baseUri();
      HttpResponse<String> badToken = post(base, CloudflareStandIn.ZONE, "nope", "{\"tags\":[\"a\"]}");
      assertThat(badToken.statusCode()).isEqualTo(403);
      assertThat(badToken.body()).contains("\"success\":false").contains("\"code\":10000");
      HttpResponse<String> badZone = post(base, "1".repeat(32), CloudflareStandIn.TOKEN, "{\"tags\":[\"a\"]}");
      assertThat(badZone.statusCode()).isEqualTo(400);
      assertThat(badZone.body()).contains("\"code\":7003").contains("Could not route to");
      String tooMany = "{\"tags\":[" + "\"t\",".repeat(100) + "\"t\"]}";
      assertThat(post(base, CloudflareStandIn.ZONE, CloudflareStandIn.TOKEN, tooMany).statusCode())
          .isEqualTo(400);
      // The purger spent 2 of the bucket's 25 tokens; 23 more go, the next is refused
      for (int i = 0; i < 23; i++) {
        assertThat(post(base, CloudflareStandIn.ZONE, CloudflareStandIn.TOKEN, "{\"tags\":[\"a\"]}")
            .statusCode()).isEqualTo(200);
      }
      HttpResponse<String> limited =
          post(base, CloudflareStandIn.ZONE, CloudflareStandIn.TOKEN, "{\"tags\":[\"a\"]}");
      assertThat(limited.statusCode()).isEqualTo(429);
      assertThat(limited.body()).contains("\"code\":971");
      assertThat(limited.headers().firstValue("Retry-After")).hasValueSatisfying(
          v -> assertThat(Integer.parseInt(v)).isBetween(1, 12));
      assertThat(cf.refused()).isEqualTo(4);
    }
  }
}
