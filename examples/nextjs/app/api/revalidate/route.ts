// Receives fanout's signed invalidations (HttpNotifier's default POST /api/revalidate) and
// revalidates this replica's own cache. Answers 200 only after revalidatePath / revalidateTag ran.
import { revalidatePath, revalidateTag } from 'next/cache';
import { createReceiver, DEFAULTS, type Receiver } from '../../../lib/fanout-receiver.mjs';

// Read the secret per process at run time, never at build time; never from NEXT_PUBLIC_* (those
// are inlined into the browser bundle) and never from the query string.
export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

let receiver: Receiver | undefined;

function getReceiver(): Receiver | undefined {
  if (receiver) return receiver;
  const secret = process.env.FANOUT_SECRET;
  if (!secret) return undefined;
  const previous = process.env.FANOUT_PREVIOUS_SECRET;
  receiver = createReceiver({
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
    log: (line) => {
      if (process.env.FANOUT_DEBUG) console.log(line);
    },
  });
  return receiver;
}

export async function POST(request: Request): Promise<Response> {
  const r = getReceiver();
  if (!r) {
    // Fail closed: without a secret nothing is accepted.
    console.error('fanout: FANOUT_SECRET is not set; refusing invalidations');
    return Response.json({ error: 'receiver not configured' }, { status: 500 });
  }
  return r.handle(request);
}
