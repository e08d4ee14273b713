package dev.fanout.receiver;

import static dev.fanout.receiver.Fixtures.SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.catchup.CatchUpWire;
import dev.fanout.receiver.Fixtures.Recorder;
import dev.fanout.spi.CatchUpAnswer;
import dev.fanout.spi.CatchUpSignal;
import dev.fanout.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Replayed catch-up signals: a signed start captured on the way and sent again (same {@code
 * webhook-id}, inside the timestamp tolerance) gets the nonce it got the first time and takes no
 * new slot, so it cannot push the sender's nonce out; a done that does not count says so.
 */
class CatchUpReplayTest {
  private final ManualClock clock = new ManualClock();

  private InvalidationReceiver receiver() {
    return InvalidationReceiver.builder().secret(SECRET).handler(new Recorder())
        .clock(clock).holdReadinessUntilCaughtUp(Duration.ofMinutes(10)).build();
  }

  private Fixtures.Req signal(String id, CatchUpSignal signal, String nonce) {
    return Fixtures.signed(SECRET, id, clock.instant().getEpochSecond(), CatchUpWire.body(id, signal, nonce));
  }

  @Test
  void aCapturedStartReplayedAsOftenAsNoncesAreKeptDoesNotEvictTheSendersNonce() {
    InvalidationReceiver r = receiver();
    Fixtures.Req start = signal("catchup_1:start", CatchUpSignal.START, null);
    String nonce = CatchUpWire.readAnswer(Fixtures.handle(r, start).body()).nonce();

    for (int i = 0; i < CatchUpState.NONCES_KEPT; i++) {
      clock.advance(Duration.ofSeconds(1));
      InvalidationReceiver.Response again = Fixtures.handle(r, start);
      assertThat(again.status()).isEqualTo(200);
      assertThat(CatchUpWire.readAnswer(again.body()).nonce()).as("the replay gets the same nonce").isEqualTo(nonce);
    }

    InvalidationReceiver.Response done = Fixtures.handle(r, signal("catchup_1:done", CatchUpSignal.DONE, nonce));
    assertThat(done.status()).isEqualTo(200);
    assertThat(CatchUpWire.readAnswer(done.body()).notCounted()).isFalse();
    assertThat(done.body()).contains("\"caughtUp\":true");
    assertThat(r.isCaughtUp()).isTrue();
    assertThat(r.readiness().status()).isEqualTo(200);
  }

  @Test
  void aDoneThatDoesNotCountSaysSo() {
    InvalidationReceiver r = receiver();
    String nonce = CatchUpWire.readAnswer(Fixtures.handle(r, signal("catchup_2:start", CatchUpSignal.START, null))
        .body()).nonce();
    Fixtures.Req done = signal("catchup_2:done", CatchUpSignal.DONE, nonce);
    assertThat(CatchUpWire.readAnswer(Fixtures.handle(r, done).body()).notCounted()).isFalse();

    // The same done again (its nonce is used up), one with a nonce never issued, one with none.
    for (Fixtures.Req other : new Fixtures.Req[] {done,
        signal("catchup_3:done", CatchUpSignal.DONE, CatchUpWire.newNonce()),
        signal("catchup_4:done", CatchUpSignal.DONE, null)}) {
      InvalidationReceiver.Response answer = Fixtures.handle(r, other);
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.body()).contains("\"caughtUp\":false");
      CatchUpAnswer read = CatchUpWire.readAnswer(answer.body());
      assertThat(read.notCounted()).isTrue();
      assertThat(read.freshSince()).isEqualTo(r.freshSince());
    }
  }
}
