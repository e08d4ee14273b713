// The route's side of catch-up: the signals fanout's HttpNotifier sends before and after a
// replica's catch-up, fresh-since, and readiness held until the first catch-up arrived.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { createReceiver, NONCES_KEPT, parseSignal, processStart } from '../lib/fanout-receiver.mjs';
import { javaFixture, signedRequest } from './helpers.mjs';

const SECRET = javaFixture.secret;
const OTHER = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
const NOW = 1_767_225_600;
const BUILT = '2026-12-01T08:00:00.000Z';

function fixture(options = {}) {
  const calls = [];
  let clock = NOW * 1000;
  const receiver = createReceiver({
    secrets: [SECRET],
    now: () => clock,
    revalidatePath: (p) => calls.push(p),
    revalidateTag: (t) => calls.push(`#${t}`),
    ...options,
  });
  return { receiver, calls, advance: (ms) => { clock += ms; } };
}

async function signal(receiver, id, which, secret = SECRET, nonce = undefined) {
  const restore = mock.method(Date, 'now', () => NOW * 1000);
  try {
    const body = JSON.stringify({ id, catchUp: which, ...(nonce === undefined ? {} : { nonce }) });
    const response = await receiver.handle(signedRequest({ secret, id, timestamp: NOW, body }));
    return { status: response.status, json: await response.json() };
  } finally {
    restore.mock.restore();
  }
}

test('a start signal is answered with freshSince and revalidates nothing', async () => {
  const { receiver, calls } = fixture({ freshSince: BUILT });
  const answer = await signal(receiver, 'catchup_1:start', 'start');
  assert.match(answer.json.nonce, /^[A-Za-z0-9_-]{22}$/);
  const { nonce, ...rest } = answer.json;
  assert.deepEqual({ status: answer.status, json: rest },
    { status: 200, json: { id: 'catchup_1:start', result: 'catch-up', freshSince: BUILT } });
  assert.deepEqual(calls, []);
  assert.equal(receiver.isCaughtUp(), false);
});

test('freshSince defaults to the process start', async () => {
  const { receiver } = fixture();
  const answer = await signal(receiver, 'catchup_2:start', 'start');
  assert.equal(answer.json.freshSince, new Date(processStart()).toISOString());
  assert.ok(Math.abs(processStart() - (Date.now() - process.uptime() * 1000)) < 1000);
});

test('a signal signed with another secret or malformed is refused', async () => {
  const { receiver } = fixture({ holdReadinessMs: 60_000 });
  assert.equal((await signal(receiver, 'catchup_3:done', 'done', OTHER)).status, 401);
  assert.equal(receiver.isCaughtUp(), false);
  assert.equal((await signal(receiver, 'catchup_3:done', 'later')).status, 400);
  assert.throws(() => parseSignal('{"id":"a b","catchUp":"done"}'), /'id' must be/);
  assert.equal(parseSignal('{"id":"inv_1","paths":["/catchUp"]}'), null);
});

test('readiness is held until the first catch-up arrives', async () => {
  const { receiver } = fixture({ holdReadinessMs: 60_000 });
  assert.equal(receiver.readiness().status, 503);
  const { nonce } = (await signal(receiver, 'catchup_4:start', 'start')).json;
  assert.equal(receiver.readiness().status, 503, 'not before the end of the catch-up');
  await signal(receiver, 'catchup_4:done', 'done', SECRET, nonce);
  const ready = receiver.readiness();
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { ready: true, caughtUp: true });
});

