#!/usr/bin/env bash
# The nightly pipelines (ci/github/nightly.yml, ci/gitlab-ci.yml) parse as
# YAML, have the jobs the nightly needs (build, shards, merge), their shell is
# valid bash, and they call only what exists: every `rotsim VERB` is a verb of
# `rotsim --help` and each of its --options is in `rotsim VERB --help`; every
# `make TARGET` is a target (`make -n TARGET` succeeds); every ci/ script they
# name exists; ci/expected-failures is accepted by rotsim report. And they keep
# the rules of ci/README.md: GitLab runs only on its schedule or by hand
# (workflow: and rules:, evaluated here for each pipeline source) and takes its
# baseline from a per-branch cache saved whatever the status; GitHub has
# concurrency:, timeout-minutes: on every job, if: always() on every publish
# step and the report in the step summary; both leave the initrds of the
# QEMU cases out of their artifacts (the patterns are matched against sample paths)
# after recording their hashes; each job installs its own make deps-PURPOSE.
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
    if job.get("after_script"):
        scripts.append(("gitlab-" + name + "-after", "\n".join(flat(job["after_script"]))))
if not isinstance(gl["shard"].get("parallel"), int) or gl["shard"]["parallel"] < 2:
    fail("gitlab: shard is not parallel")
needs = [n if isinstance(n, str) else n["job"] for n in gl["merge"]["needs"]]
if "shard" not in needs:
    fail("gitlab: merge does not wait for the shards")

# ---- The rules that make the pipelines fit to run every night ----

# Artifact exclusions, matched the way both services read them: "**" any
# number of folders, "*" within one name.
def glob_re(pat):
    out, i = "", 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out += "(?:.*/)?"; i += 3
        elif pat.startswith("**", i):
            out += ".*"; i += 2
        elif pat[i] == "*":
            out += "[^/]*"; i += 1
        else:
            out += re.escape(pat[i]); i += 1
    return re.compile(out + "$")

def excluded(pats, path):
    return any(glob_re(p).match(path) for p in pats)

# A results folder's files: the initrds are rebuilt from the images and must
# be left out; the rest are evidence and must stay.
def check_exclusions(where, folder, pats):
    case = folder + "/cases/le-r3-to-r10/root-x1@qemu-x86_64"
    for drop in ("/initrd.img", "/01-before/initrd-1.img", "/12-after/initrd-3.img"):
        if not excluded(pats, case + drop):
            fail("%s: the artifact of %s keeps %s, which make images recreates (exclude it)"
                 % (where, folder, drop))
    for keep in ("/01-before/console.log", "/01-before/capture.pcap", "/01-before/keylog.txt",
                 "/01-before/server.log", "/01-before/run.json", "/01-before/boot-1.cmd",
                 "/etc/device", "/etc/anchors/isrg-root-x1.pem", "/flash.img"):
        if excluded(pats, case + keep):
            fail("%s: the artifact of %s leaves out %s, which is evidence" % (where, folder, keep))
    for keep in ("summary.json", "junit.xml", "reproducible-inputs.txt"):
        if excluded(pats, folder + "/" + keep):
            fail("%s: the artifact of %s leaves out %s" % (where, folder, keep))

# The make deps-PURPOSE each job must call: a job installs what it uses.
job_deps = {"build": "deps-build", "shard": "deps-run", "merge": "deps-report",
            "verdict": "deps-report"}
def check_deps(where, name, text):
    called = re.findall(r"(?:^|[;&|]|\bthen)\s*make\s+(deps(?:-[a-z]+)?)\b", text, re.M)
    if not called:
        fail("%s: job %s installs nothing with make deps-PURPOSE" % (where, name))
    if "deps" in called:
        fail("%s: job %s runs make deps (everything); call its make deps-PURPOSE" % (where, name))
    if name in job_deps and job_deps[name] not in called:
        fail("%s: job %s calls %s, not %s" % (where, name, " ".join(called), job_deps[name]))

