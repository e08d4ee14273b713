/**
 * fanout's kernel and the implementation details its modules share. Supported for fanout's own
 * modules, not for users: anything here may change in any release, and the javadoc of the public API
 * does not list it. Users configure what this package runs through the public API: {@link
 * dev.fanout.RetryPolicy} and the {@code retry}, {@code attemptTimeout}, {@code deadline}, {@code
 * scheduler} and {@code concurrency} methods of the builders.
 *
 * <p>The kernel is one class per mechanism that every module needs, so that no module writes one
 * again:
 *
 * <ul>
 *   <li>{@link dev.fanout.internal.Retry}: whether and when the next attempt runs (capped
 *       exponential backoff with full jitter, {@code Retry-After} honoured, inside a deadline);
 *   <li>{@link dev.fanout.internal.Timeouts}: a future bounded by a timer on an injected
 *       scheduler;
 *   <li>{@link dev.fanout.internal.Limiter}: bounded concurrency with a FIFO queue that costs no
 *       thread;
 *   <li>{@link dev.fanout.internal.Schedulers}: the default timer and the daemon-thread factory;
 *   <li>{@link dev.fanout.internal.Tasks}: an executor's or scheduler's refusal as a value, never as
 *       an exception;
 *   <li>{@link dev.fanout.internal.Futures}: the cause behind a future's wrapping exceptions.
 * </ul>
 *
 * <p>Beside the kernel, what the purgers share: {@link dev.fanout.internal.PurgeRequests} and
 * {@link dev.fanout.internal.HttpPurgeRequests} (a purge run's requests and one HTTP attempt), {@link
 * dev.fanout.internal.PurgerSettings}, {@link dev.fanout.internal.ApiToken}, {@link
 * dev.fanout.internal.UrlPaths} (also {@code HttpNotifier}'s request targets) and {@link
 * dev.fanout.internal.Refusals}.
 */
package dev.fanout.internal;
