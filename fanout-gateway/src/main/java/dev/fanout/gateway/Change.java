package dev.fanout.gateway;

import dev.fanout.Invalidation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * What a CMS webhook says changed, once authenticated and mapped: which content (source, model,
 * entity id), as of when ({@code updatedAt}, the CMS's own modification time), by which event, and
 * the paths and tags to invalidate.
 *
 * <p>The invalidation's id is derived from source, model, entity id, modification time and event,
 * when the payload has an id and a modification time: the same change announced twice (a CMS
 * retry, two hooks of one save, two gateway replicas behind one Service) gets the same id, which
 * both the gateway and the journal recognise as a duplicate. The event is part of it because a
 * delete or an unpublish carries the entry's last modification time, which its preceding update
 * already had; dropping it as a duplicate would leave the deleted page cached.
 *
 * @param source {@code wordpress}, {@code strapi} or {@code hook:<name>}
 * @param model the content type (post type, taxonomy, Strapi model), or {@code null}
 * @param entityId the entry's id, or {@code null}
 * @param updatedAt the CMS's modification time as it sent it, or {@code null}
 * @param event the CMS's event name, or {@code null}
 * @param paths the paths to invalidate
 * @param tags the tags to invalidate
 */
record Change(String source, String model, String entityId, String updatedAt, String event,
    List<String> paths, List<String> tags) {

  Change {
    paths = List.copyOf(paths);
    tags = List.copyOf(tags);
  }

  /** Returns whether duplicates of this change can be recognised. */
  boolean identifiable() {
    return entityId != null && updatedAt != null;
  }

  /**
   * Builds the invalidation.
   *
   * @return the invalidation, with the derived id when {@link #identifiable()}, a fresh one
   *     otherwise
   * @throws WebhookRejected 422 when a path or tag breaks fanout's wire grammar
   */
  Invalidation toInvalidation() {
    Invalidation.Builder b = Invalidation.builder().paths(paths).tags(tags);
    if (identifiable()) {
      b.id("gw_" + digest());
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw WebhookRejected.unprocessable(e.getMessage());
    }
  }

  private String digest() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String part : new String[] {source, model, entityId, updatedAt, event}) {
        byte[] bytes = String.valueOf(part).getBytes(StandardCharsets.UTF_8);
        // Length-prefixed, so no two different tuples hash the same input.
        md.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        md.update((byte) ':');
        md.update(bytes);
      }
      return HexFormat.of().formatHex(md.digest(), 0, 20);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
