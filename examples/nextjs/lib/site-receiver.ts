// The site's one receiver, shared by the revalidate and readiness routes. Kept on globalThis: route
// modules may be bundled separately, and both must see the same catch-up state.
import { revalidatePath, revalidateTag } from 'next/cache';
import { createReceiver, DEFAULTS, type Receiver } from './fanout-receiver.mjs';

const KEY = Symbol.for('fanout.site-receiver');
type Holder = { [KEY]?: Receiver };

/**
 * The receiver, created on first use from the environment; undefined without FANOUT_SECRET.
 *
 * - FANOUT_SECRET (and FANOUT_PREVIOUS_SECRET during a rotation): read per process at run time,
 *   never at build time, never from NEXT_PUBLIC_* (inlined into the browser bundle).
 * - freshSince: FANOUT_FRESH_SINCE if set, else this build's time (next.config.mjs). The pages
 *   prerendered at build time, and a cache directory that survived a restart, are no older.
 * - FANOUT_HOLD_READINESS_SECONDS: /api/ready answers 503 until the first catch-up arrived, at
 *   most this long.
 */
export function siteReceiver(): Receiver | undefined {
  const holder = globalThis as Holder;
  if (holder[KEY]) return holder[KEY];
  const secret = process.env.FANOUT_SECRET;
  if (!secret) return undefined;
  const previous = process.env.FANOUT_PREVIOUS_SECRET;
  const hold = Number(process.env.FANOUT_HOLD_READINESS_SECONDS ?? '');
  const freshSince = process.env.FANOUT_FRESH_SINCE || process.env.FANOUT_BUILD_TIME;
  holder[KEY] = createReceiver({
    secrets: previous ? [secret, previous] : [secret],
    // The limits mirror fanout's dev.fanout.WireContract (1,000 paths, 1,000 tags, 64 KiB per
    // request): HttpNotifier sends a larger invalidation as several chunks within them, so a
    // receiver must not accept less.
    maxBodyBytes: DEFAULTS.maxBodyBytes,
    maxPaths: DEFAULTS.maxPaths,
    maxTags: DEFAULTS.maxTags,
    revalidatePath: (path) => revalidatePath(path),
    // Immediate expiry: the next read of anything tagged waits for a fresh render. The 'max' profile
    // would serve one more stale response first, so an acknowledgement would not mean fresh.
    revalidateTag: (tag) => revalidateTag(tag, { expire: 0 }),
    ...(freshSince ? { freshSince } : {}),
    ...(hold > 0 ? { holdReadinessMs: hold * 1000 } : {}),
    log: (line) => {
      if (process.env.FANOUT_DEBUG) console.log(line);
    },
  });
  return holder[KEY];
}
