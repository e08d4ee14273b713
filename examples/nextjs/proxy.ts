// Tags every post page with the same key its data fetch is tagged with (`post:<id>`), so the cache
// tiers in front of the replicas can purge by tag what a replica revalidates by tag:
//   xkey:          Varnish's xkey vmod indexes cached objects by it (purged with `xkey-purge`);
//   Surrogate-Key: Fastly (and other CDNs) index cached objects by it.
// A header added here is also sent with pages served from the ISR cache, and with the RSC payloads
// of client-side navigations (`?_rsc=...`), which a URL purge would miss but a tag purge covers.
import { NextResponse, type NextRequest } from 'next/server';

const POST = /^\/posts\/([A-Za-z0-9_-]{1,64})\/?$/;

export function proxy(request: NextRequest): NextResponse {
  const response = NextResponse.next();
  const match = POST.exec(request.nextUrl.pathname);
  if (match) {
    const key = `post:${match[1]}`;
    response.headers.set('xkey', key);
    response.headers.set('surrogate-key', key);
  }
  return response;
}

export const config = {
  matcher: '/posts/:id',
};
