#!/usr/bin/env bash
# Every scenario's expectation for the anchor-validating reference devices
# (root-x1, which issue 6 names, and roots-x1-x2, legacy-dst, pin-r3) agrees with
# OpenSSL, except where the scenario documents why BearSSL differs.
#
# For each scenario with such a device and each phase in which it is powered
# on, the chain the server presents that phase is rebuilt from the scenario's
# PKI (its .pki file plus its own sections, built with `rotsim pki`): the ids
# `rotsim show` prints for the phase, then the phase's chain faults in order
# (drop-intermediate: the first certificate alone; drop=I: without the I-th;
# reverse; append=ID: ID added at the end; chain=LEAF[.VARIANT]: that leaf's
# chain file instead). Transfer faults do not change the chain. Then
#
#   openssl verify -attime T -purpose sslserver -verify_hostname updates.rotsim.test \
#       -partial_chain -CAfile ANCHORS.pem [-untrusted REST.pem] FIRST.pem
#
# where FIRST is the first certificate presented (what the device takes as the
# server's), REST the others, T the device's clock in that phase (the RTC
# `rotsim show` prints: the phase's date unless the phase sets rtc =; 1970 for
# rtc = none; these devices take their time from their RTC), and ANCHORS the
# trust store the device runs: its profile's anchor set, or the set carried by
# the last firmware it was expected to install (a phase expected `updated` whose
# offer says "carries trust store T" installs T; one without a trust store
# brings the factory anchors back; a phase's own install takes effect after its
# handshake). -partial_chain lets a certificate of ANCHORS that is not
# self-signed (pin-r3's R3) end the path, as a BearSSL anchor does.
#
# Agreement:
#   OpenSSL accepts  => the expectation is updated or current;
#   OpenSSL refuses  => the expectation is rejected.
# unreachable and insecure never agree (a validating device's outcome here must
# be decided by validation). A reason containing "bearssl-differs:" states that
# BearSSL's answer differs from OpenSSL's (its first-anchor stop, its dateless
# anchors): there the expectation must be the opposite of the above, so a stale
# mark fails too.
#
# The test first runs itself on deliberately wrong scenarios and must see them
# fail; then on the catalogue.
#
# Environment: ROTSIM (default build/bin/rotsim), ROTSIM_TOP (the source tree),
# ROTSIM_SCENARIOS (default $ROTSIM_TOP/scenarios), ROTSIM_CACHE (key cache),
# AGREEMENT_DEVICES (default "root-x1 roots-x1-x2 legacy-dst pin-r3").
# usage: openssl_agreement.sh [NAME ...]
set -u
top=${ROTSIM_TOP:-.}
top=$(cd "$top" && pwd)
rotsim=${ROTSIM:-$top/build/bin/rotsim}
case $rotsim in /*) ;; *) rotsim=$PWD/$rotsim ;; esac
scn_dir=${ROTSIM_SCENARIOS:-$top/scenarios}
devices=${AGREEMENT_DEVICES:-root-x1 roots-x1-x2 legacy-dst pin-r3}
host=updates.rotsim.test

die() { echo "openssl_agreement.sh: $*" >&2; exit 2; }
# The anchor set a stock device of the reference agent trusts (trust = set:NAME).
anchors_of() {
	awk -F' *= *' '$1 == "trust" && $2 ~ /^set:/ { print substr($2, 5) }' \
		"$top/targets/firmware/devices/$1.device"
}
[ -x "$rotsim" ] || die "no rotsim at $rotsim (set ROTSIM)"
command -v openssl >/dev/null || die "no openssl"
# Each device's factory anchor set, read once.
declare -A factory_of=()
for d in $devices; do
	a=$(anchors_of "$d")
	[ -n "$a" ] || die "$d.device names no anchor set: not an anchor-validating device"
	factory_of[$d]=$a
	c=$(awk -F' *= *' '$1 == "clock" { print $2 }' "$top/targets/firmware/devices/$d.device")
	[ "${c:-rtc}" = rtc ] || die "$d.device: clock = $c (this test models RTC devices only)"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The scenario's hierarchy as one .pki: its pki file, then its own sections.
build_pki() {
	local scn=$1 out=$2 pki
	pki=$(awk -F' *= *' '/^\[scenario /{ s = 1; next } /^\[/{ s = 0 } s && $1 == "pki" { print $2 }' "$scn")
	{
		if [ -n "$pki" ]; then
			case $pki in /*) cat "$pki" ;; *) cat "$(dirname "$scn")/$pki" ;; esac
		fi
		awk '/^\[(root|intermediate|cross|leaf|anchors|defaults)[] ]/ { keep = 1; print; next }
			/^\[/ { keep = 0 } keep' "$scn"
	} >"$out.pki"
	"$rotsim" pki "$out.pki" --out "$out" -q >"$out.log" 2>&1 || { cat "$out.log"; return 1; }
}

# Split a PEM bundle into one file per certificate: DIR/split-N.pem; prints the paths.
split_pem() {
	local f=$1 dir=$2 prefix=$3
	awk -v d="$dir" -v p="$prefix" '/-----BEGIN CERTIFICATE-----/ { n++ }
		n { print > (d "/" p "-" n ".pem") }' "$f"
	ls "$dir/$prefix"-*.pem 2>/dev/null | sort -t- -k2 -n
}

# The seconds since 1970 of a date, once per date (date is a process; the
# phases of the catalogue share few dates): into epoch.
declare -A epoch_of=()
epoch_at() {
	epoch=
	[ -n "${epoch_of[$1]:-}" ] || epoch_of[$1]=$(date -u -d "$1" +%s) || return 1
	epoch=${epoch_of[$1]}
}

# Check one scenario; prints one line per compared phase; returns 1 on disagreement.
# Few processes per phase (openssl verify itself): the catalogue has some 300.
check_scenario() {
	local name=$1 show scn pkid bad=0 device factory trust
	scn=$scn_dir/$name.scn
	show=$("$rotsim" show "$name" --scenarios "$scn_dir") || { echo "FAIL $name: rotsim show"; return 1; }
	pkid=$tmp/pki-$name
	local devlines=() line
	while IFS= read -r line; do
		[[ $line == devices:* ]] && devlines+=("$line")
	done <<<"$show"
	for device in $devices; do
	# A line "devices: ..., DEVICE, ..." (grep -E "^devices:(.*,)? +DEVICE(,|$)").
	local dl listed=0
	for dl in "${devlines[@]}"; do
		[[ $dl =~ ^devices:(.*,)?\ +$device(,|$) ]] && listed=1
	done
	[ $listed -eq 1 ] || continue
	[ -d "$pkid" ] || build_pki "$scn" "$pkid" || { echo "FAIL $name: cannot build its PKI"; return 1; }
	factory=${factory_of[$device]}
	trust=$factory

	# One record per phase: name|server|faults(;)|rtc|trust-offered|outcome|reason
	local records
	records=$(awk -v dev="$device" '
		function flush() { if (ph != "") print ph "|" srv "|" flt "|" rtc "|" tr "|" out "|" why }
		/^phase / { flush(); ph = $2; sub(/:$/, "", ph); srv = ""; flt = ""; rtc = ""; tr = ""; out = "off"; why = "" }
		/^  server: / { s = $0; sub(/^  server: +/, "", s); srv = s }
		/^  fault: / { f = $0; sub(/^  fault: +/, "", f); flt = flt (flt == "" ? "" : ";") f }
		/^  offers: / { if (match($0, /carries trust store [^)]*/)) tr = substr($0, RSTART + 20, RLENGTH - 20) }
		/^  device: +powered on, RTC / { r = $0; sub(/.*RTC /, "", r); sub(/[ ,].*/, "", r); rtc = r }
		/^  expect: / && $2 == dev { out = $3; w = $0; if (sub(/.*  # /, "", w)) why = w; else why = "" }
		END { flush() }' <<<"$show")

	while IFS='|' read -r ph srv flt rtc offered out why; do
		[ -n "$ph" ] || continue
		[ "$out" = off ] && continue
		# The chain as presented: ids from the server line.
		local files=() i
		srv=${srv% (chain *}
		IFS=' ' read -r -a parts <<<"${srv// <- / }"
		for i in "${parts[@]}"; do files+=("$pkid/$i.crt.pem"); done
		local f
		IFS=';' read -r -a fl <<<"$flt"
		for f in "${fl[@]}"; do
			case $f in
			drop-intermediate) files=("${files[0]}") ;;
			drop=*) unset 'files[${f#drop=}]'; files=("${files[@]}") ;;
			reverse)
				local rev=()
				for ((i = ${#files[@]} - 1; i >= 0; i--)); do rev+=("${files[$i]}"); done
				files=("${rev[@]}") ;;
			append=*) files+=("$pkid/${f#append=}.crt.pem") ;;
			chain=*)
				local leafv=${f#chain=}
				leafv=${leafv%%,*}
				mapfile -t files < <(split_pem "$pkid/chains/$leafv.pem" "$tmp" "c-$name-$ph") ;;
			esac
		done
		# Time: the device's RTC.
		local t epoch
		if [ "$rtc" = none ] || [ -z "$rtc" ]; then t=0; else epoch_at "$rtc"; t=$epoch; fi
		local anchors=$pkid/anchors/$trust.pem
		[ -r "$anchors" ] || { echo "FAIL $name $device @ $ph: no anchor set $trust"; bad=1; continue; }
		for f in "${files[@]}"; do
			[ -r "$f" ] || { echo "FAIL $name $device @ $ph: no certificate ${f##*/}"; bad=1; continue 2; }
		done
		# REST.pem: the other certificates presented, in order.
		for f in "${files[@]:1}"; do
			while IFS= read -r line || [ -n "$line" ]; do
				printf '%s\n' "$line"
			done <"$f"
		done >"$tmp/untrusted.pem"
		local args=(-attime "$t" -purpose sslserver -verify_hostname "$host" -partial_chain -CAfile "$anchors")
		[ -s "$tmp/untrusted.pem" ] && args+=(-untrusted "$tmp/untrusted.pem")
		local res verdict ok=0
		res=$(openssl verify "${args[@]}" "${files[0]}" 2>&1 </dev/null)
		# A line ending in ": OK" (grep ': OK$').
		[[ $res$'\n' == *": OK"$'\n'* ]] && ok=1
		if [ $ok -eq 1 ]; then verdict=accepts; else verdict=refuses; fi
		local agree=0
		case $verdict:$out in
		accepts:updated|accepts:current|refuses:rejected) agree=1 ;;
		esac
		local marked=0
		[[ $why == *bearssl-differs:* ]] && marked=1
		# The first line with "error N", from its last "error " on; else OK,
		# else openssl's first line.
		local detail=
		while IFS= read -r line; do
			if [[ $line =~ error\ [0-9]+ ]]; then
				detail="error ${line##*error }"
				break
			fi
		done <<<"$res"
		if [ -z "$detail" ]; then
			if [ $ok -eq 1 ]; then detail=OK; else detail=${res%%$'\n'*}; fi
		fi
		if [ $marked -eq 0 ] && [ $agree -eq 1 ]; then
			echo "ok   $name $device @ $ph: openssl $verdict ($detail), expected $out"
		elif [ $marked -eq 1 ] && [ $agree -eq 0 ] && [[ $out != unreachable && $out != insecure ]]; then
			echo "ok   $name $device @ $ph: openssl $verdict ($detail), expected $out: bearssl-differs, as the reason says"
		elif [ $marked -eq 1 ]; then
			echo "FAIL $name $device @ $ph: marked bearssl-differs, but openssl $verdict and the expectation is $out"
			bad=1
		else
			echo "FAIL $name $device @ $ph: openssl $verdict ($detail) the chain $(printf '%s ' "${files[@]##*/}")at $rtc with $trust, but $device is expected $out"
			bad=1
		fi
		# The phase's install takes effect for the next phase.
		if [ "$out" = updated ]; then trust=${offered:-$factory}; fi
	done <<<"$records"
	done
	return $bad
}

# 1. The test must be able to fail: a copy of le-r3-to-r10 whose root-x1 is
#    expected rejected in a phase OpenSSL accepts, and one that marks an agreeing
#    phase bearssl-differs.
if [ -z "${AGREEMENT_INNER:-}" ]; then
	wrong=$tmp/wrong
	mkdir -p "$wrong"
	src=$scn_dir/le-r3-to-r10.scn
	[ -r "$src" ] || die "no $src for the self-test"
	sed -e "s|^pki *= *pki/|pki     = $scn_dir/pki/|" \
		-e 's|^expect.root-x1 *=.*|expect.root-x1 = rejected  # deliberately wrong|' "$src" \
		>"$wrong/le-r3-to-r10.scn"
	if AGREEMENT_INNER=1 ROTSIM_SCENARIOS=$wrong bash "$0" le-r3-to-r10 >"$tmp/self.log" 2>&1; then
		cat "$tmp/self.log"
		echo "FAIL: the self-test scenario (root-x1 expected rejected on a chain OpenSSL accepts) passed"
		exit 1
	fi
	grep -q '^FAIL le-r3-to-r10 root-x1 @ after' "$tmp/self.log" || { cat "$tmp/self.log"; echo "FAIL: self-test did not fail where expected"; exit 1; }
	sed -e "s|^pki *= *pki/|pki     = $scn_dir/pki/|" \
		-e 's|^expect.root-x1 *=.*|expect.root-x1 = updated  # bearssl-differs: deliberately stale|' "$src" \
		>"$wrong/le-r3-to-r10.scn"
	if AGREEMENT_INNER=1 ROTSIM_SCENARIOS=$wrong bash "$0" le-r3-to-r10 >"$tmp/self2.log" 2>&1; then
		cat "$tmp/self2.log"
		echo "FAIL: the self-test scenario with a stale bearssl-differs mark passed"
		exit 1
	fi
	echo "self-test: a wrong expectation and a stale bearssl-differs mark are both caught"
fi

# 2. The catalogue.
if [ $# -gt 0 ]; then
	names=("$@")
else
	mapfile -t names < <("$rotsim" list --names --scenarios "$scn_dir")
fi
[ ${#names[@]} -gt 0 ] || die "no scenario"
status=0 compared=0
for n in "${names[@]}"; do
	out=$(check_scenario "$n") || status=1
	[ -n "$out" ] && echo "$out"
	while IFS= read -r line; do
		[[ $line == ok* || $line == FAIL* ]] && compared=$((compared + 1))
	done <<<"$out"
done
echo "$compared device phases ($devices) compared with openssl verify; $([ $status -eq 0 ] && echo 'all agree' || echo 'some disagree')"
[ $compared -gt 0 ] || { echo "FAIL: nothing compared"; exit 1; }
exit $status
