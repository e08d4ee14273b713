// The readiness probe: 503 while this replica holds its readiness until the first catch-up
// (FANOUT_HOLD_READINESS_SECONDS), so that no user is routed to a replica serving build-time pages
// older than the last invalidation; 200 otherwise.
import { siteReceiver } from '../../../lib/site-receiver';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export function GET(): Response {
  const r = siteReceiver();
  if (!r) {
    return Response.json({ ready: true, caughtUp: false, receiver: 'not configured' },
      { headers: { 'cache-control': 'no-store' } });
  }
  return r.readiness();
}
