// Receives fanout's signed invalidations in a Next.js route handler (or any server with the web
// Request/Response API). Framework-free so that node:test can run it without Next.js.
//
// Order of checks, as in fanout's Java InvalidationReceiver: size (413), headers (400/401),
// timestamp tolerance (401), Standard Webhooks signature over the raw bytes with the
// `standardwebhooks` package (401), then parsing and validation against the wire contract (400),
// replay (200 duplicate), and only then the revalidation (200 once done, 500 if it threw). A large
// invalidation arrives as several chunks, each a request of its own with its own webhook-id.

import { randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/**
 * The wire contract between fanout's HttpNotifier and its receivers, mirrored from the Java class
 * dev.fanout.WireContract: the limits of one request and the grammar of paths and tags. Java
 * refuses at the sender whatever this file refuses, and test/wire.test.mjs checks this file against
 * a corpus Java generates (test/fixtures/wire-corpus.json, with Java's verdict on each value), so
 * the two cannot drift apart. Change both together.
 */
export const WIRE = Object.freeze({
  maxPathsPerRequest: 1000,
  maxTagsPerRequest: 1000,
  maxBodyBytes: 64 * 1024,
  // Next.js's revalidatePath ignores longer paths; it never assigns longer tags.
  maxPathLength: 1024,
  maxTagLength: 256,
  maxWebhookIdLength: 256,
  maxHop: 16,
});

/** The receiver's defaults: WireContract's limits. A receiver may accept more, never less. */
export const DEFAULTS = Object.freeze({
  maxBodyBytes: WIRE.maxBodyBytes,
  maxPaths: WIRE.maxPathsPerRequest,
  maxTags: WIRE.maxTagsPerRequest,
  replayCacheSize: 10_000,
  toleranceSeconds: 5 * 60,
});

/** Next.js limits: revalidatePath takes paths up to 1024 characters, tags longer than 256 are never assigned. */
export const NEXT_MAX_PATH_LENGTH = WIRE.maxPathLength;
export const NEXT_MAX_TAG_LENGTH = WIRE.maxTagLength;

const WEBHOOK_ID = /^[\x21-\x2d\x2f-\x7e]{1,256}$/;
const TIMESTAMP = /^[0-9]{1,15}$/;
const INVALIDATION_ID = /^[A-Za-z0-9_:-]{1,128}$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
/** Outstanding catch-up nonces kept: more than the catch-ups that run at once for one replica. */
export const NONCES_KEPT = 64;

// Forbidden characters, by code point, from explicit tables (not the runtime's Unicode version),
// exactly as in WireContract: whitespace outside the controls, and format characters (Cf).
const SPACE = [
  [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029],
  [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000],
];
const FORMAT = [
  [0xad, 0xad], [0x600, 0x605], [0x61c, 0x61c], [0x6dd, 0x6dd], [0x70f, 0x70f], [0x890, 0x891],
  [0x8e2, 0x8e2], [0x180e, 0x180e], [0x200b, 0x200f], [0x202a, 0x202e], [0x2060, 0x2064],
  [0x2066, 0x206f], [0xfeff, 0xfeff], [0xfff9, 0xfffb], [0x110bd, 0x110bd], [0x110cd, 0x110cd],
  [0x13430, 0x1343f], [0x1bca0, 0x1bca3], [0x1d173, 0x1d17a], [0xe0001, 0xe0001], [0xe0020, 0xe007f],
];

class Rejection extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

/**
 * Checks a Standard Webhooks secret (`whsec_<base64>` or `<base64>`, 24 to 64 bytes) without ever
 * putting it in an error message.
 */
export function checkSecret(secret) {
  if (typeof secret !== 'string' || secret.trim() === '') {
    throw new Error('signing secret is empty');
  }
  const b64 = secret.trim().replace(/^whsec_/, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new Error("signing secret is not base64 (expected 'whsec_<base64>')");
  }
  const bytes = Buffer.from(b64, 'base64').length;
  if (bytes < 24 || bytes > 64) {
    throw new Error(`signing secret must decode to 24 to 64 bytes, got ${bytes}`);
  }
  return secret.trim();
}

/**
 * Returns null for a path the wire grammar accepts, otherwise a short reason that does not quote it
 * (WireContract.pathProblem's reason, word for word).
 */
export function pathProblem(path) {
  if (typeof path !== 'string' || path.length === 0 || path[0] !== '/') return 'path is not absolute';
  if (path.length > WIRE.maxPathLength) return `path is longer than ${WIRE.maxPathLength} characters`;
  if (path.length > 1 && (path[1] === '/' || path[1] === '\\')) return 'path names a host';
  let bad = badPathCharacter(path);
  if (bad) return `path has ${bad}`;
  const q = path.indexOf('?');
  const pathPart = q < 0 ? path : path.slice(0, q);
  const decoded = percentDecode(pathPart);
  if (decoded === null) return 'path has a malformed percent escape';
  if (decoded !== pathPart) {
    bad = badPathCharacter(decoded);
    if (bad) return `path has an encoded ${bad.slice(bad.indexOf(' ') + 1)}`;
    if (decoded.length > 1 && decoded[1] === '/') return 'path names a host';
  }
  for (const segment of decoded.split('/')) {
    if (segment === '.' || segment === '..' || segment.startsWith('.;') || segment.startsWith('..;')) {
      return 'path has a dot segment';
    }
  }
  return null;
}

/** Returns null for a tag (or entity key) the wire grammar accepts, otherwise a short reason. */
export function tagProblem(tag) {
  if (typeof tag !== 'string' || tag.length === 0) return 'tag is empty';
  if (tag.length > WIRE.maxTagLength) return `tag is longer than ${WIRE.maxTagLength} characters`;
  const bad = badCharacter(tag);
  return bad ? `tag has ${bad}` : null;
}

/** Decodes %HH escapes as UTF-8, strictly; null for a malformed escape or invalid UTF-8. */
function percentDecode(s) {
  if (!s.includes('%')) return s;
  const raw = Buffer.from(s, 'utf8');
  const out = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x25) {
      if (i + 2 >= raw.length) return null;
      const hi = hex(raw[i + 1]);
      const lo = hex(raw[i + 2]);
      if (hi < 0 || lo < 0) return null;
      out.push((hi << 4) | lo);
      i += 2;
    } else {
      out.push(raw[i]);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(out));
  } catch {
    return null;
  }
}

