#!/usr/bin/env bash
# `make bench`: the time of a phase on the lab network (qemu-x86_64-lab: a
# namespace, bridge, TAP, dnsmasq, the lab's SNTP responder, the sink, a
# capture on the bridge, DHCP and DNS in the guest) against user-mode
# networking (qemu-x86_64: restricted slirp, a static address, one forward),
# for the same device and scenario, in the same run.
#
# usage: lab-vs-user.sh       (ROTSIM names the rotsim under test; its build
#                              directory holds the images)
# Environment: BENCH_ROUNDS (runs per network, default 3).
#
# Each run is `rotsim run` of one phase of a current root-x1 device (the
# server offers the version it runs: boot, DHCP or not, resolve, TLS,
# manifest, check-in, power off). Runs alternate between the two networks so
# that a change in the machine's load hits both alike. Per run it takes the
# phase's own time (run.json duration_ms: server start to power-off, the lab's
# per-phase services included) and the whole run's wall time (case set-up,
# the lab's namespace and bridge included). Prints the median (min-max) per
# network and the lab/user ratio of the medians (1 is the same cost).
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
rotsim=${ROTSIM:-$top/build/bin/rotsim}
n=${BENCH_ROUNDS:-3}
me=lab-vs-user
[ -x "$rotsim" ] || { echo "$me: no rotsim at $rotsim (run make)" >&2; exit 2; }
if ! unshare -n true 2>/dev/null; then
	echo "$me: skipped: the lab network needs root or CAP_NET_ADMIN"
	exit 0
fi
build=$(cd "$(dirname "$(dirname "$rotsim")")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-lab-vs-user.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$top"
export ROTSIM_BUILD=$build

mkdir "$tmp/scn"
cat > "$tmp/scn/bench-net.scn" <<SCN
[scenario bench-net]
summary = One boot of a device that is current: it joins the network, reaches the
    server, validates the chain, reads the manifest and checks in.
event   = none: a timing run
source  = targets/qemu-x86_64-lab/bench/lab-vs-user.sh
pki     = $top/scenarios/pki/letsencrypt.pki
devices = root-x1

[phase boot]
date     = 2024-07-01
chain    = leaf-r10
firmware = 1
expect   = current
SCN

# run TARGET I: one timed run; appends "phase_ms wall_ms" to $tmp/TARGET.
run() {
	local out=$tmp/run-$1-$2 t0 t1 ms
	t0=$(date +%s%N)
	if ! "$rotsim" run bench-net --scenarios "$tmp/scn" --target "$1" --device root-x1 \
		--cache "$build/test-cache/pki" --out "$out" -q > "$tmp/log" 2>&1; then
		cat "$tmp/log" >&2
		echo "$me: the run on $1 failed (round $2)" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	ms=$(jq -r .duration_ms "$out"/cases/bench-net/root-x1@"$1"/01-boot/run.json)
	echo "$ms $(( (t1 - t0) / 1000000 ))" >> "$tmp/$1"
	rm -rf "$out"
}

stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		printf "%d (%d-%d)\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
median() { stats | cut -d' ' -f1; }

# A first run, not counted, fills the PKI cache (its RSA keys take minutes
# when cold) and the page cache with the images.
run qemu-x86_64 0
: > "$tmp/qemu-x86_64"
for i in $(seq "$n"); do
	run qemu-x86_64 "$i"
	run qemu-x86_64-lab "$i"
done
printf '%-16s %-20s %s\n' network phase_ms run_ms
for t in qemu-x86_64 qemu-x86_64-lab; do
	printf '%-16s %-20s %s\n' "$t" "$(cut -d' ' -f1 "$tmp/$t" | stats)" \
		"$(cut -d' ' -f2 "$tmp/$t" | stats)"
done
ratio() { # column
	awk -v a="$(cut -d' ' -f"$1" "$tmp/qemu-x86_64-lab" | median)" \
		-v b="$(cut -d' ' -f"$1" "$tmp/qemu-x86_64" | median)" \
		'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
}
echo "lab/user: phase=$(ratio 1) run=$(ratio 2)"
echo "ms; median (min-max) of $n runs per network, TCG, runs alternating between the"
echo "networks; the ratio is of the medians (above 1: the lab network costs more)."
