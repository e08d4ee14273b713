package dev.fanout.gateway;

/** Webhook bodies as the CMSs document them, and the secrets the tests configure. */
final class Payloads {
  private Payloads() {}

  /** Strapi's header value (Authorization: Bearer ...), as its webhook settings would send it. */
  static final String STRAPI_TOKEN = "Bearer strapi-webhook-token-0123456789";

  /** The generic hook's Standard Webhooks secret. */
  static final String HOOK_SECRET = "whsec_aG9vay1zaWduaW5nLXNlY3JldC10aGlydHktdHdvIQ==";

  /** The generic header hook's secret. */
  static final String HEADER_SECRET = "header-hook-secret-0123456789";

  /** A Strapi 5 entry webhook: event, createdAt, model, uid, entry (with documentId). */
  static String strapi(String event, String slug, String documentId, String updatedAt) {
    return """
        {
          "event": "%s",
          "createdAt": "2026-12-04T11:02:03.456Z",
          "model": "article",
          "uid": "api::article.article",
          "entry": {
            "id": 7,
            "documentId": "%s",
            "title": "Hello world",
            "slug": "%s",
            "createdAt": "2026-12-01T09:00:00.000Z",
            "updatedAt": "%s",
            "publishedAt": "2026-12-04T11:02:03.401Z",
            "locale": null
          }
        }
        """.formatted(event, documentId, slug, updatedAt);
  }
}
