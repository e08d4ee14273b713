package dev.fanout.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * A sender's claim on a journal entry until a moment: while the lease lasts, no other sender is
 * given the entry. A sender that stops renewing (it crashed, or hangs) loses it when {@code until}
 * passes, and another sender takes the entry over.
 *
 * <p>A lease is not a fence: a sender that was paused past its lease may still be sending while the
 * new holder sends too. That is why delivery is at-least-once and receivers deduplicate by
 * invalidation id; the journal refuses progress and completion from a sender that lost the lease.
 *
 * @param owner who holds it: a name unique per sender (for example a host name and a random
 *     suffix), 1 to {@value #MAX_OWNER_LENGTH} characters without control characters
 * @param until when it ends, by the journal's clock
 * @since 0.2
 */
public record Lease(String owner, Instant until) {

  /** The longest accepted owner name. */
  public static final int MAX_OWNER_LENGTH = 200;

  /**
   * Checks the components.
   *
   * @param owner see the record description
   * @param until see the record description
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException if the owner is blank, too long or has control characters
   */
  public Lease {
    checkOwner(owner);
    Objects.requireNonNull(until, "until");
  }

  /**
   * Checks an owner name as {@link Lease} requires it; the journals check the {@code owner}
   * arguments of their methods with it.
   *
   * @param owner the owner name
   * @return {@code owner}
   * @throws NullPointerException if it is null
   * @throws IllegalArgumentException if it is blank, longer than {@value #MAX_OWNER_LENGTH}
   *     characters or contains a control character
   */
  public static String checkOwner(String owner) {
    Objects.requireNonNull(owner, "owner");
    if (owner.isBlank() || owner.length() > MAX_OWNER_LENGTH) {
      throw new IllegalArgumentException(
          "lease owner must be 1 to " + MAX_OWNER_LENGTH + " characters and not blank");
    }
    for (int i = 0; i < owner.length(); i++) {
      char c = owner.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException("lease owner contains a control character at index " + i);
      }
    }
    return owner;
  }

  /**
   * Returns whether the lease still holds at the given moment.
   *
   * @param now the moment, by the journal's clock
   * @return true if {@code now} is before {@code until}
   */
  public boolean isLive(Instant now) {
    return now.isBefore(until);
  }
}
