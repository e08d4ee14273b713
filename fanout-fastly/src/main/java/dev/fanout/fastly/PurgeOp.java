package dev.fanout.fastly;

import dev.fanout.internal.PurgeRequests;
import java.net.URI;
import java.util.List;

/**
 * One Fastly API request to make (and retry) for an invalidation.
 *
 * @param kind what the request purges
 * @param uri the API URI
 * @param surrogateKeys the {@code Surrogate-Key} header value, or null when not a key batch
 * @param soft whether to send {@code Fastly-Soft-Purge: 1}
 * @param covers the paths and tags of the invalidation that stay stale if this request fails
 * @param label a short, secret-free description for logs and reports
 */
record PurgeOp(Kind kind, URI uri, String surrogateKeys, boolean soft, List<String> covers,
    String label)
    implements PurgeRequests.Request {

  enum Kind {
    /** {@code POST /service/{id}/purge} with up to 256 keys in {@code Surrogate-Key}. */
    KEYS,
    /** {@code POST /purge/{host}{path}}. */
    URL,
    /** {@code POST /service/{id}/purge_all}. */
    ALL
  }

  PurgeOp {
    covers = List.copyOf(covers);
  }
}
