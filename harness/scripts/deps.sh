#!/usr/bin/env bash
# make deps: install the Debian packages rotsim needs. Quick and quiet when all
# are present; as root it runs apt-get, otherwise it prints the exact line to run.
#
# usage: deps.sh [--as NAME] PACKAGE...
# NAME (default "make deps") begins every message, so that a CI log says which
# of make deps-build, deps-run, deps-report or deps-test spoke.
set -eu
me="make deps"
if [ "${1:-}" = "--as" ]; then
	[ $# -ge 2 ] || { echo "usage: deps.sh [--as NAME] PACKAGE..." >&2; exit 2; }
	me="make $2"
	shift 2
fi
missing=()
native=$(dpkg --print-architecture 2>/dev/null)
for p in "$@"; do
	# A name without an architecture means the machine's own (or all): with
	# multiarch, dpkg-query answers for every architecture installed.
	case $p in *:*) want='.*' ;; *) want="($native|all)" ;; esac
	dpkg-query -W -f='${Status} ${Architecture}\n' "$p" 2>/dev/null |
		grep -Eqx "install ok installed $want" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
# A package of another architecture (libssl-dev:arm64) needs that architecture
# enabled (dpkg --add-architecture), then fresh package lists.
archs=()
for p in "${missing[@]}"; do
	case $p in *:*) a=${p##*:} ;; *) continue ;; esac
	[ "$a" = "$native" ] && continue
	dpkg --print-foreign-architectures 2>/dev/null | grep -qx "$a" && continue
	case " ${archs[*]} " in *" $a "*) ;; *) archs+=("$a") ;; esac
done
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "$me: missing packages: ${missing[*]}" >&2
	add=
	for a in "${archs[@]}"; do add="${add}dpkg --add-architecture $a && "; done
	echo "$me: as root, run: ${add}apt-get update && $line" >&2
	exit 1
fi
echo "$me: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
for a in "${archs[@]}"; do
	echo "$me: enabling $a packages (dpkg --add-architecture $a)"
	dpkg --add-architecture "$a"
done
# A fresh machine's package lists may be empty or old (or lack an architecture
# just enabled); refresh them once.
if [ ${#archs[@]} -gt 0 ] ||
	! apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
	apt-get update -q
	apt-get install -y --no-install-recommends "${missing[@]}"
fi
