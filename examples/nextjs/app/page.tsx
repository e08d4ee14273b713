export default function Home() {
  return (
    <main>
      <h1>fanout Next.js receiver</h1>
      <p>
        Posts live at <code>/posts/&lt;id&gt;</code>; invalidations arrive at{' '}
        <code>POST /api/revalidate</code>.
      </p>
    </main>
  );
}