test('a done replayed from an earlier life of the replica releases nothing', async () => {
  // The earlier life: a catch-up whose signed done was recorded.
  const before = fixture({ holdReadinessMs: 60_000 }).receiver;
  const old = (await signal(before, 'catchup_6:start', 'start')).json.nonce;
  await signal(before, 'catchup_6:done', 'done', SECRET, old);
  assert.equal(before.readiness().status, 200);

  // Restarted with an empty replay cache: the replay, a done without a nonce and one with a nonce
  // never issued are answered, and count for nothing.
  const after = fixture({ holdReadinessMs: 60_000 }).receiver;
  assert.equal((await signal(after, 'catchup_6:done', 'done', SECRET, old)).status, 200);
  await signal(after, 'catchup_7:start', 'start');
  await signal(after, 'catchup_7:done', 'done');
  await signal(after, 'catchup_8:done', 'done', SECRET, 'AAAAAAAAAAAAAAAAAAAAAA');
  assert.equal(after.isCaughtUp(), false);
  assert.equal(after.readiness().status, 503);

  const fresh = (await signal(after, 'catchup_9:start', 'start')).json.nonce;
  await signal(after, 'catchup_9:done', 'done', SECRET, fresh);
  assert.equal(after.readiness().status, 200);
  assert.throws(() => parseSignal('{"id":"x","catchUp":"done","nonce":"short"}'), /'nonce' must be/);
});

test('a captured start replayed as often as nonces are kept does not evict the sender\'s nonce', async () => {
  const { receiver } = fixture({ holdReadinessMs: 60_000 });
  const { nonce } = (await signal(receiver, 'catchup_10:start', 'start')).json;
  assert.equal(NONCES_KEPT, 64);
  for (let i = 0; i < NONCES_KEPT; i++) {
    const again = await signal(receiver, 'catchup_10:start', 'start');
    assert.equal(again.status, 200);
    assert.equal(again.json.nonce, nonce, 'the replay gets the same nonce');
  }
  const done = await signal(receiver, 'catchup_10:done', 'done', SECRET, nonce);
  assert.deepEqual({ status: done.status, caughtUp: done.json.caughtUp }, { status: 200, caughtUp: true });
  assert.equal(receiver.isCaughtUp(), true);
  assert.equal(receiver.readiness().status, 200);
});

test('a done that does not count says so', async () => {
  const { receiver } = fixture({ freshSince: BUILT });
  const { nonce } = (await signal(receiver, 'catchup_11:start', 'start')).json;
  assert.equal((await signal(receiver, 'catchup_11:done', 'done', SECRET, nonce)).json.caughtUp, true);
  for (const [id, n] of [['catchup_11:done', nonce], ['catchup_12:done', 'AAAAAAAAAAAAAAAAAAAAAA'], ['catchup_13:done', undefined]]) {
    const answer = await signal(receiver, id, 'done', SECRET, n);
    assert.deepEqual(answer, {
      status: 200, json: { id, result: 'catch-up', freshSince: BUILT, caughtUp: false },
    });
  }
});

test('starts with distinct ids still take one place each', async () => {
  const { receiver } = fixture();
  const first = (await signal(receiver, 'catchup_a0:start', 'start')).json.nonce;
  for (let i = 1; i <= NONCES_KEPT; i++) await signal(receiver, `catchup_a${i}:start`, 'start');
  const done = await signal(receiver, 'catchup_a0:done', 'done', SECRET, first);
  assert.equal(done.json.caughtUp, false, 'the oldest nonce was dropped');
  assert.equal(receiver.isCaughtUp(), false);
});

test('readiness is released when the hold runs out without a catch-up', () => {
  const { receiver, advance } = fixture({ holdReadinessMs: 60_000 });
  advance(59_999);
  assert.equal(receiver.readiness().status, 503);
  advance(1);
  assert.equal(receiver.readiness().status, 200);
  assert.equal(receiver.isCaughtUp(), false);
});

test('without a hold the receiver is ready at once; bad options are refused', () => {
  assert.equal(fixture().receiver.readiness().status, 200);
  assert.throws(() => fixture({ holdReadinessMs: 0 }), /holdReadinessMs/);
  assert.throws(() => fixture({ freshSince: 'yesterday' }), /freshSince/);
});