function hex(b) {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

function inRanges(ranges, cp) {
  for (const [from, to] of ranges) {
    if (cp < from) return false;
    if (cp <= to) return true;
  }
  return false;
}

/** The first forbidden character of s for a path ('#' and backslash too), described, or null. */
function badPathCharacter(s) {
  const bad = badCharacter(s);
  if (bad) return bad;
  if (s.includes('#')) return 'a fragment';
  if (s.includes('\\')) return 'a backslash';
  return null;
}

/** Describes the first forbidden character of s, by code point, or returns null. */
function badCharacter(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let cp = c;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'an unpaired surrogate';
      cp = (c - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return 'an unpaired surrogate';
    }
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 'a control character';
    if (inRanges(SPACE, cp)) return 'whitespace';
    if (inRanges(FORMAT, cp)) return 'a format character';
  }
  return null;
}

/** Parses and validates the invalidation JSON; throws a Rejection(400) with a short reason. */
export function parseInvalidation(text, { maxPaths = DEFAULTS.maxPaths, maxTags = DEFAULTS.maxTags } = {}) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Rejection(400, 'bad body: malformed JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Rejection(400, 'bad body: body must be a JSON object');
  }
  if (typeof body.id !== 'string' || !INVALIDATION_ID.test(body.id)) {
    throw new Rejection(400, "bad body: 'id' must be 1 to 128 characters of [A-Za-z0-9_:-]");
  }
  const paths = strings(body, 'paths', maxPaths);
  const tags = strings(body, 'tags', maxTags);
  for (const p of paths) {
    const problem = pathProblem(p);
    if (problem) throw new Rejection(400, problem);
  }
  if (paths.length === 0 && tags.length === 0) {
    throw new Rejection(400, 'bad body: an invalidation needs at least one path or tag');
  }
  for (const t of tags) {
    const problem = tagProblem(t);
    if (problem) throw new Rejection(400, `bad body: ${problem}`);
  }
  if (body.entity != null) {
    if (typeof body.entity !== 'string') throw new Rejection(400, "bad body: 'entity' must be a string");
    const problem = tagProblem(body.entity);
    if (problem) throw new Rejection(400, `bad body: entity key ${problem.slice('tag '.length)}`);
  }
  if (body.version != null) {
    // Any non-negative integer: Java's versions are longs, beyond JavaScript's safe integers.
    if (!(Number.isInteger(body.version) && body.version >= 0)) {
      throw new Rejection(400, "bad body: 'version' must be an integer");
    }
    if (body.entity == null) throw new Rejection(400, "bad body: 'version' needs 'entity'");
  }
  const hop = body.hop ?? 0;
  if (!Number.isInteger(hop) || hop < 0 || hop > WIRE.maxHop) {
    throw new Rejection(400, `bad body: 'hop' must be an integer from 0 to ${WIRE.maxHop}`);
  }
  let chunk = null;
  if (body.chunk != null) {
    const c = body.chunk;
    if (typeof c !== 'object' || Array.isArray(c) || !Number.isSafeInteger(c.index)
        || !Number.isSafeInteger(c.count) || c.index < 0 || c.index >= c.count || c.count > 0x7fffffff) {
      throw new Rejection(400, "bad body: 'chunk' must be {\"index\":i,\"count\":n} with 0 <= i < n");
    }
    chunk = { index: c.index, count: c.count };
  }
  return { id: body.id, paths: [...new Set(paths)], tags: [...new Set(tags)], hop, chunk };
}

