#!/usr/bin/env bash
# Run the memspike benchmarks and their Brian2 counterparts on this machine
# in one go; every result is one key=value line (bench/README.md).
#
#   bench/run.sh [--quick] [--reps N] [--no-brian2] [--no-memory]
#
#   --quick      1 s of biological time only, one repetition, no 10^7-spike
#                memory run (a few minutes, most of it Brian2 compiling)
#   --reps N     timed repetitions per measurement, median reported (3)
#   --no-brian2  memspike only (no ratio lines)
#   --no-memory  skip the 10^7-spike peak-memory run
#
# Builds memspike (release) in build-bench/ (MS_BENCH_BUILD overrides).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD=${MS_BENCH_BUILD:-build-bench}
PY=/usr/bin/python3
TIME=/usr/bin/time
durations=(1 10)
reps=3
brian2=1
memory=1

die() {
	printf 'bench/run.sh: %s\n' "$*" >&2
	exit 1
}

while (($#)); do
	case "$1" in
	--quick)
		durations=(1)
		reps=1
		memory=0
		;;
	--reps)
		[[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--reps needs a positive integer"
		reps=$2
		shift
		;;
	--no-brian2) brian2=0 ;;
	--no-memory) memory=0 ;;
	-h | --help)
		sed -n '2,14s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
	shift
done

[[ -x "$TIME" ]] || die "$TIME not found (Debian package 'time')"

if [[ ! -f "$BUILD/meson-private/coredata.dat" ]]; then
	meson setup "$BUILD" --buildtype=release >/dev/null ||
		die "meson setup $BUILD failed"
fi
meson compile -C "$BUILD" tools/memspike bench/ms_bench >/dev/null ||
	die "building memspike in $BUILD failed (run: meson compile -C $BUILD)"
MS=$BUILD/tools/memspike
MSB=$BUILD/bench/ms_bench

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Value of key in a key=value line.
field() {
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"
}

# The key=value line $3 with the value of key $1 replaced by $2.
set_field() {
	awk -v k="$1" -v v="$2" '{
		for (i = 1; i <= NF; i++)
			if (index($i, k "=") == 1)
				$i = k "=" v
		print
	}' <<<"$3"
}

# Median of the numbers on stdin.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# a / b with 3 decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'
}

# Run ms_bench reps times with the given arguments; print its line with
# wall_s and total_s replaced by their medians.
ms_bench_median() {
	local r line walls=() totals=()
	for ((r = 0; r < reps; r++)); do
		line=$("$MSB" "$@") || die "ms_bench $* failed"
		walls+=("$(field wall_s "$line")")
		totals+=("$(field total_s "$line")")
	done
	line=$(set_field wall_s "$(printf '%s\n' "${walls[@]}" | median)" "$line")
	line=$(set_field total_s "$(printf '%s\n' "${totals[@]}" | median)" "$line")
	echo "$line reps=$reps"
}

# The memspike CLI on an example config: median process time and engine
# time, peak RSS of the last run, counts from the file it wrote.
cli_median() {
	local name=$1 config=$2 bio=$3 r elapsed=() walls=() rss summary
	for ((r = 0; r < reps; r++)); do
		"$TIME" -f '%e %M' -o "$tmp/time" "$MS" run "$config" \
			--duration "${bio}s" -o "$tmp/cli.h5" >/dev/null ||
			die "memspike run $config failed"
		summary=$("$PY" bench/h5_summary.py "$tmp/cli.h5")
		elapsed+=("$(cut -d' ' -f1 "$tmp/time")")
		walls+=("$(field sim_wall_s "$summary")")
		rss=$(cut -d' ' -f2 "$tmp/time")
	done
	echo "bench=$name sim=memspike_cli config=$config bio_s=$bio" \
		"wall_s=$(printf '%s\n' "${walls[@]}" | median)" \
		"total_s=$(printf '%s\n' "${elapsed[@]}" | median)" \
		"peak_rss_mb=$((rss / 1024))" \
		"$(sed 's/ *sim_wall_s=[^ ]*//; s/ *bio_s=[^ ]*//' <<<"$summary")" \
		"reps=$reps"
}

brian2_line() {
	"$PY" bench/brian2_bench.py --model "$1" --mode "$2" --duration-s "$3" \
		--repeat "$reps" 2>"$tmp/b2.err" ||
		{
			cat "$tmp/b2.err" >&2
			die "brian2_bench.py --model $1 --mode $2 failed"
		}
}

echo "# $("$MS" --version | head -n 1), $(nproc) cores," \
	"$(date -u +%Y-%m-%dT%H:%MZ), reps=$reps"

