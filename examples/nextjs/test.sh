#!/usr/bin/env bash
# Installs the Next.js example's dependencies and runs its Node tests: interop with the
# `standardwebhooks` npm package both ways (including a request signed by fanout's Java
# HttpNotifier, test/fixtures/java-signed.json), the route handler's checks, and the wire contract
# (Java's verdicts on a corpus, test/fixtures/wire-corpus.json, and 10,000 paths in Java-signed
# chunks, test/fixtures/java-chunks.json).
#
# `npm install`, not `npm ci`: a lockfile made on another platform can list optional native
# packages (@next/swc-*) that `npm ci` insists on and a registry mirror may not serve.
set -euo pipefail
cd "$(dirname "$0")"
export NEXT_TELEMETRY_DISABLED=1
npm install --no-audit --no-fund --loglevel=error
node --test test/
