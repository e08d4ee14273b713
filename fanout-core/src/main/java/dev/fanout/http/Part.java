package dev.fanout.http;

import dev.fanout.Invalidation;

/**
 * One request an invalidation becomes, the same for every target.
 *
 * @param invalidation the part of the invalidation it carries (what headers are computed from)
 * @param target the request target before encoding: the notifier's path, or the purged path
 * @param body the body, empty for none
 * @param webhookId the {@code webhook-id} it is signed under
 */
record Part(Invalidation invalidation, String target, byte[] body, String webhookId) {}
