package dev.fanout.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.fanout.Invalidation;
import dev.fanout.Invalidator;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * A CloudFront client the starter builds with {@code endpoint-override} signs its requests for
 * CloudFront's signing region, us-east-1, as the real API and the e2e stand-in require.
 */
class CloudFrontSigningRegionTest {

  @Test
  void anOverriddenEndpointIsSignedForUsEast1() throws Exception {
    List<String> authorizations = new CopyOnWriteArrayList<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", ex -> {
      authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      ex.getRequestBody().readAllBytes();
      ex.sendResponseHeaders(403, -1);
      ex.close();
    });
    server.start();
    System.setProperty("aws.accessKeyId", "AKIDSIGNINGREGIONTEST");
    System.setProperty("aws.secretAccessKey", "signing-region-test-secret");
    try {
      new ApplicationContextRunner().withConfiguration(Fixtures.starter())
          .withPropertyValues("fanout.stages[0].name=cdn",
              "fanout.stages[0].cloudfront.distribution-id=E2QWRUHEXAMPLE",
              "fanout.stages[0].cloudfront.endpoint-override=http://127.0.0.1:"
                  + server.getAddress().getPort())
          .run(context -> {
            assertThat(context).hasNotFailed();
            context.getBean(Invalidator.class).invalidate(Invalidation.ofPaths("/a"))
                .get(30, TimeUnit.SECONDS);
          });
    } finally {
      System.clearProperty("aws.accessKeyId");
      System.clearProperty("aws.secretAccessKey");
      server.stop(0);
    }
    assertThat(authorizations).isNotEmpty()
        .allSatisfy(a -> assertThat(a).contains("/us-east-1/cloudfront/aws4_request"));
  }
}
