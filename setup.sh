#!/usr/bin/env bash
# Install what memspike needs on Debian 12, build it, and run a demo.
#
#   ./setup.sh              install missing packages, build (build/), run the
#                           benchmark-4 demo and plot its raster (demo/)
#   ./setup.sh --no-demo    install and build only
#   ./setup.sh --deps-only  install missing packages only
#
# Idempotent: packages already installed are not touched (apt-get runs only
# when dpkg-query reports something missing), an existing build/ is
# reconfigured rather than recreated.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

# Build tools and libraries; Python for plots and file checks; Brian2 and
# bmtk for the comparisons in tests/ and bench/; GNU time for bench/run.sh.
PACKAGES=(
	build-essential meson ninja-build pkg-config
	libuv1-dev libhdf5-dev check libyaml-dev zlib1g-dev
	python3-h5py python3-matplotlib python3-numpy
	python3-brian python3-bmtk
	time
)
BUILD_DIR=build
DEMO_DIR=demo

usage() {
	sed -n '2,11s/^# \{0,1\}//p' "$0"
}

say() {
	printf 'setup.sh: %s\n' "$*"
}

die() {
	printf 'setup.sh: error: %s\n' "$*" >&2
	exit 1
}

want_build=1
want_demo=1
while (($#)); do
	case "$1" in
	--no-demo) want_demo=0 ;;
	--deps-only)
		want_build=0
		want_demo=0
		;;
	-h | --help)
		usage
		exit 0
		;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
	shift
done

# Packages from PACKAGES that dpkg does not report as installed.
missing_packages() {
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		if [[ "$status" != "install ok installed" ]]; then
			printf '%s\n' "$p"
		fi
	done
}

install_deps() {
	if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
		die "this script needs Debian's dpkg and apt-get; install by hand: ${PACKAGES[*]}"
	fi

	local missing
	mapfile -t missing < <(missing_packages)
	if ((${#missing[@]} == 0)); then
		say "all ${#PACKAGES[@]} required Debian packages are installed"
		return
	fi

	local -a sudo=()
	if ((EUID != 0)); then
		command -v sudo >/dev/null ||
			die "not root and no sudo; as root run: apt-get install -y ${missing[*]}"
		sudo=(sudo)
	fi
	say "installing ${#missing[@]} missing package(s): ${missing[*]}"
	"${sudo[@]}" apt-get update ||
		die "apt-get update failed (network or apt sources?)"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}" ||
		die "apt-get install failed for: ${missing[*]}"

	mapfile -t missing < <(missing_packages)
	((${#missing[@]} == 0)) ||
		die "still missing after apt-get install: ${missing[*]}"
	say "packages installed"
}

build() {
	if [[ -f "$BUILD_DIR/meson-private/coredata.dat" ]]; then
		say "reconfiguring $BUILD_DIR/ (release)"
		meson setup --reconfigure "$BUILD_DIR" --buildtype=release >/dev/null ||
			die "meson setup --reconfigure $BUILD_DIR failed (see $BUILD_DIR/meson-logs/meson-log.txt)"
	else
		say "configuring $BUILD_DIR/ (release)"
		meson setup "$BUILD_DIR" --buildtype=release >/dev/null ||
			die "meson setup $BUILD_DIR failed (see $BUILD_DIR/meson-logs/meson-log.txt)"
	fi
	say "building"
	meson compile -C "$BUILD_DIR" || die "build failed"
	say "built $BUILD_DIR/tools/memspike"
}

demo() {
	local h5="$DEMO_DIR/bench4.h5" png="$DEMO_DIR/bench4_raster.png"
	mkdir -p "$DEMO_DIR"
	say "demo: Brette et al. (2007) benchmark 4, 4000 LIF neurons"
	"$BUILD_DIR/tools/memspike" run examples/brette_bench4.yaml -o "$h5" ||
		die "the demo run failed"
	/usr/bin/python3 tools/plot_raster.py "$h5" -o "$png" \
		--populations exc,inh --t0 0 --t1 1000 >/dev/null ||
		die "plotting $h5 failed"
	say "spikes: $PWD/$h5"
	say "raster of the first second: $PWD/$png"
	say "summary: $BUILD_DIR/tools/memspike info $h5"
}

install_deps
if ((want_build)); then
	build
fi
if ((want_demo)); then
	demo
fi
say "done"
