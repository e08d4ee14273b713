#!/usr/bin/env bash
# End-to-end proof of fanout on a real stack, on loopback: three Next.js replicas, a headless-Service
# DNS stand-in (dnsmasq), two Varnish replicas with xkey, a content source, a round-robin load
# balancer and the CloudFront, Fastly and Cloudflare API stand-ins; a Java backend (EndToEnd)
# updates a post and invalidates it through fanout, checks what every tier serves, prints a table
# and exits non-zero if any check failed. See examples/README.md.
#
#   examples/e2e/run.sh                  # everything: install what is missing, build, run, clean up
#   E2E_UPDATES=10 examples/e2e/run.sh   # fewer updates for check 2 (default 50)
#   E2E_DNS=builtin examples/e2e/run.sh  # the in-process DNS stand-in instead of dnsmasq
#   E2E_CLOUDFLARE=off examples/e2e/run.sh  # without the Cloudflare stand-in and check 5
#   E2E_GATEWAY=off examples/e2e/run.sh     # without the fanout-gateway run (checks G0-G7)
#   examples/e2e/run.sh --serve          # keep the stack up to look at; Enter = update + invalidate
#
# Needs JDK 17+, Maven, Node.js 20.11+. As root it installs varnish, varnish-modules and
# dnsmasq-base from apt when missing (without starting their services); without dnsmasq the DNS
# stand-in runs inside the JVM. Work directory: examples/e2e/work (recreated each run).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
NEXT="$ROOT/examples/nextjs"
WORK="$HERE/work"
UPDATES="${E2E_UPDATES:-50}"
CLOUDFLARE="${E2E_CLOUDFLARE:-on}"     # on: purge the Cloudflare stand-in too (cheap, so the default)
SERVE=0
case "${1:-}" in
  --serve) SERVE=1 ;;
  "") ;;
  *) echo "usage: $0 [--serve]" >&2; exit 2 ;;
esac
TIMEOUT="${E2E_TIMEOUT:-900}"          # seconds for the Java run (the stack and every check)
started=$(date +%s)

say() { printf '== %s\n' "$*"; }

# Ends what a previous or this run left behind: only pids recorded in our pid file that are still
# ours, i.e. whose working directory is in the work directory or whose command line names it
# (Next.js renames its process, so its command line alone would not tell).
running() {   # exists and is not a zombie
  local state
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"
  [ -n "$state" ] && [ "$state" != Z ]
}

