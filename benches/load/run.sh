#!/bin/sh
# Two threads against one while another process keeps one core busy: the team's members claim
# their tasks, and a waiting member parks after a short spin, so a second thread must never make
# a run much slower than one thread (target: at most 10 % slower) even when it gets no core.
#
# Usage: benches/load/run.sh [MODEL] [RUNS] [DURATION_MS]
#   MODEL defaults to models/multiplexing.toml, RUNS (interleaved pairs) to 5, DURATION_MS to 2000.
#   LOAD_CPU=N pins the busy loop to processor N (with taskset); unset, it is not pinned.
# Not part of the test suite: it takes a minute or two and its figures depend on the machine.
set -eu

cd "$(dirname "$0")/../.."
model=${1:-models/multiplexing.toml}
runs=${2:-5}
duration=${3:-2000}
bin=target/release/burstsim

cargo build --release --quiet
out=$(mktemp -d)
load_pid=
cleanup() {
    if [ -n "$load_pid" ]; then kill "$load_pid" 2>/dev/null || true; fi
    rm -rf "$out"
}
trap cleanup EXIT INT TERM

# The busy loop: one shell spinning on a no-op.
if [ -n "${LOAD_CPU:-}" ]; then
    taskset -c "$LOAD_CPU" sh -c 'while :; do :; done' &
else
    sh -c 'while :; do :; done' &
fi
load_pid=$!
sleep 1

# Wall seconds of one run with $1 threads.
run_once() {
    start=$(date +%s.%N)
    "$bin" run "$model" --duration-ms "$duration" --out "$out/t$1.h5" --force --quiet --threads "$1"
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

: >"$out/one"
: >"$out/two"
: >"$out/ratio"
echo "$model, $duration ms, $runs interleaved pairs, one busy loop (pid $load_pid)"
i=0
while [ "$i" -lt "$runs" ]; do
    a=$(run_once 1)
    b=$(run_once 2)
    echo "$a" >>"$out/one"
    echo "$b" >>"$out/two"
    echo "$b / $a" | bc -l >>"$out/ratio"
    printf 'pair %d: 1 thread %.3f s, 2 threads %.3f s\n' "$((i + 1))" "$a" "$b"
    i=$((i + 1))
done
printf 'median: 1 thread %.3f s, 2 threads %.3f s; median ratio 2/1 = %.3f (> 1.10 fails the target)\n' \
    "$(median <"$out/one")" "$(median <"$out/two")" "$(median <"$out/ratio")"
uptime
