// The wire contract, against what Java produces: the same verdict on every path and tag of a
// generated corpus (fanout-core's NodeWireFixtureTest writes it with WireContract's reasons), and
// the chunked, signed requests of fanout's HttpNotifier applied completely.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mock, test } from 'node:test';
import { createReceiver, DEFAULTS, pathname, pathProblem, tagProblem, WIRE } from '../lib/fanout-receiver.mjs';
import { signedRequest } from './helpers.mjs';

const load = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const corpus = load('wire-corpus.json');
const chunks = load('java-chunks.json');

function receiverAt(fixture, options = {}) {
  const paths = [];
  const tags = [];
  const lines = [];
  const receiver = createReceiver({
    secrets: [fixture.secret],
    now: () => fixture.timestamp * 1000,
    revalidatePath: (p) => paths.push(p),
    revalidateTag: (t) => tags.push(t),
    log: (line) => lines.push(line),
    ...options,
  });
  return { receiver, paths, tags, lines };
}

/** Sends the fixture's Java-signed requests, with the clock at their signing time. */
async function sendAll(receiver, fixture, requests = fixture.requests) {
  const restore = mock.method(Date, 'now', () => fixture.timestamp * 1000);
  try {
    const answers = [];
    for (const r of requests) {
      const response = await receiver.handle(new Request('http://127.0.0.1:3000/api/revalidate', {
        method: 'POST', headers: r.headers, body: Buffer.from(r.body, 'utf8'),
      }));
      answers.push({ status: response.status, json: await response.json() });
    }
    return answers;
  } finally {
    restore.mock.restore();
  }
}

test('the receiver defaults are the wire contract', () => {
  assert.deepEqual(
    { maxBodyBytes: DEFAULTS.maxBodyBytes, maxPaths: DEFAULTS.maxPaths, maxTags: DEFAULTS.maxTags },
    { maxBodyBytes: 65536, maxPaths: 1000, maxTags: 1000 },
  );
  assert.equal(WIRE.maxPathLength, 1024);
  assert.equal(WIRE.maxTagLength, 256);
});

test('every path and tag gets the verdict Java gives it, reason included', () => {
  const disagree = [];
  for (const { value, problem } of corpus.paths) {
    if (pathProblem(value) !== problem) disagree.push({ path: value, java: problem, node: pathProblem(value) });
  }
  for (const { value, problem } of corpus.tags) {
    if (tagProblem(value) !== problem) disagree.push({ tag: value, java: problem, node: tagProblem(value) });
  }
  assert.deepEqual(disagree.slice(0, 5), []);
  assert.ok(corpus.paths.filter((c) => c.problem === null).length > 100);
  assert.ok(corpus.paths.filter((c) => c.problem !== null).length > 100);
});

test('every path and tag the Java builder accepted is applied from Java-signed requests', async () => {
  const { receiver, paths, tags } = receiverAt(corpus);
  const answers = await sendAll(receiver, corpus);

  assert.deepEqual(answers.map((a) => a.status), corpus.requests.map(() => 200));
  const acceptedPaths = corpus.paths.filter((c) => c.problem === null).map((c) => c.value);
  const acceptedTags = corpus.tags.filter((c) => c.problem === null).map((c) => c.value);
  assert.deepEqual(new Set(paths), new Set(acceptedPaths.map(pathname)));
  assert.deepEqual(tags, acceptedTags);
});

test('what Java refuses, the receiver refuses in a signed request too', async () => {
  const { receiver, paths, tags } = receiverAt(corpus);
  const refused = [
    ...corpus.paths.filter((c) => c.problem !== null).map((c) => ({ paths: [c.value] })),
    ...corpus.tags.filter((c) => c.problem !== null).map((c) => ({ tags: [c.value] })),
  ];
  const restore = mock.method(Date, 'now', () => corpus.timestamp * 1000);
  try {
    for (const [i, content] of refused.entries()) {
      const body = JSON.stringify({ id: 'inv_refused', ...content });
      const response = await receiver.handle(signedRequest({
        secret: corpus.secret, id: `inv_r${i}`, timestamp: corpus.timestamp, body,
      }));
      assert.equal(response.status, 400, JSON.stringify(content));
    }
  } finally {
    restore.mock.restore();
  }
  assert.deepEqual([paths, tags], [[], []]);
});

test('10,000 paths sent as chunks by the Java HttpNotifier are all revalidated, once', async () => {
  const { receiver, paths, tags, lines } = receiverAt(chunks);
  const answers = await sendAll(receiver, chunks);

  assert.equal(chunks.requests.length, 11);
  assert.deepEqual(answers.map((a) => a.status), chunks.requests.map(() => 200));
  const ids = chunks.requests.map((r) => r.headers['webhook-id']);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids.slice(0, 2), ['inv_chunks_1:0of11', 'inv_chunks_1:1of11']);
  for (const r of chunks.requests) {
    assert.ok(Buffer.byteLength(r.body, 'utf8') <= WIRE.maxBodyBytes);
  }
  assert.equal(paths.length, 10_000);
  assert.deepEqual(new Set(paths), new Set(Array.from({ length: 10_000 }, (_, i) => `/p/${i}`)));
  assert.deepEqual(tags, Array.from({ length: 1_500 }, (_, i) => `tag:${i}`));
  assert.match(lines[0], /chunk 1\/11/);

  // A resent chunk is a replay: answered, not applied again
  const again = await sendAll(receiver, chunks, chunks.requests.slice(3, 4));
  assert.deepEqual(again, [{ status: 200, json: { id: 'inv_chunks_1:3of11', result: 'duplicate' } }]);
  assert.equal(paths.length, 10_000);
});

test('a malformed chunk field is 400', async () => {
  const { receiver, paths } = receiverAt(chunks);
  const restore = mock.method(Date, 'now', () => chunks.timestamp * 1000);
  try {
    for (const [i, chunk] of [{ index: 3, count: 3 }, { index: -1, count: 2 }, { index: 0 }, '0/2', [0, 2]].entries()) {
      const body = JSON.stringify({ id: 'inv_c', paths: ['/a'], chunk });
      const response = await receiver.handle(signedRequest({
        secret: chunks.secret, id: `inv_c${i}`, timestamp: chunks.timestamp, body,
      }));
      assert.equal(response.status, 400, JSON.stringify(chunk));
    }
  } finally {
    restore.mock.restore();
  }
  assert.deepEqual(paths, []);
});