ours() {
  local pid="$1"
  running "$pid" || return 1
  case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in "$WORK"/*) return 0 ;; esac
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -e "$WORK"
}

stop_recorded() {
  local pidfile="$WORK/pids" pid name alive
  [ -f "$pidfile" ] || return 0
  local pids=()
  while read -r pid name; do
    [ -n "$pid" ] && ours "$pid" && pids+=("$pid")
  done < "$pidfile"
  [ ${#pids[@]} -eq 0 ] && return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do running "$pid" && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
}

java_pid=""
content_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$content_pid" ]; then kill -TERM "$content_pid" 2>/dev/null || true; fi
  # The backend JVM stops the stack from its shutdown hook; what it could not stop, the pid file
  # names.
  if [ -n "$java_pid" ] && kill -0 "$java_pid" 2>/dev/null; then
    kill -TERM "$java_pid" 2>/dev/null || true
  fi
  stop_recorded
  if [ -n "$java_pid" ]; then wait "$java_pid" 2>/dev/null || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- 1. tools -------------------------------------------------------------------------------
xkey_vmod() { find /usr/lib -name 'libvmod_xkey.so' -path '*varnish*' 2>/dev/null | head -n 1; }

install_packages() {
  local missing=()
  command -v varnishd >/dev/null 2>&1 || missing+=(varnish)
  [ -n "$(xkey_vmod)" ] || missing+=(varnish-modules)
  command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "missing ${missing[*]} and cannot install them (needs root and apt-get)"
    return 0
  fi
  say "installing ${missing[*]} from apt (services not started)"
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1
  fi
  local rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"; } > "$HERE/apt.log" 2>&1 || rc=$?
  [ -n "$created" ] && rm -f "$policy"
  if [ "$rc" != 0 ]; then
    say "apt-get failed ($rc); last lines of $HERE/apt.log:"; tail -n 5 "$HERE/apt.log" || true
  fi
  rm -f "$HERE/apt.log"
}

install_packages
PATH="$PATH:/usr/sbin:/sbin"
VARNISHD="$(command -v varnishd || true)"
if [ -z "$VARNISHD" ] || [ -z "$(xkey_vmod)" ]; then
  say "varnishd with the xkey vmod is required (apt-get install varnish varnish-modules)"; exit 2
fi
DNSMASQ="${E2E_DNS:-$(command -v dnsmasq || echo builtin)}"   # E2E_DNS=builtin forces the stand-in
[ "$DNSMASQ" = builtin ] && say "dnsmasq not available: using the in-process DNS stand-in"
NODE="$(command -v node || true)"
if [ -z "$NODE" ] || ! "$NODE" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=11)?0:1)'; then
  say "Node.js 20.11 or later is required"; exit 2
fi

# ---- 2. the Next.js build, once, then one copy per replica -----------------------------------
stop_recorded
rm -rf "$WORK"
mkdir -p "$WORK/logs"

say "npm install (examples/nextjs)"
(cd "$NEXT" && npm install --no-audit --no-fund --loglevel=error)

# The library and the examples first: the Next.js build reads its posts from the content source.
say "building the library and the examples"
cd "$ROOT"
# One reactor build: the library modules' jars and the examples' classes, plus the class path.
mvn -B -ntp -q -DskipTests -Dmaven.javadoc.skip package \
  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.outputFile=target/e2e-classpath -Dmdep.includeScope=runtime -pl examples -am
CP="$ROOT/examples/target/classes:$(cat "$ROOT/examples/target/e2e-classpath")"

# Rebuild only when the site's sources changed since the last build.
stamp="$(cd "$NEXT" && find app lib proxy.ts next.config.mjs package.json package-lock.json tsconfig.json \
  -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [ -f "$NEXT/.next/standalone/server.js" ] && [ "$(cat "$NEXT/.next/e2e-build-stamp" 2>/dev/null)" = "$stamp" ]; then
  say "next build: up to date"
else
  # As real sites do, the build prerenders the posts its content source lists (version 1 of each):
  # a replica started from this build serves them until an invalidation, or a catch-up, reaches it.
  say "next build (prerendering the seeded posts)"
  (cd "$WORK" && exec java -cp "$CP" dev.fanout.examples.e2e.ContentSource 127.0.0.20 4000) \
    > "$WORK/logs/build-content.log" 2>&1 &
  content_pid=$!
  echo "$content_pid build-content" >> "$WORK/pids"
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.20/4000) 2>/dev/null && break
    sleep 0.1
  done
  build_rc=0
  (cd "$NEXT" && NEXT_TELEMETRY_DISABLED=1 CONTENT_URL=http://127.0.0.20:4000 \
    npx --no-install next build > "$WORK/logs/next-build.log" 2>&1) || build_rc=$?
  kill -TERM "$content_pid" 2>/dev/null || true
  wait "$content_pid" 2>/dev/null || true
  content_pid=""
  if [ "$build_rc" != 0 ]; then tail -n 40 "$WORK/logs/next-build.log"; exit 2; fi
  echo "$stamp" > "$NEXT/.next/e2e-build-stamp"
fi
# web-0..2 are the replicas; web-3 and web-4 are pristine copies of the build for the catch-up
# checks (a replica that joins later, with and without catch-up).
for i in 0 1 2 3 4; do
  # Each replica gets its own copy, as each pod has its own file system: no shared ISR cache.
  mkdir -p "$WORK/web-$i"
  cp -a "$NEXT/.next/standalone/." "$WORK/web-$i/"
  mkdir -p "$WORK/web-$i/.next"
  cp -a "$NEXT/.next/static" "$WORK/web-$i/.next/static"
  [ -d "$NEXT/public" ] && cp -a "$NEXT/public" "$WORK/web-$i/public"
  # A copy of a used build must start with no rendered posts.
  rm -rf "$WORK/web-$i/.next/cache"
done

# ---- 3. the backend: run EndToEnd ------------------------------------------------------------
if [ "$SERVE" = 1 ]; then say "starting the stack"; else
  say "starting the stack and running the checks (timeout ${TIMEOUT}s)"; fi
args=(--work "$WORK" --vcl "$HERE/varnish.vcl" --node "$NODE" --varnishd "$VARNISHD"
  --dnsmasq "$DNSMASQ" --updates "$UPDATES" --timeout "$TIMEOUT" --cloudflare "$CLOUDFLARE")
logging=(-Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.dev.fanout=error
  -Dorg.slf4j.simpleLogger.log.dev.fanout.catchup=info)
if [ "$SERVE" = 1 ]; then
  # Keeps the terminal as standard input: each Enter updates the post and invalidates it.
  java "${logging[@]}" -cp "$CP" dev.fanout.examples.e2e.EndToEnd "${args[@]}" --serve 0<&0 &
else
  java "${logging[@]}" -cp "$CP" dev.fanout.examples.e2e.EndToEnd "${args[@]}" &
fi
java_pid=$!
rc=0
wait "$java_pid" || rc=$?
java_pid=""

# ---- 4. the same stack driven by fanout-gateway from CMS webhooks, no Java backend ------------
gateway_run() {
  say "fanout-gateway: building its executable jar"
  (cd "$ROOT" && mvn -B -ntp -q -DskipTests -Dmaven.javadoc.skip package -pl fanout-gateway -am)
  # Each replica starts again with no rendered post, as after the copy above.
  for i in 0 1 2; do rm -rf "$WORK/web-$i/.next/cache" "$WORK/web-$i/.next/server/route-cache"; done
  # Check G7 runs the WordPress plugin under php-cli.
  local php=(); command -v php >/dev/null 2>&1 || { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
    && say "installing php-cli from apt (the WordPress plugin's check)" \
    && { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends php-cli; } \
    > /dev/null 2>&1; } || true
  command -v php >/dev/null 2>&1 && php=(--php "$(command -v php)" --wordpress-editor "$ROOT/examples/wordpress/test/editor.php")
  say "fanout-gateway drives the Next.js replicas, Varnish and the CDN stand-ins from Strapi and WordPress webhooks"
  java "${logging[@]}" -cp "$CP" dev.fanout.examples.e2e.GatewayRun "${php[@]}" \
    --gateway-jar "$ROOT/fanout-gateway/target/fanout-gateway-exec.jar" \
    --work "$WORK" --vcl "$HERE/varnish.vcl" --node "$NODE" --varnishd "$VARNISHD" \
    --dnsmasq "$DNSMASQ" --updates "${E2E_GATEWAY_UPDATES:-10}" --timeout "$TIMEOUT" --cloudflare off &
  java_pid=$!
  local grc=0
  wait "$java_pid" || grc=$?
  java_pid=""
  return "$grc"
}
if [ "$SERVE" = 0 ] && [ "${E2E_GATEWAY:-on}" != off ]; then
  grc=0
  gateway_run || grc=$?
  [ "$rc" = 0 ] && rc="$grc"
fi
say "e2e finished in $(( $(date +%s) - started )) s with status $rc (logs: $WORK/logs)"
exit "$rc"
