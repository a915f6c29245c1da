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
import struct
import sys


def first_syn_hello(path):
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
    syn = None
    while off + 16 <= len(data):
        sec, sub, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        # Ethernet, IPv4, TCP to port 443 whose payload starts a TLS handshake
        # record holding a ClientHello (type 1).
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ihl = (frame[14] & 0x0F) * 4
        tcp = frame[14 + ihl:]
        if len(tcp) < 20 or struct.unpack(">H", tcp[2:4])[0] != 443:
            continue
        if syn is None and tcp[13] & 0x12 == 0x02:
            syn = sec + sub * frac
        payload = tcp[(tcp[12] >> 4) * 4:]
        if len(payload) >= 6 and payload[0] == 0x16 and payload[5] == 1:
            return syn, sec + sub * frac
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
