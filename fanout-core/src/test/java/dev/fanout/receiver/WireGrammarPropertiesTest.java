package dev.fanout.receiver;

import static dev.fanout.receiver.Fixtures.SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.Invalidation;
import dev.fanout.WireContract;
import dev.fanout.http.HttpNotifier;
import dev.fanout.spi.Ack;
import dev.fanout.testing.ManualClock;
import dev.fanout.testing.ReceiverPod;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Every path and tag {@link Invalidation}'s builder accepts is accepted by the Java receiver end to
 * end: built, sent by the real {@link HttpNotifier} over loopback, verified and handed to the
 * handler unchanged. And what the builder refuses, the receiver refuses too.
 */
class WireGrammarPropertiesTest {
  private static ReceiverPod pod;
  private static HttpNotifier notifier;
  private static final AtomicLong ids = new AtomicLong();
  private final ManualClock clock = new ManualClock();
  private final InvalidationReceiver receiver = InvalidationReceiver.builder().secret(SECRET)
      .handler(inv -> { }).clock(clock).build();

  @BeforeContainer
  static void start() throws Exception {
    pod = ReceiverPod.start("127.0.0.2", SECRET);
    notifier = HttpNotifier.builder().signingSecret(SECRET).build();
  }

  @AfterContainer
  static void stop() {
    notifier.close();
    pod.close();
  }

  @Property(tries = 200)
  void everyPathTheBuilderAcceptsIsAppliedByTheReceiver(@ForAll("paths") String path) throws Exception {
    Invalidation inv = build(() -> Invalidation.builder().id("p_" + ids.incrementAndGet()).path(path).build());
    Statistics.collect(inv != null ? "accepted" : "refused");
    Statistics.coverage(c -> c.check("accepted").percentage(p -> p > 20));
    if (inv == null) {
      // The receiver refuses it too, whoever signed it.
      String json = "{\"id\":\"r\",\"paths\":[" + Fixtures.jsonString(path) + "]}";
      assertThat(Fixtures.handle(receiver, Fixtures.signedJson("r_" + ids.incrementAndGet(), json, clock))
          .status()).as(path).isEqualTo(400);
      return;
    }
    Ack ack = notifier.deliver(pod.endpoint(), inv).toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(ack.status()).as(path).isEqualTo(200);
    List<Invalidation> handled = pod.handled();
    assertThat(handled.get(handled.size() - 1).paths()).containsExactly(path);
  }

  @Property(tries = 150)
  void everyTagTheBuilderAcceptsIsAppliedByTheReceiver(@ForAll("tags") String tag) throws Exception {
    Invalidation inv = build(() -> Invalidation.builder().id("t_" + ids.incrementAndGet()).tag(tag)
        .entity(tag, 1).build());
    Statistics.collect(inv != null ? "accepted" : "refused");
    Statistics.coverage(c -> c.check("accepted").percentage(p -> p > 20));
    if (inv == null) {
      String json = "{\"id\":\"r\",\"tags\":[" + Fixtures.jsonString(tag) + "]}";
      assertThat(Fixtures.handle(receiver, Fixtures.signedJson("r_" + ids.incrementAndGet(), json, clock))
          .status()).as(tag).isEqualTo(400);
      return;
    }
    Ack ack = notifier.deliver(pod.endpoint(), inv).toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(ack.status()).as(tag).isEqualTo(200);
    List<Invalidation> handled = pod.handled();
    assertThat(handled.get(handled.size() - 1).tags()).containsExactly(tag);
    assertThat(handled.get(handled.size() - 1).entity()).isEqualTo(tag);
  }

  private static Invalidation build(java.util.function.Supplier<Invalidation> b) {
    try {
      return b.get();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Pieces that paths and tags are made of: ordinary text, and every kind of edge the grammar has. */
  static final List<String> PIECES = List.of(
      "a", "blog", "Z9", "post-42", "_", "~", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=",
      ":", "@", "\"", "<", ">", "{", "}", "|", "^", "`", "[", "]", "/", "/", "/", "?", ".", "..",
      ".;", "..;", "%", "%2e", "%2E", "%2f", "%2F", "%20", "%23", "%5c", "%41", "%25", "%C3%A9",
      "%c0%ae", "%zz", "%e2%80%ae", "%ED%A0%80", "%F0%9F%98%80", "%F4%90%80%80", "#", "\\", " ",
      "\t", "\u0000", "\u001f", "\u007f", "\u0085", "\u009f", "\u00a0", "\u00ad", "\u00e9", "\u4e2d",
      "\ud83d\ude00", "\u200b", "\u202e", "\u2028", "\u3000", "\ufeff", "\u0890", "\ud80d\udc3f",
      "\ud800", "\udc00", "\ufffe", "x".repeat(300));

  private static Arbitrary<String> text() {
    Arbitrary<String> piece = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(12, Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(6)),
        net.jqwik.api.Tuple.of(4, Arbitraries.of(PIECES)));
    return piece.list().ofMaxSize(12).map(l -> String.join("", l));
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.oneOf(text().map(t -> "/" + t), text(),
        Arbitraries.integers().between(WireContract.MAX_PATH_LENGTH - 4, WireContract.MAX_PATH_LENGTH + 1)
            .map(n -> "/" + "p".repeat(n - 1)));
  }

  @Provide
  Arbitrary<String> tags() {
    return Arbitraries.oneOf(text(),
        Arbitraries.integers().between(WireContract.MAX_TAG_LENGTH - 2, WireContract.MAX_TAG_LENGTH + 1)
            .map("t"::repeat));
  }
}
