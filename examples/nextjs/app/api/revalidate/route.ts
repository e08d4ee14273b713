// Receives fanout's signed invalidations (HttpNotifier's default POST /api/revalidate) and
// revalidates this replica's own cache. Answers 200 only after revalidatePath / revalidateTag ran.
// Catch-up signals are answered with since when this replica is fresh (its build time).
import { siteReceiver } from '../../../lib/site-receiver';

// Read the secret per process at run time, never at build time.
export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export async function POST(request: Request): Promise<Response> {
  const r = siteReceiver();
  if (!r) {
    // Fail closed: without a secret nothing is accepted.
    console.error('fanout: FANOUT_SECRET is not set; refusing invalidations');
    return Response.json({ error: 'receiver not configured' }, { status: 500 });
  }
  return r.handle(request);
}
