#!/usr/bin/env python3
"""Split one boot of a phase into its steps, from the evidence the run wrote.

usage: boot-steps.py PHASE_DIR [BOOT]

PHASE_DIR is a phase's directory of a rotsim run on a QEMU target whose /init
prints "rotsim: event boot-times" (targets/qemu-x86_64/init.sh); BOOT is the
boot's number (default 0). Three records are read:
  boot-N.json     host times from the start of QEMU: booted_ms (the console's
                  booted line), ran_ms (QEMU's end), message_ms (a resumed
                  boot: the power-on message sent);
  console-N.log   "rotsim: event boot-times init=I message=M booted=B
                  agent-exit=X": the guest kernel's clock (ms) at /init's
                  start, at the power-on message (-1 when cold), at the booted
                  line and at the agent's exit;
  capture-N.pcap  the frames of the boot: the first SYN to port 443, the first
                  ClientHello, the last TCP frame to or from port 443.
The guest's clock is put on the host's by the booted line (host booted_ms is
guest B); the capture's on the guest's by its last frame, which the agent
sends as it closes its connection, just before it exits (guest X). Prints one
line of ms:
  start     QEMU's start to the kernel's clock at 0: QEMU, firmware, loading
            and unpacking the kernel (cold); QEMU's start, the load of the
            saved machine and the power-on message (resumed)
  kernel    the kernel's clock at 0 to /init (cold; 0 when resumed)
  init      /init to the booted line: modules, clock, network (cold); the
            power-on message to the booted line (resumed)
  agent     the booted line to the agent's connect (its SYN)
  hello     the SYN to the ClientHello
  tls       the ClientHello to the last frame: TLS, HTTP, the download and
            install, the report
  shutdown  the agent's exit to QEMU's end: sync, power-off or reset
  ran       QEMU's start to its end (the sum of the above)
and "way=cold|resumed". Exits 1 when a record is missing or unreadable.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcaptcp import is_client_hello, tcp_frames  # noqa: E402


def capture_times(path):
    """(first SYN, first ClientHello, last frame) on port 443, in seconds."""
    syn = hello = last = None
    for t, sport, dport, flags, payload in tcp_frames(path):
        if 443 not in (sport, dport):
            continue
        last = t
        if syn is None and dport == 443 and flags & 0x12 == 0x02:
            syn = t
        if hello is None and dport == 443 and is_client_hello(payload):
            hello = t
    return syn, hello, last


def main(argv):
    if len(argv) not in (1, 2):
        print("usage: boot-steps.py PHASE_DIR [BOOT]", file=sys.stderr)
        return 2
    d, n = argv[0], argv[1] if len(argv) == 2 else "0"
    me = "boot-steps"
    try:
        with open(f"{d}/boot-{n}.json") as f:
            boot = json.load(f)
        with open(f"{d}/console-{n}.log", "rb") as f:
            console = f.read().decode(errors="replace")
        syn, hello, last = capture_times(f"{d}/capture-{n}.pcap")
    except (OSError, ValueError) as e:
        print(f"{me}: {d}: boot {n}: {e}", file=sys.stderr)
        return 1
    m = re.search(r"rotsim: event boot-times init=(-?\d+) message=(-?\d+) "
                  r"booted=(-?\d+) agent-exit=(-?\d+)", console)
    if m is None:
        print(f"{me}: {d}/console-{n}.log: no boot-times line", file=sys.stderr)
        return 1
    g_init, g_message, g_booted, g_exit = (int(x) for x in m.groups())
    if syn is None or hello is None or last is None:
        print(f"{me}: {d}/capture-{n}.pcap: no SYN, ClientHello or last frame "
              "on port 443", file=sys.stderr)
        return 1
    booted, ran = boot.get("booted_ms"), boot.get("ran_ms")
    if not isinstance(booted, int) or not isinstance(ran, int) or booted < 0:
        print(f"{me}: {d}/boot-{n}.json: no booted_ms or ran_ms", file=sys.stderr)
        return 1
    way = boot.get("boot", "cold")
    if way == "resumed":
        start = boot.get("message_ms", -1)
        kernel = 0
        init = booted - start
    else:
        start = booted - g_booted
        kernel = g_init
        init = g_booted - g_init
    wire = round((last - syn) * 1000)
    steps = {
        "start": start,
        "kernel": kernel,
        "init": init,
        "agent": (g_exit - g_booted) - wire,
        "hello": round((hello - syn) * 1000),
        "tls": round((last - hello) * 1000),
        "shutdown": ran - (booted + g_exit - g_booted),
        "ran": ran,
    }
    print(" ".join(f"{k}={v}" for k, v in steps.items()) + f" way={way}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
