/**
 * Step 2 of the sending side, <em>deliver</em>, over HTTP: {@link dev.fanout.http.HttpNotifier},
 * the built-in {@link dev.fanout.spi.Notifier}, and the Standard Webhooks {@link
 * dev.fanout.http.WebhookSigner} it signs with.
 *
 * <p>Inside (package-private), one job per class: the request shapes behind {@code RequestShape}
 * ({@code JsonShape}: the signed JSON POST, in chunks within {@link dev.fanout.WireContract}'s
 * limits; {@code PerPathShape}: one {@code PURGE} per path; {@code XkeyShape}: {@code xkey-purge}
 * headers), {@code RequestFactory} (plans once per invalidation, signs once per second, addresses
 * each target), {@code MultiPartDelivery} (several requests to one target, resuming after a retry
 * with {@code PartProgress}), {@code AckReader} (what an answer means), and the transports behind
 * {@code HttpTransport}: {@code NioHttp} (fanout's own HTTP/1.1 client, {@code NioTransport} and
 * its {@code ResponseParser}) and {@code JdkHttp} ({@code java.net.http}).
 */
package dev.fanout.http;
