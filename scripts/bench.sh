#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions are run from traps
# Courier benchmark: a PostgreSQL commit-rate baseline, then courier-bench, then the HTTP benchmark.
#
# Usage: scripts/bench.sh [extra courier-bench arguments...]      (make bench BENCH_FLAGS="...")
#
# 1. builds courier-bench, courier and courier-ceiling in release mode, in their own scratch
#    directory (.build-bench) so that they neither wait for nor invalidate the debug build in .build;
# 2. starts a throwaway PostgreSQL (fsync=on, synchronous_commit=on) and measures with pgbench how
#    many single-row INSERT transactions per second it commits with 64 clients;
# 3. stops PostgreSQL, starts a fresh one for replication and runs courier-bench with that figure
#    (--pg-commits-per-second), the fresh server's URL (--pg-url: courier-bench replicates into a new
#    database per run; REPLICATION_BENCH=0 skips it) and a work directory on the same disk as the
#    repository (BENCH_TMP, default ./.bench-tmp), which is removed afterwards; then stops PostgreSQL;
# 4. runs scripts/bench-http.sh with the same figure (--pg-tps): acked POST /v1/messages per second
#    on the all-in-one node and on the HTTP ceiling (courier-ceiling), 64 wrk connections
#    (--quick among the arguments is passed on; HTTP_BENCH=0 skips this part).
# Knobs: SWIFT (default swift), BENCH_TMP, PGBENCH_CLIENTS (64), PGBENCH_THREADS (2),
# PGBENCH_SECONDS (10), BENCH_BUILD (scratch path, default .build-bench),
# COURIER_BENCH_BIN (default $BENCH_BUILD/release/courier-bench), REPLICATION_BENCH (1),
# HTTP_BENCH (1), and scripts/bench-http.sh's WRK_* knobs.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd -P)
SWIFT=${SWIFT:-swift}
BENCH_TMP=${BENCH_TMP:-$repo/.bench-tmp}
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-64}
PGBENCH_THREADS=${PGBENCH_THREADS:-2}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-10}
BENCH_BUILD=${BENCH_BUILD:-$repo/.build-bench}
HTTP_BENCH=${HTTP_BENCH:-1}
REPLICATION_BENCH=${REPLICATION_BENCH:-1}

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
if [ "$HTTP_BENCH" != 0 ]; then
    for product in courier courier-ceiling; do
        section "Build: $SWIFT build -c release --product $product --scratch-path $BENCH_BUILD"
        "$SWIFT" build -c release --product "$product" --scratch-path "$BENCH_BUILD"
        [ -x "$BENCH_BUILD/release/$product" ] || { echo "bench.sh: $product was not built" >&2; exit 1; }
    done
fi

section "PostgreSQL baseline: pgbench, $PGBENCH_CLIENTS clients, one-row INSERT per transaction, ${PGBENCH_SECONDS} s"

# Starts a throwaway PostgreSQL and sets pgdir and pg_url. Runs in this shell (not a subshell) so
# that pgdir is seen by stop_pg. Prefers the repository's disk (the same disk courier-bench writes
# to); falls back to /tmp when user postgres cannot reach the repository (e.g. a checkout under /root).
start_pg() {
    pgdir="$BENCH_TMP/pg"
    if ! pg_url=$(scripts/pg.sh start "$pgdir"); then
        scripts/pg.sh stop "$pgdir" >/dev/null 2>&1 || true
        pgdir=$(mktemp -d /tmp/courier-bench-pg.XXXXXX)
        echo "bench.sh: PostgreSQL runs in $pgdir instead (another disk may give other figures)" >&2
        pg_url=$(scripts/pg.sh start "$pgdir") || return 1
    fi
}

# Sets pg_tps to the measured transactions per second (rounded); pgbench's report goes to stdout.
# Runs in this shell (not a subshell) so that pgdir is seen by stop_pg. Non-zero on any failure.
run_pgbench() {
    local bindir url port
    bindir=$(scripts/pg.sh bindir) || return 1
    [ -x "$bindir/pgbench" ] || { echo "bench.sh: no pgbench in $bindir" >&2; return 1; }

    start_pg || return 1
    url=$pg_url
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
pg_url=""
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

# Replication target: a fresh server, so nothing pgbench left behind is written back meanwhile. It
# idles through the log measurements (courier-bench replicates last) and is stopped right after.
replication_args=()
if [ "$REPLICATION_BENCH" != 0 ]; then
    if start_pg; then
        echo "PostgreSQL for replication: $pg_url (data in $pgdir/pgdata, fsync=on, synchronous_commit=on)"
        replication_args=(--pg-url "$pg_url")
    else
        stop_pg
        echo "bench.sh: could not start PostgreSQL for replication; courier-bench will not measure it" >&2
    fi
fi

section "courier-bench (work dir $BENCH_TMP/courier)"
mkdir -p "$BENCH_TMP/courier"
echo "+ $bench_bin --pg-commits-per-second $pg_tps ${replication_args[*]} --work-dir $BENCH_TMP/courier $*"
rc=0
"$bench_bin" --pg-commits-per-second "$pg_tps" ${replication_args[@]+"${replication_args[@]}"} \
    --work-dir "$BENCH_TMP/courier" "$@" || rc=$?
stop_pg

http_rc=0
if [ "$HTTP_BENCH" != 0 ]; then
    http_args=(--pg-tps "$pg_tps")
    for argument in "$@"; do
        if [ "$argument" = --quick ]; then http_args+=(--quick); fi
    done
    # Courier's log syncs should not share the disk with courier-bench's leftover writeback.
    sync
    echo
    echo "+ scripts/bench-http.sh ${http_args[*]}"
    export BENCH_TMP BENCH_BUILD SWIFT
    COURIER_BIN=$BENCH_BUILD/release/courier CEILING_BIN=$BENCH_BUILD/release/courier-ceiling \
        scripts/bench-http.sh "${http_args[@]}" || http_rc=$?
fi

section "Done (courier-bench exit code $rc, bench-http exit code $http_rc)"
if [ "$rc" -ne 0 ]; then exit "$rc"; fi
exit "$http_rc"
