package dev.fanout.internal;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What a failed future really failed with. Part of the kernel; not part of the public API. */
public final class Futures {
  private Futures() {}

  /**
   * Returns the cause behind the {@link CompletionException}s and {@link ExecutionException}s that
   * futures wrap around it; {@code error} itself when it is neither (or wraps nothing).
   *
   * @param error the failure, may be null
   * @return the cause, or null for null
   */
  public static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }
}
