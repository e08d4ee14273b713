// The route's side of catch-up: the signals fanout's HttpNotifier sends before and after a
// replica's catch-up, fresh-since, and readiness held until the first catch-up arrived.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { createReceiver, parseSignal, processStart } from '../lib/fanout-receiver.mjs';
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

async function signal(receiver, id, which, secret = SECRET) {
  const restore = mock.method(Date, 'now', () => NOW * 1000);
  try {
    const body = JSON.stringify({ id, catchUp: which });
    const response = await receiver.handle(signedRequest({ secret, id, timestamp: NOW, body }));
    return { status: response.status, json: await response.json() };
  } finally {
    restore.mock.restore();
  }
}

test('a start signal is answered with freshSince and revalidates nothing', async () => {
  const { receiver, calls } = fixture({ freshSince: BUILT });
  const answer = await signal(receiver, 'catchup_1:start', 'start');
  assert.deepEqual(answer, { status: 200, json: { id: 'catchup_1:start', result: 'catch-up', freshSince: BUILT } });
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
  await signal(receiver, 'catchup_4:start', 'start');
  assert.equal(receiver.readiness().status, 503, 'not before the end of the catch-up');
  await signal(receiver, 'catchup_4:done', 'done');
  const ready = receiver.readiness();
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { ready: true, caughtUp: true });
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
