#!/usr/bin/env bash
# scenarios/README.md against the catalogue: the table lists exactly the scenarios
# `rotsim list` shows, and each row's per-profile cells are the expectations
# `rotsim show` gives, phase by phase.
#
# A cell is one code per phase, separated by spaces: U updated, C current,
# R rejected, N unreachable, I insecure (lower case when the expectation is
# Recommended), "." for a phase in which the device is powered off; "-" for a
# profile that is not a device of the scenario.
#
# usage: readme.sh            check (exit 0, or 1 with every difference listed)
#        readme.sh --print    print the rows' name and profile cells as computed,
#                             for editing the README
# Environment: ROTSIM (default build/bin/rotsim), ROTSIM_TOP (the source tree,
# default .).
set -u
top=${ROTSIM_TOP:-.}
rotsim=${ROTSIM:-$top/build/bin/rotsim}
readme=$top/scenarios/README.md
scn_dir=${ROTSIM_SCENARIOS:-$top/scenarios}
mode=${1:-check}

die() { echo "readme.sh: $*" >&2; exit 2; }
[ -x "$rotsim" ] || die "no rotsim at $rotsim (set ROTSIM)"
[ -r "$readme" ] || die "no $readme"

# The reference agent's stock devices, as the README's columns must name them.
profiles=()
for f in "$top"/targets/firmware/devices/*.device; do
	p=${f##*/}
	profiles+=("${p%.device}")
done

# The cells of one scenario, from `rotsim show`: "name|cell|cell|..." in the
# order of the README's header columns (given as arguments).
cells() {
	local name=$1; shift
	"$rotsim" show "$name" --scenarios "$scn_dir" | awk -v cols="$*" '
		BEGIN { n = split(cols, col, " ") }
		/^devices:/ {
			sub(/^devices: */, "")
			m = split($0, d, /, */)
			for (i = 1; i <= m; i++) isdev[d[i]] = 1
		}
		/^phase / { np++; off[np] = 0 }
		/^  device: +powered off/ { off[np] = 1 }
		/^  expect: / {
			dev = $2; o = $3; tier = $4
			c = o == "updated" ? "U" : o == "current" ? "C" : o == "rejected" ? "R" \
				: o == "unreachable" ? "N" : o == "insecure" ? "I" : "?"
			if (tier == "Recommended") c = tolower(c)
			code[dev, np] = c
		}
		END {
			line = ""
			for (i = 1; i <= n; i++) {
				cell = ""
				if (!(col[i] in isdev)) cell = "-"
				else for (k = 1; k <= np; k++) {
					v = off[k] ? "." : ((col[i], k) in code ? code[col[i], k] : "?")
					cell = cell (k > 1 ? " " : "") v
				}
				line = line "|" cell
			}
			print line
		}'
}

# The README's header: the first table row whose first cell is "name".
header=$(grep -m1 -E '^\| *name *\|' "$readme") || die "README has no table header starting with | name |"
IFS='|' read -r -a hcells <<<"$header"
cols=()
for ((i = 4; i < ${#hcells[@]}; i++)); do
	c=$(sed 's/^ *//; s/ *$//; s/`//g' <<<"${hcells[$i]}")
	[ -n "$c" ] && cols+=("$c")
done

status=0
fail() { echo "FAIL: $*"; status=1; }
# $1 without its leading and trailing spaces (sed 's/^ *//; s/ *$//'), into trimmed.
trim() {
	trimmed=${1#"${1%%[! ]*}"}
	trimmed=${trimmed%"${trimmed##*[! ]}"}
}

# The profile columns are exactly the reference profiles.
want=$(printf '%s\n' "${profiles[@]}" | sort)
have=$(printf '%s\n' "${cols[@]}" | sort)
[ "$want" = "$have" ] || fail "README profile columns ($(echo ${cols[*]})) are not the profiles ($(echo $want))"

names=$("$rotsim" list --names --scenarios "$scn_dir")
[ -n "$names" ] || die "rotsim list shows no scenario"

if [ "$mode" = --print ]; then
	echo "| name |$(printf ' %s |' "${cols[@]}")"
	for n in $names; do
		echo "| \`$n\` $(cells "$n" "${cols[@]}" | sed 's/|/ | /g') |"
	done
	exit 0
fi

# The rows: "| `name` | event | checks | cell | ... |".
# The catalogue's rows: those of the section "## The table" only (the
# per-stack and lab tables below it have rows of their own).
rows=$(awk '/^## / { in_table = ($0 == "## The table") } in_table' "$readme" |
	grep -E '^\| *`[a-z0-9][a-z0-9._+-]*` *\|')
readme_names=$(sed -E 's/^\| *`([^`]*)`.*/\1/' <<<"$rows" | sort)
list_names=$(sort <<<"$names")
missing=$(comm -23 <(echo "$list_names") <(echo "$readme_names"))
extra=$(comm -13 <(echo "$list_names") <(echo "$readme_names"))
dups=$(uniq -d <<<"$readme_names")
[ -z "$missing" ] || fail "README lacks rows for: $(echo $missing)"
[ -z "$extra" ] || fail "README has rows for scenarios rotsim list does not show: $(echo $extra)"
[ -z "$dups" ] || fail "README lists twice: $(echo $dups)"

while IFS= read -r row; do
	[ -n "$row" ] || continue
	# Each row is read in bash: the catalogue has some forty rows of a
	# dozen cells.
	[[ $row =~ ^\|\ *\`([^\`]*)\` ]] || continue
	name=${BASH_REMATCH[1]}
	[[ $'\n'$list_names$'\n' == *$'\n'"$name"$'\n'* ]] || continue
	IFS='|' read -r -a rc <<<"$row"
	# rc[0] empty, rc[1] name, rc[2] event, rc[3] checks, rc[4..] profiles
	[ -n "${rc[2]// /}" ] || fail "$name: empty event cell"
	[[ ${rc[2]} =~ [0-9]{4}|always ]] || fail "$name: the event cell names no date"
	[ -n "${rc[3]// /}" ] || fail "$name: empty 'checks' cell"
	got=""
	for ((i = 4; i < 4 + ${#cols[@]}; i++)); do
		trim "${rc[$i]:-}"
		got+="|$trimmed"
	done
	exp=$(cells "$name" "${cols[@]}")
	if [ "$got" != "$exp" ]; then
		fail "$name: README cells $got, rotsim show gives $exp (columns: ${cols[*]})"
	fi
done <<<"$rows"

[ $status -eq 0 ] && echo "README.md: $(wc -l <<<"$list_names") scenarios, ${#cols[@]} profiles, all cells as rotsim show says"
exit $status
