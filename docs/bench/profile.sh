#!/usr/bin/env bash
# Profiles one method of the fan-out benchmark with JDK Flight Recorder: a fleet of N endpoints
# (D = 20 ms), then `Run METHOD N WARMUP REPS` recorded with execution samples every 2 ms and
# allocation samples, and prints the STATS line and the hottest frames.
#
#   mvn -B -ntp -q -DskipTests -Dmaven.javadoc.skip package -pl fanout-bench -am
#   docs/bench/profile.sh fanout 2000 5 60 target/fanout-2000.jfr
#
# Then, for instance:
#   jfr print --events jdk.ExecutionSample target/fanout-2000.jfr
#   jfr print --events jdk.ObjectAllocationSample target/fanout-2000.jfr
set -euo pipefail
METHOD=${1:-fanout}; N=${2:-2000}; WARMUP=${3:-5}; REPS=${4:-60}; OUT=${5:-target/$METHOD-$N.jfr}
CP="fanout-bench/target/classes:$(cat fanout-bench/target/classpath.txt)"
mkdir -p "$(dirname "$OUT")"
coproc FLEET { java -Xss256k -cp "$CP" dev.fanout.bench.Fleet "$N" 20; }
read -r ready <&"${FLEET[0]}"
echo "fleet: $ready; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xss512k \
  "-XX:StartFlightRecording=filename=$OUT,settings=profile,jdk.ExecutionSample#period=2ms" \
  -cp "$CP" dev.fanout.bench.Run "$METHOD" "$N" "$WARMUP" "$REPS" 2>/dev/null | grep STATS
echo quit >&"${FLEET[1]}"
wait
# Leaf frames of the execution samples, most frequent first (start-up class loading included).
jfr print --events jdk.ExecutionSample "$OUT" | awk '/stackTrace = \[/{getline; sub(/^ +/, ""); sub(/ +line:.*/, ""); print}' \
  | sort | uniq -c | sort -rn | head -20
