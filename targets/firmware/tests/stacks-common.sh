# What the stack tests share (stacks.sh, stacks-scn.sh, stacks-tools.sh):
# the stacks and variants, a profile on a stack, one boot's outcome, and the
# libraries' own command-line verifiers. Source it after lib.sh.

# Every stack and variant of the agent, as STACK or STACK/VARIANT.
CONFIGS="bearssl mbedtls mbedtls/no-time-date wolfssl openssl openssl/partial-chain
	openssl/no-alt-chains gnutls gnutls/no-trusted-time-checks gnutls/strict-order"
UPDATE_HOST=updates.rotsim.test

# agent_for CONFIG: the agent binary of a stack.
agent_for() {
	local s=${1%%/*}
	if [ "$s" = bearssl ]; then
		echo "$ROTSIM_BUILD/bin/rotsim-agent"
	else
		echo "$ROTSIM_BUILD/bin/rotsim-agent-$s"
	fi
}

# check_agents: every stack's agent is built.
check_agents() {
	local c a
	for c in $CONFIGS; do
		a=$(agent_for "$c")
		[ -x "$a" ] || { echo "FAIL: no $a"; exit 1; }
	done
}

# stack_id CONFIG: the scenario language's stack id (STACK or STACK-VARIANT).
stack_id() { echo "${1/\//-}"; }

# profile_for PROFILE CONFIG: the profile with "tls = STACK [VARIANT]"
# (BearSSL keeps the profile as it is, as its devices do).
profile_for() {
	local p=$1 c=$2 s=${2%%/*} v=
	[ "$c" = "$s" ] || v=${c#*/}
	if [ "$s" = bearssl ]; then
		echo "$PROFILES/$p.profile"
		return
	fi
	local out=$tmp/profiles/$p.${c//\//.}.profile
	mkdir -p "$tmp/profiles"
	{ cat "$PROFILES/$p.profile"; echo "tls        = $s${v:+ $v}"; } > "$out"
	echo "$out"
}

# outcome CONSOLE RC: a boot's outcome: updated, current, or "rejected NAME
# CODE" with the library's own error name and number.
outcome() {
	local l
	case $2 in
	10) echo updated ;;
	0) echo current ;;
	3)
		l=$(grep -m1 '^rotsim: tls result=failed ' "$1") || { echo "rejected-not-tls"; return; }
		echo "rejected $(sed 's/.* err=\([^ ]*\) code=\([^ ]*\).*/\1 \2/' <<<"$l")" ;;
	*) echo "exit-$2" ;;
	esac
}

# run_config NAME PROFILE CONFIG RTC: one boot of PROFILE on CONFIG, a fresh
# flash, against $port with the device clock at RTC. Its console is kept as
# $tmp/console.NAME.CONFIG.log; prints the outcome, or a line starting with
# "FAIL" when a failed handshake does not name its stack and class. It
# touches no shell state, so boots can run side by side (run_configs).
run_config() {
	local name=$1 profile=$2 c=$3 when=$4 s=${3%%/*} rc=0
	local dev=$tmp/dev/$name.${c//\//.} console=$tmp/console.$name.${c//\//.}.log
	mkdir -p "$dev"
	"$(agent_for "$c")" --profile "$(profile_for "$profile" "$c")" --anchors "$pki/anchors" \
		--signing-pub "$tmp/sk.pub.pem" --flash "$dev" --rtc "$when" \
		--connect "127.0.0.1:$port" --hosts /dev/null --backoff-ms 50 --retries 0 \
		--timeout 10 >"$console" 2>&1 || rc=$?
	if [ "$s" != bearssl ] && grep -q '^rotsim: tls result=failed ' "$console"; then
		grep -q "^rotsim: agent-start agent=rotsim-agent-$s .* tls=$s " "$console" ||
			{ echo "FAIL: $name $c: no agent-start with tls=$s"; return; }
		grep -q '^rotsim: tls result=failed .* class=[a-z]* ' "$console" ||
			{ echo "FAIL: $name $c: no class on the tls line"; return; }
	fi
	outcome "$console" "$rc"
}

# run_configs NAME PROFILE RTC: run_config on every stack and variant side by
# side (a boot mostly waits on the network); prints "CONFIG<TAB>OUTCOME" in
# the order of CONFIGS and fails on a FAIL line, showing that console.
run_configs() {
	local c o pids=()
	mkdir -p "$tmp/res"
	for c in $CONFIGS; do
		run_config "$1" "$2" "$c" "$3" > "$tmp/res/$1.${c//\//.}" &
		pids+=("$!")
	done
	# Only these: a plain wait would wait for the servers too.
	wait "${pids[@]}"
	for c in $CONFIGS; do
		o=$(cat "$tmp/res/$1.${c//\//.}")
		if [[ $o == FAIL* ]]; then
			echo "$o" >&2
			cat "$tmp/console.$1.${c//\//.}.log" >&2
			return 1
		fi
		printf '%s\t%s\n' "$c" "$o"
	done
}

# compare_table WANT.tsv GOT.tsv: the measured rows equal the recorded ones
# (comments and blank lines aside).
compare_table() {
	grep -v '^#' "$1" | sed '/^$/d' > "$tmp/want.tsv"
	grep -v '^#' "$2" | sed '/^$/d' > "$tmp/got.tsv"
	diff -u "$tmp/want.tsv" "$tmp/got.tsv" ||
		{ echo "FAIL: outcomes differ from $(basename "$1")"; exit 1; }
}

# anchors_of PROFILE: its anchor set's name (empty for pins or insecure).
anchors_of() { sed -n 's/^anchors *= *//p' "$PROFILES/$1.profile"; }

# device_time PROFILE RTC: the time the device believes at power-on, as Unix
# seconds: its RTC, or for a device without a clock its build date (the
# profile's, else the agent's default, 2024-01-15: FW_BUILD_DATE).
device_time() {
	local t=$2
	if grep -q '^clock *= *none' "$PROFILES/$1.profile"; then
		t=$(sed -n 's/^build-date *= *//p' "$PROFILES/$1.profile")
		t=${t:-2024-01-15}
	fi
	date -u -d "$t" +%s
}

# split_chain CHAINFILE DIR: DIR/leaf.pem and DIR/untrusted.pem (the rest,
# possibly empty).
split_chain() {
	rm -rf "$2"
	mkdir -p "$2"
	awk -v d="$2" '/BEGIN CERT/ { n++ } { print > (d "/" (n == 1 ? "leaf" : "untrusted") ".pem") }' "$1"
	[ -f "$2/untrusted.pem" ] || : > "$2/untrusted.pem"
}

# tool_openssl CONFIG ANCHORS.pem CHAINFILE TIME: `openssl verify` as an
# OpenSSL TLS client verifies a server (purpose sslserver, the host name, the
# variant's flag) at TIME (Unix seconds). Prints "ok" or "error N".
tool_openssl() {
	local flag= out
	case $1 in
	*/partial-chain) flag=-partial_chain ;;
	*/no-alt-chains) flag=-no_alt_chains ;;
	esac
	split_chain "$3" "$tmp/cli"
	if out=$(openssl verify -attime "$4" $flag -purpose sslserver \
		-verify_hostname "$UPDATE_HOST" -CAfile "$2" -untrusted "$tmp/cli/untrusted.pem" \
		"$tmp/cli/leaf.pem" 2>&1); then
		echo ok
	else
		echo "error $(sed -n 's/^error \([0-9]*\) at.*/\1/p' <<<"$out" | head -n 1)"
	fi
}

