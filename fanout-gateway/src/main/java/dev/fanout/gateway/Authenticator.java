package dev.fanout.gateway;

/**
 * Decides whether an inbound request comes from the CMS it claims to come from. Checked on the raw
 * body bytes, before anything of the body is parsed.
 */
interface Authenticator {

  /**
   * Checks a request.
   *
   * @param request the headers and raw body
   * @return the request's delivery id when it has one (Standard Webhooks' {@code webhook-id}), for
   *     replay detection; {@code null} otherwise
   * @throws WebhookRejected 401 when it is not authentic
   */
  String authenticate(InboundRequest request);
}
