package dev.fanout.spring;

import dev.fanout.FanoutListener;
import dev.fanout.InvalidationReport;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps the reports of the most recent invalidations, for the Actuator health indicator and the
 * {@code fanout} endpoint: a bounded ring buffer ({@code fanout.recent-reports}, default 50), the
 * oldest dropped first. The starter adds it to the invalidator's listeners; inject it to show the
 * recent reports elsewhere.
 *
 * <p>Thread-safe. Recording costs one short lock per finished invalidation. Reports carry no secret
 * (the library never puts one in a report).
 *
 * @since 0.1
 */
public final class RecentReports implements FanoutListener {
  private final int capacity;
  private final Clock clock;
  private final ArrayDeque<Recorded> reports;

  /**
   * A report and when it was recorded.
   *
   * @param report the report
   * @param finishedAt when the invalidation finished
   * @since 0.1
   */
  public record Recorded(InvalidationReport report, Instant finishedAt) {
    /**
     * Checks the components.
     *
     * @param report see the record description
     * @param finishedAt see the record description
     */
    public Recorded {
      Objects.requireNonNull(report, "report");
      Objects.requireNonNull(finishedAt, "finishedAt");
    }
  }

  /**
   * Creates an empty buffer.
   *
   * @param capacity the most reports kept, 1 to 10,000
   * @param clock the clock for {@link Recorded#finishedAt()}
   * @throws IllegalArgumentException if the capacity is out of range
   */
  public RecentReports(int capacity, Clock clock) {
    if (capacity < 1 || capacity > 10_000) {
      throw new IllegalArgumentException("capacity must be 1..10000: " + capacity);
    }
    this.capacity = capacity;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.reports = new ArrayDeque<>(Math.min(capacity, 64));
  }

  @Override
  public void onInvalidationEnd(InvalidationReport report) {
    Recorded r = new Recorded(report, clock.instant());
    synchronized (reports) {
      if (reports.size() == capacity) {
        reports.removeFirst();
      }
      reports.addLast(r);
    }
  }

  /**
   * Returns the recorded reports, newest first.
   *
   * @return a copy, possibly empty
   */
  public List<Recorded> list() {
    List<Recorded> out = new ArrayList<>();
    synchronized (reports) {
      Iterator<Recorded> it = reports.descendingIterator();
      while (it.hasNext()) {
        out.add(it.next());
      }
    }
    return out;
  }

  /**
   * Returns the most recent report of an invalidation id.
   *
   * @param id the invalidation id (for a coalesced flush, the merged invalidation's id)
   * @return the report, or empty when it is not (or no longer) kept
   */
  public Optional<Recorded> find(String id) {
    synchronized (reports) {
      Iterator<Recorded> it = reports.descendingIterator();
      while (it.hasNext()) {
        Recorded r = it.next();
        if (r.report().id().equals(id)) {
          return Optional.of(r);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Returns the most recent report.
   *
   * @return the report, or empty when none was recorded yet
   */
  public Optional<Recorded> latest() {
    synchronized (reports) {
      return Optional.ofNullable(reports.peekLast());
    }
  }

  /**
   * Returns how many reports are kept at most.
   *
   * @return the capacity
   */
  public int capacity() {
    return capacity;
  }
}
