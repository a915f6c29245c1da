#!/usr/bin/env bash
# The pcap reader agrees with tshark on every committed capture: SNI, the
# server's chain (SHA-256 of each certificate, in order), clear alerts with
# who sent them, the number of alert records each way (clear or encrypted),
# the chosen cipher suite and the bytes of application data each way.
# Each side is reduced to sorted lines "FLOW what ..." and compared with diff.
set -euo pipefail
top=${ROTSIM_TOP:-$(cd "$(dirname "$0")/../../.." && pwd)}
data=$top/harness/capture/tests/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v tshark >/dev/null || { echo "tshark is not installed (make deps)"; exit 1; }
command -v jq >/dev/null || { echo "jq is not installed (make deps)"; exit 1; }

ours() {
	"$ROTSIM" inspect --json "$1" | jq -r '
		.flows | to_entries[] | .key as $f | .value as $v |
		( if $v.tls.client_hello.sni then "\($f) sni \($v.tls.client_hello.sni)" else empty end ),
		( if $v.tls.server_hello then "\($f) suite \($v.tls.server_hello.suite)" else empty end ),
		( ($v.tls.chain // []) | to_entries[] | "\($f) cert \(.key) \(.value.sha256)" ),
		( $v.events[] | select(.event == "alert") | "\($f) alert \(.from) \(.level) \(.desc)" ),
		( $v.events[] | select(.event == "alert" or .event == "encrypted_alert")
			| "\($f) alertrec \(.from)" ),
		( if $v.app_bytes.c2s > 0 then "\($f) app client \($v.app_bytes.c2s)" else empty end ),
		( if $v.app_bytes.s2c > 0 then "\($f) app server \($v.app_bytes.s2c)" else empty end )'
}

theirs() {
	local pcap=$1 ports
	# The service port of each capture: the destination of the first SYN.
	ports=$(tshark -r "$pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' \
		-T fields -e tcp.dstport 2>/dev/null | sort -u)
	local decode=()
	for p in $ports; do decode+=(-d "tcp.port==$p,tls"); done
	tshark -r "$pcap" "${decode[@]}" -T fields -E separator=/t -E occurrence=a \
		-E aggregator=, -e tcp.stream -e tcp.srcport -e tcp.dstport -e tcp.flags.syn \
		-e tcp.flags.ack -e tls.handshake.extensions_server_name \
		-e tls.handshake.type -e tls.handshake.ciphersuite \
		-e tls.alert_message.level -e tls.alert_message.desc \
		-e tls.record.content_type -e tls.record.length \
		-e tls.handshake.certificate -e tls.record.opaque_type 2>/dev/null > "$tmp/fields"
	awk -F'\t' -v tmp="$tmp" '
	{
		s = $1
		if ($4 == "1" && $5 == "0") server[s] = $3
		if (!(s in server)) server[s] = ($2 < $3) ? $2 : $3
		from = ($2 == server[s]) ? "server" : "client"
		if ($6 != "") print s, "sni", $6
		# The chosen suite: the one ciphersuite field of a ServerHello.
		nt = split($7, ht, ",")
		for (i = 1; i <= nt; i++) if (ht[i] == "2") { split($8, cs, ","); print s, "suite", cs[1] }
		nl = split($9, lv, ","); split($10, ds, ",")
		for (i = 1; i <= nl; i++) print s, "alert", from, lv[i], ds[i]
		# TLS 1.3 encrypted records carry an opaque type, listed apart; in a
		# frame the clear records come first.
		types = $11
		if ($14 != "") types = (types == "" ? $14 : types "," $14)
		nr = split(types, ct, ","); split($12, ln, ",")
		for (i = 1; i <= nr; i++) {
			if (ct[i] == "21") print s, "alertrec", from
			if (ct[i] == "23") app[s " " from] += ln[i]
		}
		if ($13 != "") {
			nc = split($13, certs, ",")
			for (i = 1; i <= nc; i++) {
				gsub(":", "", certs[i])
				print s, "certhex", i - 1, certs[i]
			}
		}
	}
	END { for (k in app) print k " " app[k] > (tmp "/app") }' "$tmp/fields" > "$tmp/raw"
	[ -f "$tmp/app" ] && sed 's/^\([0-9]*\) /\1 app /' "$tmp/app"
	rm -f "$tmp/app"
	while read -r s what a b rest; do
		if [ "$what" = suite ]; then
			echo "$s suite $((a))"
		elif [ "$what" = certhex ]; then
			# Only the server's chain is compared (the first Certificate).
			echo "$s cert $a $(printf '%s' "$b" | xxd -r -p | sha256sum | cut -d' ' -f1)"
		else
			echo "$s $what $a${b:+ $b}${rest:+ $rest}"
		fi
	done < "$tmp/raw"
}

n=0
for pcap in "$data"/*.pcap; do
	name=$(basename "$pcap")
	ours "$pcap" | sort > "$tmp/ours"
	theirs "$pcap" | sort > "$tmp/theirs"
	# Each capture must say something: an empty comparison proves nothing.
	[ -s "$tmp/ours" ] || { echo "$name: the reader found nothing"; exit 1; }
	if ! diff -u "$tmp/theirs" "$tmp/ours" > "$tmp/diff"; then
		echo "$name: rotsim inspect and tshark disagree (- tshark, + rotsim):"
		cat "$tmp/diff"
		exit 1
	fi
	echo "$name: agrees with tshark on $(wc -l < "$tmp/ours") facts"
	n=$((n + 1))
done
[ "$n" -ge 5 ] || { echo "expected at least 5 captures in $data, found $n"; exit 1; }
