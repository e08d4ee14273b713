package dev.fanout.internal;

import java.util.List;

/**
 * The one shape of the message with which a purger refuses an invalidation before sending
 * anything: whose it is, how many problems, the first few of them. Part of the kernel; not part of
 * the public API.
 */
public final class Refusals {
  /** How many problems a message lists; the rest are counted. */
  public static final int MAX_PROBLEMS_SHOWN = 5;

  private Refusals() {}

  /**
   * Words the refusal, e.g. {@code Fastly service 'SU1Z0isx': invalidation 42 not sent, 2 problems:
   * tag 'a b': has a space; path '/x*': ...}.
   *
   * @param target what would have been purged, e.g. {@code Fastly service 'SU1Z0isx'}
   * @param invalidationId the invalidation's id
   * @param problems one line per problem, scrubbed and printable; not empty
   * @return the message
   */
  public static String message(String target, String invalidationId, List<String> problems) {
    StringBuilder sb = new StringBuilder(target)
        .append(": invalidation ").append(invalidationId).append(" not sent, ")
        .append(problems.size()).append(problems.size() == 1 ? " problem: " : " problems: ");
    int shown = Math.min(MAX_PROBLEMS_SHOWN, problems.size());
    sb.append(String.join("; ", problems.subList(0, shown)));
    if (problems.size() > MAX_PROBLEMS_SHOWN) {
      sb.append("; and ").append(problems.size() - MAX_PROBLEMS_SHOWN).append(" more");
    }
    return sb.toString();
  }
}
