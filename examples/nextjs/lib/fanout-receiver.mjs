// Receives fanout's signed invalidations in a Next.js route handler (or any server with the web
// Request/Response API). Framework-free so that node:test can run it without Next.js.
//
// Order of checks, as in fanout's Java InvalidationReceiver: size (413), headers (400/401),
// timestamp tolerance (401), Standard Webhooks signature over the raw bytes with the
// `standardwebhooks` package (401), then parsing and validation (400), replay (200 duplicate),
// and only then the revalidation (200 once done, 500 if it threw).

import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export const DEFAULTS = Object.freeze({
  maxBodyBytes: 64 * 1024,
  maxPaths: 1000,
  maxTags: 1000,
  replayCacheSize: 10_000,
  toleranceSeconds: 5 * 60,
});

/** Next.js limits: revalidatePath takes paths up to 1024 characters, tags longer than 256 are never assigned. */
export const NEXT_MAX_PATH_LENGTH = 1024;
export const NEXT_MAX_TAG_LENGTH = 256;
const MAX_HOP = 16;

const WEBHOOK_ID = /^[\x21-\x2d\x2f-\x7e]{1,256}$/;
const TIMESTAMP = /^[0-9]{1,15}$/;
const INVALIDATION_ID = /^[A-Za-z0-9_:-]{1,128}$/;

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

/** Returns null for a plain absolute path, otherwise a short reason that does not quote it. */
export function pathProblem(path) {
  if (typeof path !== 'string' || path.length === 0 || path[0] !== '/') return 'path is not absolute';
  if (path.length > NEXT_MAX_PATH_LENGTH) return 'path is too long';
  if (path.length > 1 && (path[1] === '/' || path[1] === '\\')) return 'path names a host';
  let bad = badCharacter(path);
  if (bad) return bad;
  if (path.includes('?')) return 'path has a query';
  let decoded;
  try {
    decoded = /%/.test(path) ? decodeStrict(path) : path;
  } catch {
    return 'path has a malformed percent escape';
  }
  if (decoded !== path) {
    bad = badCharacter(decoded);
    if (bad) return `encoded ${bad}`;
    if (decoded.length > 1 && decoded[1] === '/') return 'path names a host';
  }
  for (const segment of decoded.split('/')) {
    if (segment === '.' || segment === '..' || segment.startsWith('.;') || segment.startsWith('..;')) {
      return 'path has a dot segment';
    }
  }
  return null;
}

function decodeStrict(s) {
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) throw new Error('bad escape');
  return decodeURIComponent(s); // throws URIError on invalid UTF-8
}

function badCharacter(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) { i++; continue; }
      return 'path has an unpaired surrogate';
    }
    if (c >= 0xdc00 && c <= 0xdfff) return 'path has an unpaired surrogate';
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) return 'path has a control character';
    if (c === 0x5c) return 'path has a backslash';
    if (c === 0x23) return 'path has a fragment';
    if (/[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/.test(s[i])) return 'path has whitespace';
    if (/\p{Cf}/u.test(s[i])) return 'path has a format character';
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
  if (paths.length === 0 && tags.length === 0) {
    throw new Rejection(400, 'bad body: an invalidation needs at least one path or tag');
  }
  for (const p of paths) {
    const problem = pathProblem(p);
    if (problem) throw new Rejection(400, problem);
  }
  for (const t of tags) {
    if (t.trim() === '' || t.length > NEXT_MAX_TAG_LENGTH || /[\u0000-\u001f\u007f]/.test(t)) {
      throw new Rejection(400, `bad body: tags must be 1 to ${NEXT_MAX_TAG_LENGTH} printable characters`);
    }
  }
  if (body.entity != null && typeof body.entity !== 'string') {
    throw new Rejection(400, "bad body: 'entity' must be a string");
  }
  if (body.version != null && !(Number.isSafeInteger(body.version) && body.version >= 0)) {
    throw new Rejection(400, "bad body: 'version' must be an integer");
  }
  const hop = body.hop ?? 0;
  if (!Number.isInteger(hop) || hop < 0 || hop > MAX_HOP) {
    throw new Rejection(400, `bad body: 'hop' must be an integer from 0 to ${MAX_HOP}`);
  }
  return { id: body.id, paths: [...new Set(paths)], tags: [...new Set(tags)], hop };
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
}) {
  if (!Array.isArray(secrets) || secrets.length === 0) throw new Error('at least one signing secret is required');
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
    return { id, invalidation: parseInvalidation(text, { maxPaths, maxTags }) };
  }

  async function apply(invalidation) {
    for (const path of invalidation.paths) await revalidatePath(path);
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
    const { id, invalidation } = verified;
    try {
      const result = await applyOnce(id, invalidation);
      log(`fanout: invalidation ${id}: 200 ${result} (${invalidation.paths.length} paths, ${invalidation.tags.length} tags)`);
      return json(200, { id, result });
    } catch (e) {
      log(`fanout: invalidation ${id}: 500 revalidation failed (${e?.name ?? 'error'})`);
      return json(500, { error: 'handler failed' });
    }
  }

  return { handle, replayCacheSize: () => replay.size };
}