declare -A config=([cuba]=examples/cuba.yaml [bench4]=examples/brette_bench4.yaml)
declare -A spikes_per_s
for bench in cuba bench4; do
	for bio in "${durations[@]}"; do
		ms=$(ms_bench_median "$bench" --duration-s "$bio" -o "$tmp/msb.h5")
		echo "$ms"
		spikes_per_s[$bench]=$(awk -v s="$(field spikes "$ms")" -v d="$bio" 'BEGIN { print s / d }')
		cli_median "$bench" "${config[$bench]}" "$bio"
		((brian2)) || continue
		sa=$(brian2_line "$bench" standalone "$bio")
		echo "$sa"
		cy=$(brian2_line "$bench" cython "$bio")
		echo "$cy"
		echo "bench=$bench bio_s=$bio" \
			"memspike_s=$(field total_s "$ms")" \
			"brian2_standalone_s=$(field total_s "$sa")" \
			"brian2_cython_s=$(field total_s "$cy")" \
			"ratio_standalone=$(ratio "$(field total_s "$ms")" "$(field total_s "$sa")")" \
			"ratio_cython=$(ratio "$(field total_s "$ms")" "$(field total_s "$cy")")" \
			"memspike_rate_hz=$(field rate_hz "$ms")" \
			"brian2_rate_hz=$(field rate_hz "$sa")"
	done
done

# The issue's target (CUBA at least 2x faster than Brian2 standalone), timed
# in pairs: Brian2's compiled binary and ms_bench alternated round by round
# (bench/alternate.py), so that drifts of the shared machine hit both.
if ((brian2)); then
	rounds=$((reps > 21 ? reps : 21))
	for bio in "${durations[@]}"; do
		"$PY" bench/alternate.py --model cuba --duration-s "$bio" \
			--rounds "$rounds" --ms-bench "$MSB" 2>"$tmp/alt.err" |
			tail -n 1 ||
			{
				cat "$tmp/alt.err" >&2
				die "bench/alternate.py failed"
			}
	done
fi

# Conductance-based networks (benchmarks 1 and 3, seed 2: with seed 1 COBA
# dies out in memspike) and one HH neuron, against Brian2 standalone only.
# COBAHH runs 1 s only: memspike needs about a minute per simulated second.
# hh1 lines carry each simulator's spike-time error against
# ../shared/reference/hh_I10_spikes.csv; memspike runs at rtol = atol = 1e-6.
export MS_SOURCE_ROOT=$PWD
for bench in coba hh1 cobahh; do
	for bio in "${durations[@]}"; do
		[[ $bench == cobahh && $bio != 1 ]] && continue
		ms=$(ms_bench_median "$bench" --duration-s "$bio" --seed 2 -o "$tmp/msb.h5")
		echo "$ms"
		((brian2)) || continue
		sa=$("$PY" bench/brian2_bench.py --model "$bench" --mode standalone \
			--duration-s "$bio" --seed 2 --repeat "$reps" 2>"$tmp/b2.err") ||
			{
				cat "$tmp/b2.err" >&2
				die "brian2_bench.py --model $bench failed"
			}
		echo "$sa"
		err=""
		[[ $bench == hh1 ]] &&
			err="memspike_err_ms=$(field spike_err_ms "$ms")"\
" brian2_err_ms=$(field spike_err_ms "$sa")"\
" brian2_err_interp_ms=$(field spike_err_interp_ms "$sa")"
		echo "bench=$bench bio_s=$bio" \
			"memspike_s=$(field total_s "$ms")" \
			"brian2_standalone_s=$(field total_s "$sa")" \
			"ratio_standalone=$(ratio "$(field total_s "$ms")" "$(field total_s "$sa")")" \
			"memspike_rate_hz=$(field rate_hz "$ms")" \
			"brian2_rate_hz=$(field rate_hz "$sa")" $err
	done
done

# Recording overhead: the same benchmark-4 run with and without spike
# recording, alternated at least 11 times; the fastest of each is compared,
# since load from other processes can only add time.
bio=${durations[-1]}
rec=() norec=()
over_reps=$((reps > 11 ? reps : 11))
for ((r = 0; r < over_reps; r++)); do
	line=$("$MSB" bench4 --duration-s "$bio" --no-record) || die "ms_bench failed"
	norec+=("$(field wall_s "$line")")
	line=$("$MSB" bench4 --duration-s "$bio" -o "$tmp/rec.h5") || die "ms_bench failed"
	rec+=("$(field wall_s "$line")")
