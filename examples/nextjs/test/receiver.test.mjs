// What the Next.js route handler's receiver accepts and rejects, with which status.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { checkSecret, createReceiver, pathProblem } from '../lib/fanout-receiver.mjs';
import { fanoutSign, javaFixture, signedRequest } from './helpers.mjs';

const SECRET = javaFixture.secret;
const OLD_SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const NOW = 1_767_225_600;

function fixture({ revalidatePath, secrets = [SECRET], ...options } = {}) {
  const calls = [];
  const lines = [];
  const receiver = createReceiver({
    secrets,
    now: () => NOW * 1000,
    revalidatePath: revalidatePath ?? ((p) => calls.push(p)),
    revalidateTag: (t) => calls.push(`#${t}`),
    log: (line) => lines.push(line),
    ...options,
  });
  return { receiver, calls, lines };
}

const body = (extra = {}) => JSON.stringify({ id: 'inv_1', paths: ['/posts/1'], tags: ['post:1'], ...extra });

async function send(receiver, options) {
  const restore = mock.method(Date, 'now', () => NOW * 1000);
  try {
    const response = await receiver.handle(signedRequest({ secret: SECRET, id: 'inv_1', timestamp: NOW, body: body(), ...options }));
    return { status: response.status, json: await response.json() };
  } finally {
    restore.mock.restore();
  }
}

test('secrets are checked at start-up without being quoted', () => {
  for (const bad of ['', '   ', 'whsec_', 'whsec_c2hvcnQ=', 'not base64 at all!']) {
    assert.throws(() => createReceiver({ secrets: [bad], revalidatePath() {}, revalidateTag() {} }), (e) => {
      assert.ok(bad.trim().length < 7 || !e.message.includes(bad.trim()));
      return true;
    });
  }
  assert.throws(() => createReceiver({ secrets: [], revalidatePath() {}, revalidateTag() {} }));
  assert.equal(checkSecret(SECRET), SECRET);
});

test('a signed invalidation is applied once and answered 200 after revalidation', async () => {
  const { receiver, calls } = fixture();

  assert.deepEqual(await send(receiver), { status: 200, json: { id: 'inv_1', result: 'applied' } });
  assert.deepEqual(calls, ['/posts/1', '#post:1']);
});

test('headers: missing id or timestamp is 400, missing signature 401, malformed 400', async () => {
  const { receiver, calls } = fixture();
  assert.equal((await send(receiver, { headers: { 'webhook-id': undefined } })).status, 400);
  assert.equal((await send(receiver, { headers: { 'webhook-timestamp': undefined } })).status, 400);
  assert.equal((await send(receiver, { headers: { 'webhook-signature': undefined } })).status, 401);
  assert.equal((await send(receiver, { headers: { 'webhook-id': 'inv.1' } })).status, 400);
  assert.equal((await send(receiver, { headers: { 'webhook-timestamp': '1e9' } })).status, 400);
  assert.equal((await send(receiver, { headers: { 'webhook-timestamp': '-1' } })).status, 400);
  assert.equal((await send(receiver, { method: 'GET' })).status, 405);
  assert.deepEqual(calls, []);
});

test('signature and timestamp: wrong key, tampered body, outside tolerance are 401', async () => {
  const { receiver, calls } = fixture();
  const wrong = { 'webhook-signature': fanoutSign(OLD_SECRET, 'inv_1', NOW, body()) };
  assert.deepEqual(await send(receiver, { headers: wrong }), { status: 401, json: { error: 'bad signature' } });
  const tampered = { 'webhook-signature': fanoutSign(SECRET, 'inv_1', NOW, body({ tags: ['post:2'] })) };
  assert.equal((await send(receiver, { headers: tampered })).status, 401);
  assert.equal((await send(receiver, { timestamp: NOW - 301 })).status, 401);
  assert.equal((await send(receiver, { timestamp: NOW + 301 })).status, 401);
  assert.equal((await send(receiver, { timestamp: NOW - 300, id: 'inv_edge' })).status, 200);
  assert.deepEqual(calls, ['/posts/1', '#post:1']);
});

test('rotation: any v1 signature by any configured secret passes', async () => {
  const { receiver } = fixture({ secrets: [SECRET, OLD_SECRET] });
  const both = `${fanoutSign(OLD_SECRET, 'inv_1', NOW, body())} v1a,xyz ${fanoutSign(SECRET, 'inv_1', NOW, body())}`;
  assert.equal((await send(receiver, { headers: { 'webhook-signature': both } })).status, 200);
  const oldOnly = { 'webhook-signature': fanoutSign(OLD_SECRET, 'inv_2', NOW, body()) };
  assert.equal((await send(receiver, { id: 'inv_2', headers: oldOnly })).status, 200);
});

