#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions are run from traps
# Run the Swift test suite against a throwaway PostgreSQL server.
#
# Usage: scripts/test.sh [swift test arguments...]      (make test TEST_FLAGS="...")
#
# Starts PostgreSQL with scripts/pg.sh in a fresh directory under /tmp, exports
# COURIER_TEST_DATABASE_URL, runs `swift test`, and always stops the server again (on success,
# failure or interrupt). Exits with swift test's exit code.
# If COURIER_TEST_DATABASE_URL is already set, that database is used and no server is started.
# SWIFT selects the swift driver (default: swift).
set -euo pipefail

cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}

pgdir=""
cleanup() {
    if [ -n "$pgdir" ]; then
        echo "== stopping test PostgreSQL" >&2
        scripts/pg.sh stop "$pgdir" || true
        pgdir=""
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ -n "${COURIER_TEST_DATABASE_URL:-}" ]; then
    echo "== using COURIER_TEST_DATABASE_URL from the environment" >&2
else
    # /tmp rather than $TMPDIR: the server runs as user postgres, which must reach the directory.
    pgdir=$(mktemp -d /tmp/courier-test-pg.XXXXXX)
    echo "== starting test PostgreSQL in $pgdir" >&2
    COURIER_TEST_DATABASE_URL=$(scripts/pg.sh start "$pgdir")
    export COURIER_TEST_DATABASE_URL
    echo "== COURIER_TEST_DATABASE_URL=$COURIER_TEST_DATABASE_URL" >&2
fi

echo "== $SWIFT test $*" >&2
rc=0
"$SWIFT" test "$@" || rc=$?
exit "$rc"
