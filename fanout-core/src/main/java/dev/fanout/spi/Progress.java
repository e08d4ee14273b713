package dev.fanout.spi;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What of one journal entry's delivery is already done: per stage, the targets (by
 * {@link dev.fanout.Endpoint#authority() authority}, {@code host:port}) that acknowledged it, and the
 * stages that completed. A retry sends the entry only to the targets and stages not named here.
 *
 * <p>Progress only grows: journals store the {@link #union(Progress) union} of what they are given,
 * so recording the same progress twice, or in pieces, or out of order, is safe.
 *
 * @param acked per stage name, the authorities that acknowledged; unmodifiable
 * @param stagesDone the names of the stages that completed (met their gate, or purged); unmodifiable
 * @since 0.2
 */
public record Progress(Map<String, Set<String>> acked, Set<String> stagesDone) {

  /** No progress. */
  public static final Progress NONE = new Progress(Map.of(), Set.of());

  /**
   * Copies the components.
   *
   * @param acked see the record description
   * @param stagesDone see the record description
   * @throws NullPointerException if a component, a stage name or an authority is null
   */
  public Progress {
    Map<String, Set<String>> copy = new LinkedHashMap<>();
    for (Map.Entry<String, Set<String>> e : acked.entrySet()) {
      Set<String> authorities = new LinkedHashSet<>(e.getValue());
      authorities.forEach(a -> Objects.requireNonNull(a, "authority"));
      if (!authorities.isEmpty()) {
        copy.put(Objects.requireNonNull(e.getKey(), "stage"), Set.copyOf(authorities));
      }
    }
    acked = Map.copyOf(copy);
    stagesDone = Set.copyOf(stagesDone);
  }

  /**
   * Returns the progress "these targets of this stage acknowledged".
   *
   * @param stage the stage name
   * @param authorities the targets' authorities ({@code host:port})
   * @return the progress
   */
  public static Progress acked(String stage, Collection<String> authorities) {
    return new Progress(Map.of(stage, Set.copyOf(authorities)), Set.of());
  }

  /**
   * Returns the progress "this stage completed".
   *
   * @param stage the stage name
   * @return the progress
   */
  public static Progress stageDone(String stage) {
    return new Progress(Map.of(), Set.of(stage));
  }

  /**
   * Returns the union of this and another progress.
   *
   * @param other the other progress
   * @return a progress naming every acknowledgement and completed stage of both
   */
  public Progress union(Progress other) {
    if (other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    Map<String, Set<String>> merged = new LinkedHashMap<>();
    acked.forEach((k, v) -> merged.put(k, new LinkedHashSet<>(v)));
    other.acked.forEach((k, v) -> merged.computeIfAbsent(k, x -> new LinkedHashSet<>()).addAll(v));
    Set<String> done = new LinkedHashSet<>(stagesDone);
    done.addAll(other.stagesDone);
    return new Progress(merged, done);
  }

  /**
   * Returns whether a target of a stage acknowledged.
   *
   * @param stage the stage name
   * @param authority the target's authority
   * @return true if recorded as acknowledged
   */
  public boolean isAcked(String stage, String authority) {
    return acked.getOrDefault(stage, Set.of()).contains(authority);
  }

  /**
   * Returns whether a stage completed.
   *
   * @param stage the stage name
   * @return true if recorded as done
   */
  public boolean isDone(String stage) {
    return stagesDone.contains(stage);
  }

  /**
   * Returns whether nothing is recorded.
   *
   * @return true for no acknowledgement and no completed stage
   */
  public boolean isEmpty() {
    return acked.isEmpty() && stagesDone.isEmpty();
  }
}
