package dev.fanout.http;

/** Runs the {@link HttpNotifier} contract over the NIO transport. */
class HttpNotifierNioTest extends HttpNotifierContractTest {
  @Override
  HttpNotifier.Transport transport() {
    return HttpNotifier.Transport.NIO;
  }
}
