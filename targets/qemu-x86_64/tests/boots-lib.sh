# shellcheck shell=bash
# resumed_boots OUT TARGET (sourced by the tests of targets that share one
# image between devices and resume it): reads every boot-N.json under
# OUT/cases and fails (prints FAIL, exits 1) unless there are boots, all the
# resumed ones came from one saved machine (the image is the same for every
# device), and none was cold for want of a power-on point. A cold boot for
# another reason (a save that failed under load: the harness falls back)
# still passes. Sets BOOTS and RESUMED for the test's ok line.
# shellcheck disable=SC2034  # BOOTS and RESUMED are for the caller
resumed_boots() {
	local out=$1 target=$2 bj keys why
	bj=$(find "$out/cases" -name 'boot-[0-9]*.json' -exec cat {} +)
	BOOTS=$(jq -s length <<< "$bj")
	RESUMED=$(jq -s '[.[] | select(.boot == "resumed")] | length' <<< "$bj")
	keys=$(jq -s '[.[] | select(.boot == "resumed") | .snapshot] | unique | length' <<< "$bj")
	why=$(jq -rs '[.[] | select(.boot == "cold") | .why] | unique | join("; ")' <<< "$bj")
	[ "$BOOTS" -gt 0 ] || { echo "FAIL: no boot-N.json in $out/cases"; exit 1; }
	[ "$keys" -le 1 ] || { echo "FAIL: the devices resumed $keys saved machines, want one"; exit 1; }
	case $why in *"no snapshot point"*)
		echo "FAIL: $target declares no power-on point"; exit 1 ;;
	esac
}
