package dev.fanout.gateway;

/**
 * A well-formed, authentic webhook that deliberately changes nothing, such as Strapi's {@code
 * trigger-test} event: answered 200 with the reason, so a CMS's "test" button shows success.
 */
final class WebhookIgnored extends RuntimeException {
  private static final long serialVersionUID = 1L;

  WebhookIgnored(String reason) {
    super(reason, null, false, false);
  }
}
