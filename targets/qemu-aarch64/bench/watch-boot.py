#!/usr/bin/env python3
"""Time one boot while a command runs it: boot-times.sh's stopwatch.

usage: watch-boot.py CMDFILE CONSOLE EVENTS -- COMMAND [ARG ...]

Runs COMMAND (rotsim run, or boot.sh) and, while it runs, reads CONSOLE every
10 ms, noting the host time at which "rotsim: booted" and "rotsim: agent-start"
first appear in it. The boot's start is the modification time of CMDFILE, which
the harness (boot-N.cmd) and boot.sh (qemu.cmd) write just before they start
QEMU or the agent. The check-in is the "real" time of the first POST /report in
EVENTS, the update server's event log ("-" when there is none). Prints one line,

    booted_ms=N agent_ms=N checkin_ms=N wall_ms=N

with -1 for what did not happen, and exits with COMMAND's status (1 when the
boot left no CMDFILE). The command runs in its own process group, which is
killed if this script is interrupted; it also dies with this script.
"""
import ctypes
import datetime
import json
import os
import signal
import subprocess
import sys
import time

POLL = 0.01
MARKS = {"booted": b"rotsim: booted", "agent": b"rotsim: agent-start"}


def die_with_parent():
    # PR_SET_PDEATHSIG: the command (and, through the harness, its QEMU) must
    # not outlive the benchmark.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def checkin_time(events):
    """The host time of the first POST /report, or None."""
    if events == "-" or not os.path.exists(events):
        return None
    with open(events) as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event") == "request" and e.get("method") == "POST" \
                    and e.get("path") == "/report":
                t = datetime.datetime.strptime(e["real"], "%Y-%m-%dT%H:%M:%S.%fZ")
                return t.replace(tzinfo=datetime.timezone.utc).timestamp()
    return None


def main(argv):
    if len(argv) < 5 or argv[3] != "--":
        print("usage: watch-boot.py CMDFILE CONSOLE EVENTS -- COMMAND [ARG ...]",
              file=sys.stderr)
        return 2
    cmdfile, console, events, command = argv[0], argv[1], argv[2], argv[4:]
    seen = {}
    start = time.time()
    p = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True,
                         preexec_fn=die_with_parent)
    try:
        while True:
            done = p.poll() is not None
            if len(seen) < len(MARKS):
                try:
                    with open(console, "rb") as f:
                        text = f.read()
                except OSError:
                    text = b""
                now = time.time()
                for k, m in MARKS.items():
                    if k not in seen and m in text:
                        seen[k] = now
            if done:
                break
            time.sleep(POLL)
    except BaseException:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait()
        raise
    wall = time.time() - start
    if not os.path.exists(cmdfile):
        print(f"watch-boot: no {cmdfile}: the boot did not start", file=sys.stderr)
        return 1 if p.returncode == 0 else abs(p.returncode)
    t0 = os.stat(cmdfile).st_mtime

    def ms(t):
        return -1 if t is None else round((t - t0) * 1000)
    print(f"booted_ms={ms(seen.get('booted'))} agent_ms={ms(seen.get('agent'))} "
          f"checkin_ms={ms(checkin_time(events))} wall_ms={round(wall * 1000)}")
    return p.returncode if p.returncode >= 0 else 128 - p.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
