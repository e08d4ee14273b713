/** @type {import('next').NextConfig} */
const nextConfig = {
  // A self-contained server per replica: copy .next/standalone, .next/static and public.
  output: 'standalone',
  // Trace files from this directory, not from a parent that happens to hold a lockfile.
  outputFileTracingRoot: import.meta.dirname,
  poweredByHeader: false,
  // Inlined at build time: since when the content this build serves may date (its prerendered
  // pages). The receiver answers it to a sender's catch-up, which then sends what was invalidated
  // after it.
  env: { FANOUT_BUILD_TIME: new Date().toISOString() },
};

export default nextConfig;