done
w0=$(printf '%s\n' "${norec[@]}" | sort -g | head -n 1)
w1=$(printf '%s\n' "${rec[@]}" | sort -g | head -n 1)
pct=$(awk -v a="$w1" -v b="$w0" 'BEGIN { printf "%.1f", (b > 0) ? 100 * (a - b) / b : 0 }')
verdict=$(awk -v p="$pct" 'BEGIN { print ((p + 0 < 10) ? "pass" : "FAIL") }')
echo "bench=record_overhead model=bench4 bio_s=$bio spikes=$(field spikes "$line")" \
	"wall_norec_s=$w0 wall_rec_s=$w1 overhead_pct=$pct target_pct=10" \
	"result=$verdict reps=$over_reps"
rm -f "$tmp/rec.h5"

# Peak memory of the CLI recording at least 10^7 spikes of benchmark 4; the
# duration comes from the spike rate measured above.
if ((memory)); then
	bio=$(awk -v r="${spikes_per_s[bench4]}" 'BEGIN { d = 1.05e7 / r; printf "%d", (d == int(d)) ? d : int(d) + 1 }')
	"$TIME" -f '%e %M' -o "$tmp/time" "$MS" run examples/brette_bench4.yaml \
		--duration "${bio}s" -o "$tmp/big.h5" >/dev/null ||
		die "memspike run (memory bench) failed"
	summary=$("$PY" bench/h5_summary.py "$tmp/big.h5")
	read -r elapsed rss <"$tmp/time"
	mb=$((rss / 1024))
	n=$(field spikes "$summary")
	verdict=$( ((mb < 100 && n >= 10000000)) && echo pass || echo FAIL)
	echo "bench=memory model=bench4 bio_s=$bio spikes=$n" \
		"file_mb=$(($(stat -c %s "$tmp/big.h5") / 1048576))" \
		"total_s=$elapsed peak_rss_mb=$mb target_mb=100 result=$verdict"
fi

# Cost of plasticity (bench/plast_bench.c): 1000 Poisson inputs onto 100
# LIF neurons, all to all, static synapses against pair STDP and waveform
# STDP (fast mode), alternated in each repetition so that load from other
# processes hits them alike; medians and their ratios to static. Exact
# mode runs 1 s of biological time only (seconds per simulated second).
# Then the classic pair-STDP sweep of issue 4 (201 delta_t points x 60
# pairings) in memspike and in Brian2 standalone.
meson compile -C "$BUILD" bench/plast_bench >/dev/null ||
	die "building bench/plast_bench in $BUILD failed"
PB=$BUILD/bench/plast_bench
bio=${durations[-1]}
declare -A pwalls plines
for ((r = 0; r < reps; r++)); do
	for rule in static pair waveform_fast; do
		line=$("$PB" "$rule" --duration-s "$bio") || die "plast_bench $rule failed"
		pwalls[$rule]+="$(field wall_s "$line") "
		plines[$rule]=$line
	done
done
for rule in static pair waveform_fast; do
	med=$(printf '%s\n' ${pwalls[$rule]} | median)
	echo "$(set_field wall_s "$med" "${plines[$rule]}") reps=$reps" \
		"vs_static=$(ratio "$med" "$(printf '%s\n' ${pwalls[static]} | median)")"
done
"$PB" waveform_exact --duration-s 1 || die "plast_bench waveform_exact failed"
ms=$("$PY" bench/ms_stdp_sweep.py --memspike "$MS" --repeat "$reps") ||
	die "ms_stdp_sweep.py failed"
echo "$ms"
"$PY" bench/ms_stdp_sweep.py --memspike "$MS" --repeat "$reps" \
	--config examples/stdp_zamarreno2011.yaml || die "ms_stdp_sweep.py failed"
if ((brian2)); then
	sa=$("$PY" bench/brian2_stdp_sweep.py --repeat "$reps" 2>"$tmp/b2.err") ||
		{
			cat "$tmp/b2.err" >&2
			die "brian2_stdp_sweep.py failed"
		}
	echo "$sa"
	echo "bench=stdp_sweep points=$(field points "$ms") pairings=$(field pairings "$ms")" \
		"memspike_process_s=$(field process_s "$ms")" \
		"brian2_process_s=$(field process_s "$sa")" \
		"memspike_sim_s=$(field sim_s "$ms") brian2_sim_s=$(field sim_s "$sa")" \
		"ratio_process=$(ratio "$(field process_s "$ms")" "$(field process_s "$sa")")" \
		"ratio_sim=$(ratio "$(field sim_s "$ms")" "$(field sim_s "$sa")")"
fi
