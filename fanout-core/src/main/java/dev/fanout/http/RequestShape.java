package dev.fanout.http;

import dev.fanout.Invalidation;
import java.util.List;

/**
 * What requests an invalidation becomes, whatever the target: the signed JSON POST ({@link
 * JsonShape}), one {@code PURGE} per path ({@link PerPathShape}) or {@code xkey-purge} headers
 * ({@link XkeyShape}). Headers, signing and the endpoint are {@link RequestFactory}'s.
 */
interface RequestShape {
  /**
   * Splits an invalidation into requests.
   *
   * @param invalidation the invalidation
   * @return the parts, in sending order; empty when there is nothing to send
   */
  List<Part> parts(Invalidation invalidation);

  /**
   * Whether several parts are chunks of one body, each naming itself in its body, so that a
   * failure is reported as "chunk i of n".
   *
   * @return true for chunks
   */
  default boolean chunks() {
    return false;
  }

  /**
   * The request target as {@code toString()} shows it.
   *
   * @return the path, or a placeholder when it varies per part
   */
  String describeTarget();
}
