// The pattern many Next.js teams use: Promise.all(fetch) over every headless-Service address.
// Usage: node promise-all.mjs <n> <warmup> <reps> [port]
const [n, warmup, reps, port = '8080'] = process.argv.slice(2).map(String);
const body = JSON.stringify({ id: 'bench', paths: ['/blog/hello'], tags: ['post:42'] });
const urls = [];
for (let i = 0; i < Number(n); i++) {
  urls.push(`http://127.1.${Math.floor(i / 250)}.${(i % 250) + 1}:${port}/api/revalidate`);
}
async function fanOut() {
  const responses = await Promise.all(urls.map((u) =>
    fetch(u, { method: 'POST', body, headers: { 'content-type': 'application/json' } })));
  for (const r of responses) {
    if (r.status !== 200) throw new Error(`status ${r.status}`);
    await r.arrayBuffer();
  }
}
for (let i = 0; i < Number(warmup); i++) await fanOut();
for (let i = 0; i < Number(reps); i++) {
  const start = process.hrtime.bigint();
  await fanOut();
  console.log(`RESULT ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(3)}`);
}
