#!/usr/bin/env bash
# The nightly pipelines (ci/github/nightly.yml, ci/gitlab-ci.yml) parse as
# YAML, have the jobs the nightly needs (build, shards, merge), their shell is
# valid bash, and they call only what exists: every `rotsim VERB` is a verb of
# `rotsim --help` and each of its --options is in `rotsim VERB --help`; every
# `make TARGET` is a target (`make -n TARGET` succeeds); every ci/ script they
# name exists; ci/expected-failures is accepted by rotsim report.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_TOP:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROTSIM_TOP"
py=/usr/bin/python3
[ -x $py ] || py=python3
$py -c 'import yaml' 2> /dev/null || fail "python3-yaml is not installed (make deps)"

# The shell of each pipeline, one script per step or job, and a list of the
# commands they run, from the parsed YAML.
$py - "$tmp" <<'EOF' || fail "pipeline structure"
import os, re, sys, yaml
out = sys.argv[1]

def flat(x):
    if isinstance(x, list):
        for i in x:
            yield from flat(i)
    elif isinstance(x, dict):
        # A script line with ": " in it, unquoted, is read as a mapping.
        fail("a script line parsed as a mapping (quote it): %r" % x)
    elif x is not None:
        yield str(x)

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

scripts = []
gh = yaml.safe_load(open("ci/github/nightly.yml"))
on = gh.get("on", gh.get(True))
if not on or "schedule" not in on:
    fail("github: not scheduled")
jobs = gh["jobs"]
for j in ("build", "shard", "merge"):
    if j not in jobs:
        fail("github: no job " + j)
for name, job in jobs.items():
    if "runs-on" not in job or not job.get("steps"):
        fail("github: job %s lacks runs-on or steps" % name)
    for k, step in enumerate(job["steps"]):
        if "run" in step:
            # ${{ ... }} expressions become a word bash accepts.
            s = re.sub(r"\$\{\{[^}]*\}\}", "X", step["run"])
            scripts.append(("github-%s-%d" % (name, k), s))
        elif "uses" not in step:
            fail("github: a step of %s neither runs nor uses" % name)
shards = jobs["shard"]["strategy"]["matrix"]["shard"]
if shards != list(range(1, len(shards) + 1)) or str(len(shards)) != str(gh["env"]["SHARDS"]):
    fail("github: matrix.shard %s does not match SHARDS=%s" % (shards, gh["env"]["SHARDS"]))
if "shard" not in flat(jobs["merge"]["needs"]):
    fail("github: merge does not wait for the shards")

gl = yaml.safe_load(open("ci/gitlab-ci.yml"))
stages = gl["stages"]
for j in ("build", "shard", "merge"):
    if j not in gl:
        fail("gitlab: no job " + j)
for name, job in gl.items():
    if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
        continue
    if job.get("stage") not in stages:
        fail("gitlab: job %s has stage %s, not one of %s" % (name, job.get("stage"), stages))
    s = "\n".join(flat(job.get("before_script"))) + "\n" + "\n".join(flat(job["script"]))
    scripts.append(("gitlab-" + name, s))
if not isinstance(gl["shard"].get("parallel"), int) or gl["shard"]["parallel"] < 2:
    fail("gitlab: shard is not parallel")
needs = [n if isinstance(n, str) else n["job"] for n in gl["merge"]["needs"]]
if "shard" not in needs:
    fail("gitlab: merge does not wait for the shards")

cmds = []
for name, s in scripts:
    open(os.path.join(out, name + ".sh"), "w").write(s + "\n")
    joined = s.replace("\\\n", " ")
    for line in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line)     # comments
        for m in re.finditer(r"\bbin/rotsim\s+(.*)", line):
            cmds.append("rotsim " + m.group(1))
        for m in re.finditer(r"(?:^|[;&|(]|\bthen|\bdo)\s*make\b((?:\s+[^;&|#\s]+)*)", line):
            for w in m.group(1).split():
                if not w.startswith("-") and "=" not in w and "$" not in w and '"' not in w:
                    cmds.append("make " + w)
        for m in re.finditer(r"\b(ci/[A-Za-z0-9_./-]+)", line):
            cmds.append("file " + m.group(1))
open(os.path.join(out, "commands"), "w").write("\n".join(cmds) + "\n")
EOF

# The shell is valid bash.
for s in "$tmp"/*.sh; do
	bash -n "$s" || fail "$(basename "$s"): bash syntax"
done

verbs=$("$ROTSIM" --help | awk '/^verbs:/ { f = 1; next } f && !NF { exit } f { print $1 }')
n_rotsim=0 n_make=0
while read -r kind rest; do
	case $kind in
	rotsim)
		set -- $rest
		verb=$1
		if [[ $verb == -* ]]; then
			"$ROTSIM" "$verb" > /dev/null || fail "rotsim $verb fails"
			continue
		fi
		grep -qx "$verb" <<<"$verbs" || fail "the pipelines call rotsim $verb: no such verb"
		help=$("$ROTSIM" "$verb" --help)
		for w in "$@"; do
			case $w in
			--*) opt=${w%%=*}
			     grep -q -- "$opt\b" <<<"$help" || fail "rotsim $verb has no option $opt" ;;
			esac
		done
		n_rotsim=$((n_rotsim + 1)) ;;
	make)
		make -n -s "$rest" BUILD="$tmp/build" > /dev/null 2>&1 \
			|| fail "the pipelines call make $rest: no such target"
		n_make=$((n_make + 1)) ;;
	file)
		[ -e "$rest" ] || fail "the pipelines name $rest, which does not exist"
		case $rest in *.sh) [ -x "$rest" ] || fail "$rest is not executable" ;; esac ;;
	esac
done < "$tmp/commands"
# Both pipelines run shards and merge them.
[ "$(grep -c '^rotsim run .*--shard' "$tmp/commands")" -eq 2 ] || fail "shard runs"
[ "$(grep -c '^rotsim report --merge' "$tmp/commands")" -eq 2 ] || fail "merges"
[ $n_make -ge 4 ] || fail "only $n_make make calls found"

# The image cache key is stable and changes with targets/.
k1=$(ci/images-key.sh) && k2=$(ci/images-key.sh)
[ -n "$k1" ] && [ "$k1" = "$k2" ] || fail "images-key.sh is not stable"

# ci/expected-failures is a valid file for rotsim report.
mkdir -p "$tmp/run"
cat > "$tmp/run/summary.json" <<'EOF'
{"rotsim":"0.1.0","seed":"rotsim","shard":"1/1","records":[
{"scenario":"s","device":"d","target":"native","phase":"p","date":"2024-07-01T00:00:00Z",
"expected":"updated","tier":"required","observed":"updated","verdict":"pass","reason":"r",
"evidence":"cases/s/d@native/01-p"}]}
EOF
"$ROTSIM" report "$tmp/run" --expected-failures ci/expected-failures -q \
	|| fail "rotsim report refuses ci/expected-failures"
echo "pipelines: ok ($n_rotsim rotsim calls, $n_make make calls checked)"