# GitHub.
conc = gh.get("concurrency")
if not conc or not (isinstance(conc, str) or conc.get("group")):
    fail("github: no concurrency group")
if isinstance(conc, dict) and conc.get("cancel-in-progress") is True:
    fail("github: concurrency cancels a running nightly (no report, no baseline)")
for name, job in jobs.items():
    t = job.get("timeout-minutes")
    if not isinstance(t, int) or not 0 < t <= 360:
        fail("github: job %s has no timeout-minutes (got %r)" % (name, t))
    check_deps("github", name, "\n".join(st.get("run", "") for st in job["steps"]))
def always(step):
    return "always()" in str(step.get("if", ""))
summary = False
for name in ("shard", "merge"):
    steps = jobs[name]["steps"]
    for k, st in enumerate(steps):
        if "actions/upload-artifact" not in st.get("uses", ""):
            continue
        if not always(st):
            fail("github: %s: publish step %r does not run if: always()" % (name, st.get("name", k)))
        paths = [l.strip() for l in str(st["with"]["path"]).splitlines() if l.strip()]
        incl = [l for l in paths if not l.startswith("!")]
        pats = [l[1:] for l in paths if l.startswith("!")]
        for d in incl:
            if d.endswith((".json", ".xml")):
                continue
            d = re.sub(r"\$\{\{[^}]*\}\}", "1", d).rstrip("/")
            check_exclusions("github " + name, d, pats)
            recorded = [s2 for s2 in steps[:k] if "ci/artifact-inputs.sh" in s2.get("run", "")]
            if not recorded or not all(always(s2) for s2 in recorded):
                fail("github: %s: no if: always() ci/artifact-inputs.sh before uploading %s" % (name, d))
    for st in steps:
        if always(st) and "GITHUB_STEP_SUMMARY" in st.get("run", "") and "report.md" in st["run"]:
            summary = True
        if re.search(r"(mikepenz/action-junit-report|dorny/test-reporter|"
                     r"EnricoMi/publish-unit-test-result-action)", st.get("uses", "")) and always(st):
            summary = True
if not summary:
    fail("github: the report is not shown (report.md to $GITHUB_STEP_SUMMARY, or a JUnit action, if: always())")
base_up = [st for st in jobs["merge"]["steps"]
           if st.get("with", {}).get("name") == "nightly-summary"]
if not base_up or not always(base_up[0]):
    fail("github: the summary kept as the next baseline is not uploaded if: always()")

# GitLab: which pipelines run. The rules are evaluated for each source; an
# `if:` may compare $CI_PIPELINE_SOURCE with == or != and join with || and &&.
def eval_if(expr, source):
    def atom(a):
        m = re.fullmatch(r'\s*\$CI_PIPELINE_SOURCE\s*(==|!=)\s*"([a-z_]+)"\s*', a)
        if not m:
            fail("gitlab: cannot evaluate rule %r here (compare $CI_PIPELINE_SOURCE only)" % expr)
        return (source == m.group(2)) == (m.group(1) == "==")
    return any(all(atom(a) for a in alt.split("&&")) for alt in expr.split("||"))
def runs(rules, source):
    for r in rules:
        if "if" not in r or eval_if(r["if"], source):
            return r.get("when", "on_success") != "never"
    return False
wf = gl.get("workflow", {}).get("rules")
if not wf:
    fail("gitlab: no workflow: rules (the nightly would run on every push)")
if not runs(wf, "schedule"):
    fail("gitlab: workflow: rules do not run the scheduled pipeline")
for src in ("push", "merge_request_event", "external_pull_request_event", "trigger",
            "pipeline", "parent_pipeline", "api", "chat", "webide"):
    if runs(wf, src):
        fail("gitlab: workflow: rules run the nightly on a %s pipeline" % src)
def resolve(name):
    job = dict(gl[name])
    ext = job.get("extends")
    for e in ([ext] if isinstance(ext, str) else ext or []):
        base = resolve(e)
        base.update(job)
        job = base
    return job
