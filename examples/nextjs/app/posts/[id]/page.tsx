import { notFound } from 'next/navigation';

// ISR: the posts the content source lists at build time are prerendered by `next build`, as real
// sites do; any other post is rendered on its first request. Either is then served from this
// replica's cache until an invalidation reaches this replica (no time-based refresh, so a missed
// invalidation stays visible, and a replica started from the build serves build-time content until
// a catch-up reaches it).
export const revalidate = false;
export const dynamicParams = true;

export async function generateStaticParams(): Promise<{ id: string }[]> {
  const base = process.env.CONTENT_URL;
  if (!base) {
    // No content source at build time: every post is rendered on its first request.
    return [];
  }
  const res = await fetch(`${base.replace(/\/+$/, '')}/posts`, { cache: 'no-store' });
  if (!res.ok) {
    throw new Error(`content source answered ${res.status} for the list of posts`);
  }
  const ids = (await res.json()) as unknown;
  if (!Array.isArray(ids)) {
    throw new Error('content source did not answer a list of post ids');
  }
  return ids.filter((id): id is string => typeof id === 'string' && ID.test(id)).map((id) => ({ id }));
}

type Post = { id: string; title: string; body?: string; version: number | string };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

async function getPost(id: string): Promise<Post | null> {
  const base = process.env.CONTENT_URL;
  if (!base) {
    throw new Error('CONTENT_URL is not set');
  }
  const res = await fetch(`${base.replace(/\/+$/, '')}/posts/${encodeURIComponent(id)}`, {
    cache: 'force-cache',
    next: { tags: [`post:${id}`] },
  });
  if (res.status === 404) {
    return null;
  }
  if (!res.ok) {
    throw new Error(`content source answered ${res.status}`);
  }
  return (await res.json()) as Post;
}

export default async function PostPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!ID.test(id)) {
    notFound();
  }
  const post = await getPost(id);
  if (!post) {
    notFound();
  }
  return (
    <main>
      <h1>{post.title}</h1>
      {post.body ? <p>{post.body}</p> : null}
      <p id="version" data-version={String(post.version)}>
        version: {String(post.version)}
      </p>
      <p id="rendered">rendered: {new Date().toISOString()}</p>
    </main>
  );
}
