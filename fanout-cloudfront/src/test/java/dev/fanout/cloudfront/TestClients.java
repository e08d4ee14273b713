package dev.fanout.cloudfront;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.cloudfront.CloudFrontAsyncClient;
import software.amazon.awssdk.services.cloudfront.CloudFrontAsyncClientBuilder;

/**
 * Real SDK clients pointed at a loopback fake: static credentials and an explicit region (so the
 * SDK never looks for instance metadata or profiles), short timeouts, and the SDK's standard retry
 * strategy with millisecond backoffs so its own retries are quick.
 */
final class TestClients {

  static final String ACCESS_KEY = "AKIDFANOUTTEST000001";
  static final String SECRET_KEY = "fanout-test-secret-key-not-a-real-one-0001";

  /** SDK attempts per call, first included. */
  static final int SDK_ATTEMPTS = 3;

  /**
   * One event loop for every test client: closing a client then does not wait out Netty's
   * two-second graceful shutdown each time. Daemon threads, so the JVM can exit.
   */
  private static final SdkEventLoopGroup EVENT_LOOP = eventLoop();

  private TestClients() {}

  private static SdkEventLoopGroup eventLoop() {
    AtomicInteger n = new AtomicInteger();
    return SdkEventLoopGroup.builder()
        .numberOfThreads(2)
        .threadFactory(
            r -> {
              Thread t = new Thread(r, "test-cloudfront-netty-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            })
        .build();
  }

  /**
   * A builder aimed at the loopback fake: static credentials, the region, and a Netty client on
   * the shared event loop.
   */
  private static CloudFrontAsyncClientBuilder loopback(URI endpoint, Region region) {
    if (!endpoint.getHost().startsWith("127.")) {
      throw new IllegalArgumentException("tests only talk to loopback: " + endpoint);
    }
    return CloudFrontAsyncClient.builder()
        .endpointOverride(endpoint)
        .region(region)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .httpClientBuilder(
            NettyNioAsyncHttpClient.builder()
                .eventLoopGroup(EVENT_LOOP)
                .connectionTimeout(Duration.ofSeconds(2)));
  }

  /** A client with the SDK's defaults: no apiCallTimeout, no apiCallAttemptTimeout. */
  static CloudFrontAsyncClient clientWithoutTimeouts(URI endpoint) {
    return loopback(endpoint, Region.US_EAST_1)
        .overrideConfiguration(
            o -> o.retryStrategy(
                AwsRetryStrategy.standardRetryStrategy().toBuilder()
                    .maxAttempts(SDK_ATTEMPTS)
                    .backoffStrategy(BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(5)))
                    .circuitBreakerEnabled(false)
                    .build()))
        .build();
  }

  static CloudFrontAsyncClient client(URI endpoint) {
    return client(endpoint, Region.US_EAST_1, Duration.ofSeconds(5));
  }

  static CloudFrontAsyncClient client(URI endpoint, Region region, Duration attemptTimeout) {
    return loopback(endpoint, region)
        .overrideConfiguration(
            o ->
                o.apiCallAttemptTimeout(attemptTimeout)
                    .apiCallTimeout(Duration.ofSeconds(20))
                    .retryStrategy(
                        AwsRetryStrategy.standardRetryStrategy().toBuilder()
                            .maxAttempts(SDK_ATTEMPTS)
                            .backoffStrategy(
                                BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(5)))
                            .throttlingBackoffStrategy(
                                BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(5)))
                            .circuitBreakerEnabled(false)
                            .build()))
        .build();
  }
}
