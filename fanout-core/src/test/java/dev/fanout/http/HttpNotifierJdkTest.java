package dev.fanout.http;

/** Runs the {@link HttpNotifier} contract over the JDK transport. */
class HttpNotifierJdkTest extends HttpNotifierContractTest {
  @Override
  HttpNotifier.Transport transport() {
    return HttpNotifier.Transport.JDK;
  }
}