for name in [n for n in gl if not n.startswith(".") and isinstance(gl[n], dict) and "script" in gl[n]]:
    job = resolve(name)
    if "rules" not in job:
        fail("gitlab: job %s has no rules: (needed when this file is included)" % name)
    if runs(job["rules"], "push") or not runs(job["rules"], "schedule"):
        fail("gitlab: job %s: its rules do not run it on the schedule alone" % name)
    if not re.fullmatch(r"\d+\s*(h|m|min|minutes|hours?)(\s*\d+\s*(m|min|minutes))?", str(job.get("timeout", ""))):
        fail("gitlab: job %s has no timeout" % name)
    text = "\n".join(flat(job["script"]))
    check_deps("gitlab", name, text)
    art = job.get("artifacts", {})
    for d in art.get("paths", []):
        if not d.startswith("results/"):
            continue
        d = d.replace("$CI_NODE_INDEX", "1").rstrip("/")
        if art.get("when") != "always":
            fail("gitlab: job %s: results are not kept when it fails (artifacts: when: always)" % name)
        check_exclusions("gitlab " + name, d, art.get("exclude", []))
        if "ci/artifact-inputs.sh" not in "\n".join(flat(job.get("after_script"))):
            fail("gitlab: job %s: ci/artifact-inputs.sh does not run in after_script" % name)
merge = resolve("merge")
if not any(r.get("when") == "always" for r in merge["rules"]):
    fail("gitlab: merge does not run when a shard failed (rules: when: always)")
# The baseline: read from a cache of its own, per branch, saved whatever the
# job's status; never from the latest successful pipeline's artifacts.
mtext = "\n".join(flat(merge["script"]))
m = re.search(r"--baseline\s+([^\s\"]+)", mtext)
if not m:
    fail("gitlab: merge passes no --baseline")
cache = merge.get("cache") or {}
cpaths = [c.rstrip("/") + "/" for c in cache.get("paths", [])]
if not any(m.group(1).startswith(c) for c in cpaths):
    fail("gitlab: the baseline %s is not in merge's cache" % m.group(1))
if cache.get("when") != "always":
    fail("gitlab: the baseline cache is not saved when the job fails (cache: when: always)")
if "$CI_COMMIT_REF_SLUG" not in str(cache.get("key", "")):
    fail("gitlab: the baseline cache is not one per branch")
if "jobs/artifacts/" in mtext:
    fail("gitlab: the baseline comes from the latest successful pipeline's artifacts")
keep = re.search(r"^\s*cp\s+results/merged/summary\.json\s+" + re.escape(cpaths[0]), mtext, re.M)
if not keep:
    fail("gitlab: merge does not keep its summary as the next baseline")
# A failing night (rotsim report exit 1) must become the baseline too.
ifs = re.findall(r"^\s*if\s+(.*)$", mtext[:keep.start()], re.M)
guard = ifs[-1] if ifs else ""
if "rc" in guard and not re.search(r'"?\$rc"?\s+-le\s+1', guard):
    fail("gitlab: merge keeps only some nights' summaries as the baseline: %s" % guard.strip())

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
n_rotsim=0 n_make=0 make_targets=()
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
		make_targets+=("$rest")
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
# Every make target they call is one (`make -n` succeeds): the distinct ones
# in one make, which reads the makefiles once; when that fails, one make
# each, to name the target that is not one.
mapfile -t make_targets < <(printf '%s\n' "${make_targets[@]}" | LC_ALL=C sort -u)
if ! make -n -s "${make_targets[@]}" BUILD="$tmp/build" > /dev/null 2>&1; then
	for t in "${make_targets[@]}"; do
		make -n -s "$t" BUILD="$tmp/build" > /dev/null 2>&1 \
			|| fail "the pipelines call make $t: no such target"
	done
	fail "make -n ${make_targets[*]} fails, though each target alone does not"
fi

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
