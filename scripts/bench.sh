#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions are run from traps
# Courier benchmark: a PostgreSQL commit-rate baseline, then courier-bench.
#
# Usage: scripts/bench.sh [extra courier-bench arguments...]      (make bench BENCH_FLAGS="...")
#
# 1. builds courier-bench in release mode, in its own scratch directory (.build-bench) so that it
#    neither waits for nor invalidates the debug build in .build;
# 2. starts a throwaway PostgreSQL (fsync=on, synchronous_commit=on) and measures with pgbench how
#    many single-row INSERT transactions per second it commits with 64 clients;
# 3. stops PostgreSQL and runs courier-bench with that figure (--pg-commits-per-second) and a work
#    directory on the same disk as the repository (BENCH_TMP, default ./.bench-tmp), which is
#    removed afterwards.
# Knobs: SWIFT (default swift), BENCH_TMP, PGBENCH_CLIENTS (64), PGBENCH_THREADS (2),
# PGBENCH_SECONDS (10), BENCH_BUILD (scratch path, default .build-bench),
# COURIER_BENCH_BIN (default $BENCH_BUILD/release/courier-bench).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd -P)
SWIFT=${SWIFT:-swift}
BENCH_TMP=${BENCH_TMP:-$repo/.bench-tmp}
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-64}
PGBENCH_THREADS=${PGBENCH_THREADS:-2}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-10}
BENCH_BUILD=${BENCH_BUILD:-$repo/.build-bench}

section() { printf '\n==== %s ====\n' "$*"; }

pgdir=""
stop_pg() {
    if [ -n "$pgdir" ]; then
        scripts/pg.sh stop "$pgdir" || true
        pgdir=""
    fi
}
cleanup() {
    stop_pg
    rm -rf -- "$BENCH_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

rm -rf -- "$BENCH_TMP"
mkdir -p "$BENCH_TMP"
BENCH_TMP=$(cd "$BENCH_TMP" && pwd -P)

section "Build: $SWIFT build -c release --product courier-bench --scratch-path $BENCH_BUILD"
"$SWIFT" build -c release --product courier-bench --scratch-path "$BENCH_BUILD"
bench_bin=${COURIER_BENCH_BIN:-$BENCH_BUILD/release/courier-bench}
[ -x "$bench_bin" ] || { echo "bench.sh: $bench_bin was not built" >&2; exit 1; }

section "PostgreSQL baseline: pgbench, $PGBENCH_CLIENTS clients, one-row INSERT per transaction, ${PGBENCH_SECONDS} s"

# Sets pg_tps to the measured transactions per second (rounded); pgbench's report goes to stdout.
# Runs in this shell (not a subshell) so that pgdir is seen by stop_pg. Non-zero on any failure.
run_pgbench() {
    local bindir url port
    bindir=$(scripts/pg.sh bindir) || return 1
    [ -x "$bindir/pgbench" ] || { echo "bench.sh: no pgbench in $bindir" >&2; return 1; }

    # Prefer the repository's disk (the same disk courier-bench writes to); fall back to /tmp when
    # user postgres cannot reach the repository (e.g. a checkout under /root).
    pgdir="$BENCH_TMP/pg"
    if ! url=$(scripts/pg.sh start "$pgdir"); then
        scripts/pg.sh stop "$pgdir" >/dev/null 2>&1 || true
        pgdir=$(mktemp -d /tmp/courier-bench-pg.XXXXXX)
        echo "bench.sh: PostgreSQL runs in $pgdir instead (another disk may give other figures)" >&2
        url=$(scripts/pg.sh start "$pgdir") || return 1
    fi
    port=$(cat "$pgdir/port")
    echo "PostgreSQL: $url (data in $pgdir/pgdata, fsync=on, synchronous_commit=on)"

    local conn=(-h 127.0.0.1 -p "$port" -U postgres)
    "$bindir/psql" "${conn[@]}" -X -q -v ON_ERROR_STOP=1 -d courier_test \
        -c 'CREATE TABLE bench_events(id bigserial PRIMARY KEY, shard int, payload text);' >&2 || return 1

    local script="$BENCH_TMP/pgbench-insert.sql" out="$BENCH_TMP/pgbench.out"
    echo "INSERT INTO bench_events(shard,payload) VALUES (1, repeat('x',160));" >"$script"

    if ! "$bindir/pgbench" "${conn[@]}" -n -c "$PGBENCH_CLIENTS" -j "$PGBENCH_THREADS" \
        -T "$PGBENCH_SECONDS" -f "$script" courier_test >"$out" 2>&1; then
        cat "$out" >&2
        return 1
    fi
    cat "$out"

    # PostgreSQL 14+: "tps = N (without initial connection time)";
    # older: "tps = N (excluding connections establishing)".
    local tps
    tps=$(sed -n -E 's/^tps = ([0-9]+(\.[0-9]+)?) \((without initial connection time|excluding connections establishing)\).*/\1/p' "$out" | head -n 1)
    [ -n "$tps" ] || { echo "bench.sh: no tps figure in pgbench output" >&2; return 1; }
    pg_tps=${tps%%.*}
}

pg_tps=0
if run_pgbench; then
    echo "PostgreSQL baseline: $pg_tps commits/s"
else
    pg_tps=0
    echo "pgbench FAILED: no PostgreSQL baseline; passing --pg-commits-per-second 0" >&2
fi
stop_pg
# Flush what PostgreSQL and pgbench left dirty in the page cache, so that its writeback does not
# share the disk with courier-bench's syncs (one run straight after pgbench saw 0.4 s sync stalls).
sync

section "courier-bench (work dir $BENCH_TMP/courier)"
mkdir -p "$BENCH_TMP/courier"
echo "+ $bench_bin --pg-commits-per-second $pg_tps --work-dir $BENCH_TMP/courier $*"
rc=0
"$bench_bin" --pg-commits-per-second "$pg_tps" --work-dir "$BENCH_TMP/courier" "$@" || rc=$?

section "Done (courier-bench exit code $rc)"
exit "$rc"
