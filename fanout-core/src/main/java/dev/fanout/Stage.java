package dev.fanout;

import static dev.fanout.internal.Checks.positive;

import dev.fanout.catchup.CatchUpPolicy;
import dev.fanout.spi.Discovery;
import dev.fanout.spi.Notifier;
import dev.fanout.spi.Purger;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One tier of caches to make fresh. An {@link Invalidator} runs its stages in order, inner tier
 * first; a stage starts only when the previous one met its {@link Gate}.
 *
 * <ul>
 *   <li>{@link #fanout(String, Discovery, Notifier)}: discover every replica of a tier and deliver
 *       the invalidation to each, concurrently, collecting an acknowledgement from each.
 *   <li>{@link #purge(String, Purger...)}: call one or more CDN purgers concurrently.
 * </ul>
 *
 * <p>Stages are immutable; the option methods return modified copies:
 *
 * <pre>{@code
 * Stage web = Stage.fanout("web", discovery, notifier)
 *     .concurrency(128)
 *     .attemptTimeout(Duration.ofSeconds(2))
 *     .gate(Gate.quorum(0.9));
 * }</pre>
 *
 * @since 0.1
 */
public sealed interface Stage permits Stage.Fanout, Stage.Purge {

  /**
   * Returns the stage's name, used in reports, logs and listener events.
   *
   * @return the name
   */
  String name();

  /**
   * Returns the gate that later stages wait for.
   *
   * @return the gate
   */
  Gate gate();

  /**
   * Returns a fan-out stage with default options: gate {@link Gate#all()}, {@code minTargets} 1,
   * concurrency {@value Fanout#DEFAULT_CONCURRENCY}, attempt timeout 5 s, {@link RetryPolicy#defaults()}, targets in every state but
   * {@link Endpoint.State#TERMINATING}, membership re-checked after the fan-out.
   *
   * @param name the stage name: 1 to 64 characters, letters, digits, {@code .}, {@code _}, {@code -}
   * @param discovery finds the replicas
   * @param notifier delivers to one replica
   * @return the stage
   * @throws IllegalArgumentException if the name is invalid
   */
  static Fanout fanout(String name, Discovery discovery, Notifier notifier) {
    return new Fanout(
        checkName(name),
        Objects.requireNonNull(discovery, "discovery"),
        Objects.requireNonNull(notifier, "notifier"),
        Gate.all(),
        1,
        Fanout.DEFAULT_CONCURRENCY,
        Duration.ofSeconds(5),
        RetryPolicy.defaults(),
        EnumSet.of(Endpoint.State.READY, Endpoint.State.NOT_READY, Endpoint.State.SERVING),
        true,
        null);
  }

  /**
   * Returns a purge stage that runs the purgers concurrently, with gate {@link Gate#all()}.
   *
   * @param name the stage name
   * @param purgers one or more purgers
   * @return the stage
   * @throws IllegalArgumentException if the name is invalid or no purger is given
   */
  static Purge purge(String name, Purger... purgers) {
    return purge(name, Arrays.asList(purgers));
  }

  /**
   * Returns a purge stage that runs the purgers concurrently, with gate {@link Gate#all()}.
   *
   * @param name the stage name
   * @param purgers one or more purgers
   * @return the stage
   * @throws IllegalArgumentException if the name is invalid or the list is empty
   */
  static Purge purge(String name, List<Purger> purgers) {
    List<Purger> copy = List.copyOf(purgers);
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("purge stage '" + name + "' needs at least one purger");
    }
    return new Purge(checkName(name), copy, Gate.all());
  }

  private static String checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException(
          "stage name must be 1 to 64 characters of [A-Za-z0-9._-]: '"
              + Invalidation.printable(name) + "'");
    }
    return name;
  }

  /**
   * A fan-out stage: discovery plus a notifier, with its delivery options.
   *
   * @since 0.1
   */
  final class Fanout implements Stage {
    /**
     * The default number of attempts in flight at once. An attempt in flight costs one socket and a
     * few hundred bytes, not a thread, so the default is set by the file descriptors a process can
     * spare rather than by cores: a tier of up to 4,096 replicas is contacted in one round, which
     * keeps a fan-out close to one replica's latency (see BENCHMARKS.md). Whatever the setting, a
     * run keeps at most half of the process's descriptor limit in flight, so a process with a low
     * limit gets fewer at once rather than "too many open files".
     */
    public static final int DEFAULT_CONCURRENCY = 4096;

    private final String name;
    private final Discovery discovery;
    private final Notifier notifier;
    private final Gate gate;
    private final int minTargets;
    private final int concurrency;
    private final Duration attemptTimeout;
    private final RetryPolicy retry;
    private final Set<Endpoint.State> states;
    private final boolean recheck;
    private final CatchUpPolicy catchUp;

    private Fanout(
        String name,
        Discovery discovery,
        Notifier notifier,
        Gate gate,
        int minTargets,
        int concurrency,
        Duration attemptTimeout,
        RetryPolicy retry,
        Set<Endpoint.State> states,
        boolean recheck,
        CatchUpPolicy catchUp) {
      this.name = name;
      this.discovery = discovery;
      this.notifier = notifier;
      this.gate = gate;
      this.minTargets = minTargets;
      this.concurrency = concurrency;
      this.attemptTimeout = attemptTimeout;
      this.retry = retry;
      this.states = Set.copyOf(states);
      this.recheck = recheck;
      this.catchUp = catchUp;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Gate gate() {
      return gate;
    }

    /**
     * Returns the discovery.
     *
     * @return the discovery
     */
    public Discovery discovery() {
      return discovery;
    }

    /**
     * Returns the notifier.
     *
     * @return the notifier
     */
    public Notifier notifier() {
      return notifier;
    }

    /**
     * Returns the fewest targets discovery must find for the stage to succeed.
     *
     * @return {@code minTargets}
     */
    public int minTargets() {
      return minTargets;
    }

    /**
     * Returns the most attempts in flight at once.
     *
     * @return the concurrency limit
     */
    public int concurrency() {
      return concurrency;
    }

    /**
     * Returns the per-attempt timeout, which covers the whole exchange, response body included.
     *
     * @return the timeout
     */
    public Duration attemptTimeout() {
      return attemptTimeout;
    }

    /**
     * Returns the retry policy.
     *
     * @return the policy
     */
    public RetryPolicy retry() {
      return retry;
    }

    /**
     * Returns the endpoint states that receive the invalidation; others are reported as skipped.
     *
     * @return the accepted states, unmodifiable
     */
    public Set<Endpoint.State> states() {
      return states;
    }

    /**
     * Returns whether membership is re-checked after the fan-out.
     *
     * @return true if discovery runs again after the fan-out
     */
    public boolean recheck() {
      return recheck;
    }

    /**
     * Returns a copy with another gate.
     *
     * @param newGate the gate
     * @return the copy
     */
    public Fanout gate(Gate newGate) {
      return new Fanout(name, discovery, notifier, Objects.requireNonNull(newGate, "gate"),
          minTargets, concurrency, attemptTimeout, retry, states, recheck, catchUp);
    }

    /**
     * Returns a copy that needs at least {@code n} discovered targets to succeed. With {@code 0},
     * finding no replica is a success (for tiers that may be scaled to zero).
     *
     * @param n the minimum, {@code >= 0}
     * @return the copy
     * @throws IllegalArgumentException if {@code n < 0}
     */
    public Fanout minTargets(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("minTargets must be >= 0: " + n);
      }
      return new Fanout(name, discovery, notifier, gate, n, concurrency, attemptTimeout, retry,
          states, recheck, catchUp);
    }

    /**
     * Returns a copy with another concurrency limit (attempts in flight at once).
     *
     * @param limit the limit, 1 to 100,000
     * @return the copy
     * @throws IllegalArgumentException if out of range
     */
    public Fanout concurrency(int limit) {
      if (limit < 1 || limit > 100_000) {
        throw new IllegalArgumentException("concurrency must be 1..100000: " + limit);
      }
      return new Fanout(name, discovery, notifier, gate, minTargets, limit, attemptTimeout, retry,
          states, recheck, catchUp);
    }

    /**
     * Returns a copy with another per-attempt timeout.
     *
     * @param timeout the timeout, {@code > 0}
     * @return the copy
     * @throws IllegalArgumentException if not positive
     */
    public Fanout attemptTimeout(Duration timeout) {
      positive(timeout, "attemptTimeout");
      return new Fanout(name, discovery, notifier, gate, minTargets, concurrency, timeout, retry,
          states, recheck, catchUp);
    }

    /**
     * Returns a copy with another retry policy.
     *
     * @param policy the policy
     * @return the copy
     */
    public Fanout retry(RetryPolicy policy) {
      return new Fanout(name, discovery, notifier, gate, minTargets, concurrency, attemptTimeout,
          Objects.requireNonNull(policy, "policy"), states, recheck, catchUp);
    }

    /**
     * Returns a copy that delivers only to endpoints in the given states.
     *
     * @param accepted one or more states
     * @return the copy
     * @throws IllegalArgumentException if no state is given
     */
    public Fanout states(Endpoint.State... accepted) {
      if (accepted.length == 0) {
        throw new IllegalArgumentException("at least one endpoint state must be accepted");
      }
      return new Fanout(name, discovery, notifier, gate, minTargets, concurrency, attemptTimeout,
          retry, EnumSet.copyOf(Arrays.asList(accepted)), recheck, catchUp);
    }

    /**
     * Returns a copy that does, or does not, re-check membership after the fan-out.
     *
     * @param enabled whether to discover again and deliver to replicas that appeared meanwhile
     * @return the copy
     */
    public Fanout recheck(boolean enabled) {
      return new Fanout(name, discovery, notifier, gate, minTargets, concurrency, attemptTimeout,
          retry, states, enabled, catchUp);
    }

    /**
     * Returns a copy that catches up replicas: each replica that joins the stage's membership, or
     * comes back after being unreachable or not ready, is sent every path and tag invalidated in
     * the last {@code window} (narrowed to since when the replica says it is fresh), with the
     * other options of {@link CatchUpPolicy#of(Duration)}.
     *
     * @param window how far back the history reaches, {@code > 0}
     * @return the copy
     * @throws IllegalArgumentException if the window is not positive
     * @since 0.2
     */
    public Fanout catchUp(Duration window) {
      return catchUp(CatchUpPolicy.of(window));
    }

    /**
     * Returns a copy that catches up replicas as the policy says (see {@link #catchUp(Duration)}).
     *
     * @param policy the policy
     * @return the copy
     * @since 0.2
     */
    public Fanout catchUp(CatchUpPolicy policy) {
      return new Fanout(name, discovery, notifier, gate, minTargets, concurrency, attemptTimeout,
          retry, states, recheck, Objects.requireNonNull(policy, "policy"));
    }

    /**
     * Returns the catch-up policy, if the stage catches up replicas.
     *
     * @return the policy, or empty
     * @since 0.2
     */
    public Optional<CatchUpPolicy> catchUpPolicy() {
      return Optional.ofNullable(catchUp);
    }

    /** The same stage delivering through another notifier (a journal's progress-aware wrapper). */
    Fanout withNotifier(Notifier other) {
      return new Fanout(name, discovery, other, gate, minTargets, concurrency, attemptTimeout, retry,
          states, recheck, catchUp);
    }

    @Override
    public String toString() {
      return "Stage.fanout(" + name + ", " + discovery + ", gate " + gate + ")";
    }
  }

  /**
   * A purge stage: purgers run concurrently.
   *
   * @since 0.1
   */
  final class Purge implements Stage {
    private final String name;
    private final List<Purger> purgers;
    private final Gate gate;

    private Purge(String name, List<Purger> purgers, Gate gate) {
      this.name = name;
      this.purgers = purgers;
      this.gate = gate;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Gate gate() {
      return gate;
    }

    /**
     * Returns the purgers.
     *
     * @return the purgers, unmodifiable
     */
    public List<Purger> purgers() {
      return purgers;
    }

    /**
     * Returns a copy with another gate (counted over purgers).
     *
     * @param newGate the gate
     * @return the copy
     */
    public Purge gate(Gate newGate) {
      return new Purge(name, purgers, Objects.requireNonNull(newGate, "gate"));
    }

    /** The same stage with other purgers (a journal's progress-aware wrappers). */
    Purge withPurgers(List<Purger> other) {
      return new Purge(name, List.copyOf(other), gate);
    }

    @Override
    public String toString() {
      return "Stage.purge(" + name + ", " + purgers.size() + " purgers, gate " + gate + ")";
    }
  }
}
