#!/usr/bin/env python3
"""Print when a QEMU guest opened its first connection to port 443 and when it
sent its first TLS ClientHello, in ms after power-on.

usage: first-hello.py CAPTURE.pcap DATE

CAPTURE is the filter-dump capture of one boot whose guest RTC started at DATE
(YYYY-MM-DD, as -rtc base= took it). filter-dump stamps frames with the guest's
clock, so a frame's time minus DATE is the time since power-on. Prints
"syn_ms=N hello_ms=N" (-1 for what was not sent); the difference is how long
the client took between connecting and its first handshake message (a guest
without entropy waits there for its random pool). Exits 1 on a file that is
not a pcap.
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcaptcp import is_client_hello, tcp_frames  # noqa: E402


def first_syn_hello(path):
    """(first SYN, first ClientHello) to port 443, in seconds."""
    syn = None
    for t, _, dport, flags, payload in tcp_frames(path):
        if dport != 443:
            continue
        if syn is None and flags & 0x12 == 0x02:
            syn = t
        if is_client_hello(payload):
            return syn, t
    return syn, None


def main(argv):
    if len(argv) != 2:
        print("usage: first-hello.py CAPTURE.pcap DATE", file=sys.stderr)
        return 2
    base = datetime.datetime.strptime(argv[1], "%Y-%m-%d").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    try:
        syn, hello = first_syn_hello(argv[0])
    except (OSError, ValueError) as e:
        print(f"first-hello: {argv[0]}: {e}", file=sys.stderr)
        return 1
    def ms(t):
        return -1 if t is None else round((t - base) * 1000)
    print(f"syn_ms={ms(syn)} hello_ms={ms(hello)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
