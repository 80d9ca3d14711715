#!/usr/bin/env bash
# Build memspike and run its test suites; the last line is the tally
# "N passed, N failed" (", N skipped" when some were skipped).
#
#   ./run_tests.sh                       build/ (configured if absent), all tests
#   ./run_tests.sh -C DIR [MESON-ARGS]   another configured build directory,
#                                        e.g. ./run_tests.sh -C build-asan --suite unit
#
# Counts come from meson test's summary: Ok and Expected Fail count as
# passed; Fail, Unexpected Pass and Timeout as failed. A build that does not
# compile counts as one failure. Exit status 0 only when nothing failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

build_dir=build
if [[ "${1:-}" == "-C" ]]; then
	(($# >= 2)) || {
		echo "run_tests.sh: -C needs a directory" >&2
		exit 2
	}
	build_dir=$2
	shift 2
elif [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
	sed -n '2,11s/^# \{0,1\}//p' "$0"
	exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Value of one "Label:  N" line of meson's summary (0 when absent).
count() {
	local n
	n=$(sed -n "s/^$1:[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$log" | tail -n 1)
	echo "${n:-0}"
}

tally() {
	local skipped=$3
	if ((skipped > 0)); then
		echo "$1 passed, $2 failed, $skipped skipped"
	else
		echo "$1 passed, $2 failed"
	fi
}

if [[ ! -f "$build_dir/meson-private/coredata.dat" ]]; then
	echo "run_tests.sh: configuring $build_dir/ (release)"
	if ! meson setup "$build_dir" --buildtype=release >"$log" 2>&1; then
		cat "$log"
		echo "run_tests.sh: meson setup $build_dir failed" >&2
		tally 0 1 0
		exit 1
	fi
fi

if ! meson compile -C "$build_dir" >"$log" 2>&1; then
	cat "$log"
	echo "run_tests.sh: the build in $build_dir failed" >&2
	tally 0 1 0
	exit 1
fi

status=0
meson test -C "$build_dir" --print-errorlogs "$@" 2>&1 | tee "$log" ||
	status=$?

passed=$(($(count Ok) + $(count 'Expected Fail')))
failed=$(($(count Fail) + $(count 'Unexpected Pass') + $(count Timeout)))
skipped=$(count Skipped)
# meson failing without a summary (bad arguments, unknown suite) is a failure
# the counts above cannot see.
if ((status != 0 && failed == 0)); then
	echo "run_tests.sh: meson test exited with status $status" >&2
	failed=1
fi
tally "$passed" "$failed" "$skipped"
((failed == 0))
