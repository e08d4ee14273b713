/** @type {import('next').NextConfig} */
const nextConfig = {
  // A self-contained server per replica: copy .next/standalone, .next/static and public.
  output: 'standalone',
  // Trace files from this directory, not from a parent that happens to hold a lockfile.
  outputFileTracingRoot: import.meta.dirname,
  poweredByHeader: false,
};

export default nextConfig;
