package dev.fanout.examples.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fanout.Endpoint;
import dev.fanout.k8s.DnsDiscovery;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
 * CloudFront stand-in accepts what the real SDK signs and refuses a wrong signature, the DNS
 * stand-in answers DnsDiscovery, and the load balancer relays a request.
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
}