test('a replayed id answers 200 without revalidating again; a failed one runs again', async () => {
  let fail = true;
  const paths = [];
  const { receiver } = fixture({
    revalidatePath: (p) => {
      paths.push(p);
      if (fail) throw new Error('cache write failed');
    },
  });

  assert.deepEqual(await send(receiver), { status: 500, json: { error: 'handler failed' } });
  fail = false;
  assert.equal((await send(receiver)).json.result, 'applied');
  assert.equal((await send(receiver)).json.result, 'duplicate');
  assert.deepEqual(paths, ['/posts/1', '/posts/1']);
});

test('concurrent duplicates share one revalidation', async () => {
  let release;
  const gate = new Promise((r) => { release = r; });
  let runs = 0;
  const { receiver } = fixture({ revalidatePath: async () => { runs++; await gate; } });

  const a = send(receiver);
  const b = send(receiver);
  release();

  const results = [(await a).json.result, (await b).json.result].sort();
  assert.deepEqual(results, ['applied', 'duplicate']);
  assert.equal(runs, 1);
});

test('bodies over the limit are 413, declared or streamed', async () => {
  const { receiver, calls } = fixture({ maxBodyBytes: 1024 });
  const big = body({ paths: ['/' + 'a'.repeat(2000)] });
  assert.equal((await send(receiver, { body: big })).status, 413);
  assert.equal((await send(receiver, { headers: { 'content-length': '99999999' } })).status, 413);
  let pulled = 0;
  const endless = new ReadableStream({
    pull(controller) {
      pulled += 4096;
      controller.enqueue(new Uint8Array(4096));
    },
  });
  const request = new Request('http://127.0.0.1/api/revalidate', {
    method: 'POST', body: endless, duplex: 'half',
    headers: { 'webhook-id': 'inv_s', 'webhook-timestamp': String(NOW), 'webhook-signature': 'v1,AAAA' },
  });
  assert.equal((await receiver.handle(request)).status, 413);
  assert.ok(pulled < 64 * 1024, `read ${pulled} bytes`);
  assert.deepEqual(calls, []);
});

test('malformed bodies and wrong types are 400 after a valid signature', async () => {
  const { receiver, calls } = fixture();
  const cases = [
    '', 'null', '[]', '{', 'not json', '{"id":5,"paths":["/a"]}', '{"id":"inv_1","paths":"/a"}',
    '{"id":"inv_1","paths":[1]}', '{"id":"inv_1"}', '{"id":"inv_1","paths":["/a"],"hop":"1"}',
    '{"id":"inv_1","paths":["/a"],"version":1.5}', `{"id":"inv_1","tags":["${'t'.repeat(257)}"]}`,
    `{"id":"inv_1","tags":[${Array.from({ length: 1001 }, (_, i) => `"t${i}"`).join(',')}]}`,
  ];
  for (const [i, text] of cases.entries()) {
    const r = await send(receiver, { id: `inv_m${i}`, body: text });
    assert.equal(r.status, 400, text.slice(0, 60));
    assert.match(r.json.error, /^bad body/);
  }
  assert.deepEqual(calls, []);
});

test('paths that are not plain absolute paths are 400 and never revalidated', async () => {
  const { receiver, calls } = fixture();
  const bad = [
    'http://169.254.169.254/x', '//evil.example/x', '/\\evil', 'relative', '/a/../b', '/a/%2e%2e/b',
    '/a%2F..%2Fb', '/a#f', '/a b', '/a%0d%0aX', '/%zz', '/%c0%ae', '/a\u202eb', '/sale/50%off',
    '/' + 'a'.repeat(1024),
  ];
  for (const [i, p] of bad.entries()) {
    assert.notEqual(pathProblem(p), null, p);
    const r = await send(receiver, { id: `inv_p${i}`, body: JSON.stringify({ id: 'inv_p', paths: [p] }) });
    assert.equal(r.status, 400, p);
  }
  for (const p of ['/', '/posts/1', '/blog/café', '/blog/caf%C3%A9', '/posts/*', '/.well-known/x', '/a?q=1']) {
    assert.equal(pathProblem(p), null, p);
  }
  assert.deepEqual(calls, []);
});

test('a path with a query revalidates its pathname', async () => {
  const { receiver, calls } = fixture();
  const r = await send(receiver, { body: JSON.stringify({ id: 'inv_q', paths: ['/search?q=1', '/search?q=2', '/a'] }) });
  assert.equal(r.status, 200);
  assert.deepEqual(calls, ['/search', '/a']);
});

test('log lines carry no secret and no signature', async () => {
  const { receiver, lines } = fixture();
  await send(receiver);
  await send(receiver, { headers: { 'webhook-signature': 'v1,AAAA' }, id: 'inv_x' });
  const all = lines.join('\n');
  assert.ok(lines.length >= 2);
  assert.ok(!all.includes(SECRET.slice(6, 20)));
  assert.ok(!all.includes(fanoutSign(SECRET, 'inv_1', NOW, body()).slice(3)));
});

test('the replay cache is bounded', async () => {
  const { receiver } = fixture({ replayCacheSize: 3 });
  for (let i = 0; i < 10; i++) {
    assert.equal((await send(receiver, { id: `inv_r${i}` })).status, 200);
  }
  assert.equal(receiver.replayCacheSize(), 3);
});
