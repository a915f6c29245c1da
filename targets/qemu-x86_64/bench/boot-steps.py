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
import re
import struct
import sys


def capture_times(path):
    """(first SYN, first ClientHello, last frame) on port 443, in seconds."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("short file")
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        end, frac = "<", 1e-6
    elif magic == b"\xa1\xb2\xc3\xd4":
        end, frac = ">", 1e-6
    elif magic == b"\x4d\x3c\xb2\xa1":
        end, frac = "<", 1e-9
    else:
        raise ValueError("not a pcap file")
    off = 24
    syn = hello = last = None
    while off + 16 <= len(data):
        sec, sub, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        # Ethernet, IPv4, TCP, one end on port 443.
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ihl = (frame[14] & 0x0F) * 4
        tcp = frame[14 + ihl:]
        if len(tcp) < 20:
            continue
        sport, dport = struct.unpack(">HH", tcp[0:4])
        if 443 not in (sport, dport):
            continue
        t = sec + sub * frac
        last = t
        if syn is None and dport == 443 and tcp[13] & 0x12 == 0x02:
            syn = t
        payload = tcp[(tcp[12] >> 4) * 4:]
        if (hello is None and dport == 443 and len(payload) >= 6
                and payload[0] == 0x16 and payload[5] == 1):
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
