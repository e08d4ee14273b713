// Interop between fanout's wire format and the `standardwebhooks` npm package, both ways.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { createReceiver } from '../lib/fanout-receiver.mjs';
import { fanoutSign, javaFixture, signedRequest } from './helpers.mjs';

const SECRET = javaFixture.secret;

async function atTimeAsync(seconds, fn) {
  const restore = mock.method(Date, 'now', () => seconds * 1000);
  try {
    return await fn();
  } finally {
    restore.mock.restore();
  }
}

function atTime(seconds, fn) {
  const restore = mock.method(Date, 'now', () => seconds * 1000);
  try {
    return fn();
  } finally {
    restore.mock.restore();
  }
}

test('a body signed the way fanout signs verifies with standardwebhooks', () => {
  const ts = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ id: 'inv_node_1', paths: ['/blog/café'], tags: ['post:1'], hop: 1 });
  const signature = fanoutSign(SECRET, 'inv_node_1', ts, body);
  const headers = { 'webhook-id': 'inv_node_1', 'webhook-timestamp': String(ts), 'webhook-signature': signature };

  assert.deepEqual(new Webhook(SECRET).verify(body, headers), JSON.parse(body));
  assert.throws(() => new Webhook(SECRET).verify(body.replace('1', '2'), headers), WebhookVerificationError);
  // And standardwebhooks' own signature is fanout's signature.
  assert.equal(new Webhook(SECRET).sign('inv_node_1', new Date(ts * 1000), body), signature);
});

test('the request signed by the Java HttpNotifier verifies with standardwebhooks', () => {
  const ts = Number(javaFixture.headers['webhook-timestamp']);
  const parsed = atTime(ts + 10, () => new Webhook(SECRET).verify(javaFixture.body, javaFixture.headers));

  assert.equal(parsed.id, javaFixture.expected.id);
  assert.deepEqual(parsed.paths, javaFixture.expected.paths);
  assert.deepEqual(parsed.tags, javaFixture.expected.tags);
  // The raw bytes as sent, non-ASCII included, are what is signed.
  assert.equal(
    fanoutSign(SECRET, javaFixture.headers['webhook-id'], ts, Buffer.from(javaFixture.body, 'utf8')),
    javaFixture.headers['webhook-signature'],
  );
  const tampered = javaFixture.body.replace('/posts/1', '/posts/2');
  assert.throws(
    () => atTime(ts, () => new Webhook(SECRET).verify(tampered, javaFixture.headers)),
    WebhookVerificationError,
  );
  assert.throws(
    () => atTime(ts + 301, () => new Webhook(SECRET).verify(javaFixture.body, javaFixture.headers)),
    /too old/,
  );
});

test('the route handler logic applies the Java request and revalidates each path and tag', async () => {
  const ts = Number(javaFixture.headers['webhook-timestamp']);
  const calls = [];
  const receiver = createReceiver({
    secrets: [SECRET],
    now: () => ts * 1000,
    revalidatePath: (p) => calls.push(['path', p]),
    revalidateTag: (t) => calls.push(['tag', t]),
  });
  const request = new Request('http://127.0.0.1:3000/api/revalidate', {
    method: 'POST',
    headers: javaFixture.headers,
    body: Buffer.from(javaFixture.body, 'utf8'),
  });

  const response = await atTimeAsync(ts, () => receiver.handle(request));

  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { id: 'inv_fixture_1', result: 'applied' });
  assert.deepEqual(calls, [
    ...javaFixture.expected.paths.map((p) => ['path', p]),
    ...javaFixture.expected.tags.map((t) => ['tag', t]),
  ]);
});

test('signatures made here are accepted by the route handler logic', async () => {
  const ts = Math.floor(Date.now() / 1000);
  const calls = [];
  const receiver = createReceiver({
    secrets: [SECRET],
    revalidatePath: (p) => calls.push(p),
    revalidateTag: (t) => calls.push(t),
  });
  const body = JSON.stringify({ id: 'inv_node_2', paths: ['/posts/7'], tags: [] });

  const response = await receiver.handle(signedRequest({ secret: SECRET, id: 'inv_node_2', timestamp: ts, body }));

  assert.equal(response.status, 200);
  assert.deepEqual(calls, ['/posts/7']);
});