/**
 * Parses a catch-up signal (fanout's dev.fanout.catchup.CatchUpWire): {"id":..,"catchUp":"start"}
 * or "done" (which carries back the "nonce" of its start's answer). Returns null when the body is
 * not one (an invalidation); throws a Rejection(400) for a malformed one.
 */
export function parseSignal(text) {
  if (!text.includes('"catchUp"')) return null;
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('catchUp' in body)) return null;
  if (typeof body.id !== 'string' || !INVALIDATION_ID.test(body.id)) {
    throw new Rejection(400, "bad body: 'id' must be 1 to 128 characters of [A-Za-z0-9_:-]");
  }
  if (body.catchUp !== 'start' && body.catchUp !== 'done') {
    throw new Rejection(400, 'bad body: \'catchUp\' must be "start" or "done"');
  }
  if ('nonce' in body && (typeof body.nonce !== 'string' || !NONCE.test(body.nonce))) {
    throw new Rejection(400, "bad body: 'nonce' must be 16 to 128 characters of [A-Za-z0-9_-]");
  }
  return { id: body.id, signal: body.catchUp, nonce: body.nonce ?? null };
}

/** The moment this process started, in milliseconds since the epoch. */
export function processStart() {
  return Math.floor(performance.timeOrigin);
}

/**
 * The path revalidatePath gets: the path without its query. Next.js caches a page by its pathname,
 * so revalidating the pathname makes every query variant fresh.
 */