# tool_certtool ANCHORS.pem CHAINFILE TIME: GnuTLS `certtool --verify` with
# what the device gives gnutls_session_set_verify_cert(): the host name and
# no key purpose. Under faketime at TIME, since certtool 3.7 has no option for
# the verification time. Prints "ok", or "error" and certtool's reasons.
tool_certtool() {
	local out
	out=$(TZ=UTC faketime "$(date -u -d "@$3" '+%Y-%m-%d %H:%M:%S')" certtool --verify \
		--verify-hostname "$UPDATE_HOST" --load-ca-certificate "$1" --infile "$2" 2>&1) &&
		{ echo ok; return; }
	echo "error $(grep -m1 'Chain verification output:' <<<"$out" | sed 's/.*output: //')"
}

# certtool_words STATUS: what certtool says for a gnutls_certificate_status_t
# flag the device reported (gnutls/gnutls.h), or nothing when unmapped.
certtool_words() {
	case $1 in
	GNUTLS_CERT_EXPIRED) echo "uses expired certificate" ;;
	GNUTLS_CERT_NOT_ACTIVATED) echo "uses not yet valid certificate" ;;
	GNUTLS_CERT_SIGNER_NOT_FOUND) echo "issuer is unknown" ;;
	GNUTLS_CERT_UNEXPECTED_OWNER) echo "name in the certificate does not match" ;;
	GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE) echo "violates the signer's constraints" ;;
	GNUTLS_CERT_PURPOSE_MISMATCH) echo "does not match the intended purpose" ;;
	esac
}

# parse_scn FILE: one line per fact, tab-separated:
#   devices  LIST          pki  FILE
#   phase    NAME DATE CHAIN
#   expect   PHASE KEY OUTCOME   (KEY: "expect" or "expect.DEVICE[@ID]")
# and exits non-zero with FILE:LINE on what this runner cannot reproduce.
parse_scn() {
	awk -v f="$1" '
	function fail(m) { printf "%s:%d: %s\n", f, NR, m > "/dev/stderr"; bad = 1; exit 1 }
	function flush() { if (ph != "") print "phase\t" ph "\t" date "\t" chain }
	/^#/ || /^[ \t]*$/ { next }
	/^[ \t]/ { next }
	/^\[/ {
		flush()
		split(substr($0, 2, index($0, "]") - 2), s, " ")
		kind = s[1]; ph = ""
		if (kind == "phase") { ph = s[2]; date = "" }
		else if (kind != "scenario") fail("[" kind "]: PKI sections belong in stack-zoo.pki")
		next
	}
	{
		k = $0; sub(/[ \t]*=.*/, "", k)
		v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+#.*/, "", v)
		if (kind == "scenario") {
			if (k == "devices") { gsub(/[ \t]/, "", v); print "devices\t" v }
			if (k == "pki") print "pki\t" v
			next
		}
		if (k == "date") date = v
		else if (k == "chain") chain = v
		else if (k == "expect" || k ~ /^expect\./) { split(v, o, /[ \t]+/); print "expect\t" ph "\t" k "\t" o[1] }
		else if (k != "firmware" && k != "note") fail(k ": not reproduced by the direct stack runs")
	}
	END { if (!bad) flush() }' "$1"
}
