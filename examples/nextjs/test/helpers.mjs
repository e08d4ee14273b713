import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The Java side's request, captured from fanout's HttpNotifier by fanout-core's NodeFixtureTest. */
export const javaFixture = JSON.parse(
  readFileSync(new URL('./fixtures/java-signed.json', import.meta.url), 'utf8'),
);

/**
 * Signs the way fanout's WebhookSigner does, written here from the Standard Webhooks spec rather
 * than with the package under test: v1,<base64 HMAC-SHA256 of "id.timestamp." + raw body bytes>.
 */
export function fanoutSign(secret, id, timestamp, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key);
  mac.update(`${id}.${timestamp}.`, 'utf8');
  mac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return `v1,${mac.digest('base64')}`;
}

/** A web Request as a Next.js route handler receives it. */
export function signedRequest({ secret, id, timestamp, body, headers = {}, method = 'POST' }) {
  const h = new Headers({
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': fanoutSign(secret, id, timestamp, body),
  });
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) h.delete(k);
    else h.set(k, v);
  }
  return new Request('http://127.0.0.1:3000/api/revalidate', {
    method,
    headers: h,
    body: method === 'GET' ? undefined : body,
  });
}