export function pathname(path) {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

function strings(body, field, max) {
  const value = body[field];
  if (value == null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new Rejection(400, `bad body: '${field}' must be an array of strings`);
  }
  if (value.length > max) throw new Rejection(400, `bad body: too many ${field}: ${value.length} > ${max}`);
  return value;
}

/** Reads a request body, stopping as soon as it exceeds `limit` bytes. Returns null when it does. */
export async function readCapped(request, limit) {
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
}

/** The applied webhook-ids: bounded in count, forgotten after twice the tolerance. */
class ReplayCache {
  constructor(capacity, retentionMs, now) {
    this.capacity = capacity;
    this.retentionMs = retentionMs;
    this.now = now;
    this.seen = new Map(); // insertion order = recording order
  }

  expire() {
    const oldest = this.now() - this.retentionMs;
    for (const [id, at] of this.seen) {
      if (at >= oldest) break;
      this.seen.delete(id);
    }
  }

  has(id) {
    this.expire();
    return this.seen.has(id);
  }

  add(id) {
    this.expire();
    this.seen.delete(id);
    this.seen.set(id, this.now());
    while (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value);
  }

  get size() {
    return this.seen.size;
  }
}

function json(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

/**
 * Creates a receiver.
 *
 * @param {object} options
 * @param {string[]} options.secrets  current secret first; more than one during a rotation
 * @param {(path: string) => void | Promise<void>} options.revalidatePath
 * @param {(tag: string) => void | Promise<void>} options.revalidateTag
 * @param {() => number} [options.now]  milliseconds since the epoch; tests inject a clock
 * @param {(line: string) => void} [options.log]  one line per request, never a secret or signature
 * @param {number | string | Date} [options.freshSince]  since when this replica's cache is fresh,
 *   answered to a sender's catch-up (default: the process start; a Next.js site says its build time)
 * @param {number} [options.holdReadinessMs]  readiness() answers 503 until the first catch-up
 *   arrived, or this long after creation (default: not held)
 */
export function createReceiver({
  secrets,
  revalidatePath,
  revalidateTag,
  now = () => Date.now(),
  log = () => {},
  maxBodyBytes = DEFAULTS.maxBodyBytes,
  maxPaths = DEFAULTS.maxPaths,
  maxTags = DEFAULTS.maxTags,
  replayCacheSize = DEFAULTS.replayCacheSize,
  toleranceSeconds = DEFAULTS.toleranceSeconds,
  freshSince = processStart(),
  holdReadinessMs,
}) {
  if (!Array.isArray(secrets) || secrets.length === 0) throw new Error('at least one signing secret is required');
  const freshSinceMs = new Date(freshSince).getTime();
  if (!Number.isFinite(freshSinceMs)) throw new Error('freshSince is not a date');
  if (holdReadinessMs !== undefined && !(Number.isFinite(holdReadinessMs) && holdReadinessMs > 0)) {
    throw new Error('holdReadinessMs must be a positive number of milliseconds');
  }
  const freshSinceIso = new Date(freshSinceMs).toISOString();
  const holdUntil = holdReadinessMs === undefined ? null : now() + holdReadinessMs;
  let caughtUp = false;
  // Nonces answered to starts and not yet used by a done, by the start's webhook-id, oldest first.
  // Only a done carrying one counts: the signature's tolerance is minutes and a restarted replica's
  // replay cache is empty, so a signed done recorded before a restart could otherwise release a
  // replica never caught up. A replayed start (same webhook-id) gets the nonce it got the first
  // time and takes no new place, so replaying one captured start cannot push the sender's out.
  const issued = new Map();
  const webhooks = secrets.map((s) => new Webhook(checkSecret(s)));
  const replay = new ReplayCache(replayCacheSize, 2 * toleranceSeconds * 1000, now);
  const inFlight = new Map();

  async function verify(request) {
    if (request.method !== 'POST') throw new Rejection(405, 'method not allowed');
    const declared = request.headers.get('content-length');
    if (declared && /^[0-9]+$/.test(declared) && Number(declared) > maxBodyBytes) {
      throw new Rejection(413, 'body too large');
    }
    const id = request.headers.get('webhook-id');
    const ts = request.headers.get('webhook-timestamp');
    const signature = request.headers.get('webhook-signature');
    const raw = await readCapped(request, maxBodyBytes);
    if (raw === null) throw new Rejection(413, 'body too large');
    if (!id) throw new Rejection(400, 'missing webhook-id header');
    if (!WEBHOOK_ID.test(id)) throw new Rejection(400, 'bad webhook-id header');
    if (!ts) throw new Rejection(400, 'missing webhook-timestamp header');
    if (!TIMESTAMP.test(ts)) throw new Rejection(400, 'bad webhook-timestamp header');
    if (!signature) throw new Rejection(401, 'missing webhook-signature header');
    if (Math.abs(Math.floor(now() / 1000) - Number(ts)) > toleranceSeconds) {
      throw new Rejection(401, 'timestamp outside tolerance');
    }
    const headers = { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signature };
    // The standardwebhooks package checks the signature over the raw bytes, and the timestamp again
    // against the system clock. Parsing comes after, on our side.
    let valid = false;
    for (const wh of webhooks) {
      try {
        wh.verify(raw, headers, { jsonParse: false });
        valid = true;
        break;
      } catch (e) {
        if (!(e instanceof WebhookVerificationError)) throw e;
      }
    }
    if (!valid) throw new Rejection(401, 'bad signature');
    let text;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
    } catch {
      throw new Rejection(400, 'bad body: not UTF-8');
    }
    const signal = parseSignal(text);
    if (signal) return { id, signal };
    return { id, invalidation: parseInvalidation(text, { maxPaths, maxTags }) };
  }

  async function apply(invalidation) {
    const paths = new Set(invalidation.paths.map(pathname));
    for (const path of paths) await revalidatePath(path);
    for (const tag of invalidation.tags) await revalidateTag(tag);
  }

  /** Runs the revalidation once per webhook-id; a concurrent duplicate waits for the same run. */
  async function applyOnce(id, invalidation) {
    if (replay.has(id)) return 'duplicate';
    const running = inFlight.get(id);
    if (running) {
      await running;
      return 'duplicate';
    }
    const run = apply(invalidation);
    inFlight.set(id, run);
    try {
      await run;
      replay.add(id);
      return 'applied';
    } finally {
      inFlight.delete(id);
    }
  }

  async function handle(request) {
    let verified;
    try {
      verified = await verify(request);
    } catch (e) {
      if (e instanceof Rejection) {
        log(`fanout: rejected ${e.status} ${e.message}`);
        return json(e.status, { error: e.message });
      }
      log(`fanout: rejected 400 ${e?.name ?? 'error'}`);
      return json(400, { error: 'body could not be read' });
    }
    if (verified.signal) return answerSignal(verified.id, verified.signal);
    const { id, invalidation } = verified;
    try {
      const result = await applyOnce(id, invalidation);
      const chunk = invalidation.chunk ? `chunk ${invalidation.chunk.index + 1}/${invalidation.chunk.count}, ` : '';
      log(`fanout: invalidation ${id}: 200 ${result} (${chunk}${invalidation.paths.length} paths, ${invalidation.tags.length} tags)`);
      return json(200, { id, result });
    } catch (e) {
      log(`fanout: invalidation ${id}: 500 revalidation failed (${e?.name ?? 'error'})`);
      return json(500, { error: 'handler failed' });
    }
  }

  /** The nonce for a start: the one already answered to this webhook-id, or a fresh one. */
  function issue(webhookId) {
    let nonce = issued.get(webhookId);
    if (nonce !== undefined) return nonce;
    nonce = randomBytes(16).toString('base64url');
    issued.set(webhookId, nonce);
    if (issued.size > NONCES_KEPT) issued.delete(issued.keys().next().value);
    return nonce;
  }

  /** Uses up a nonce this receiver holds; false for none or one it does not hold. */
  function redeem(nonce) {
    if (nonce === null) return false;
    for (const [webhookId, held] of issued) {
      if (held === nonce) return issued.delete(webhookId);
    }
    return false;
  }

  /**
   * A catch-up signal: never revalidates; answers since when this replica is fresh, a start with
   * its nonce, and a done with whether it counted ("caughtUp":false: the sender tries again).
   */
  function answerSignal(webhookId, { id, signal, nonce }) {
    if (signal === 'start') {
      log(`fanout: catch-up start ${id}`);
      return json(200, { id, result: 'catch-up', freshSince: freshSinceIso, nonce: issue(webhookId) });
    }
    const counted = redeem(nonce);
    if (!counted) {
      log(`fanout: catch-up done ${id} does not carry a nonce this receiver holds; not counted as caught up`);
    } else if (!caughtUp) {
      caughtUp = true;
      log(`fanout: caught up (${id}); fresh since ${freshSinceIso}`);
    } else {
      log(`fanout: catch-up done ${id}`);
    }
    return json(200, { id, result: 'catch-up', freshSince: freshSinceIso, caughtUp: counted });
  }

  /** Ready unless readiness is held, no catch-up arrived yet and the hold has not run out. */
  function isReady() {
    return holdUntil === null || caughtUp || now() >= holdUntil;
  }

  /** The readiness probe's answer: 200, or 503 while held until the first catch-up. */
  function readiness() {
    return isReady()
      ? json(200, { ready: true, caughtUp })
      : json(503, { ready: false, reason: 'waiting for catch-up' });
  }

  return {
    handle,
    readiness,
    isReady,
    isCaughtUp: () => caughtUp,
    freshSince: () => freshSinceIso,
    replayCacheSize: () => replay.size,
  };
}
