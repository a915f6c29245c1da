#!/usr/bin/env python3
"""Print the random of every TLS ClientHello a guest sent in the captures given
(filter-dump pcaps: Ethernet, IPv4, TCP), one hex line each.

usage: hello-randoms.py CAPTURE.pcap...

A ClientHello is a TCP segment from the guest whose payload starts a TLS
handshake record (0x16 0x03 0x0N) holding a client_hello (type 1); its random
is the 32 bytes after the handshake header and version. Exits 1 on a file that
is not a pcap.
"""
import struct
import sys


def randoms(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: short file" % path)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("%s: not a pcap" % path)
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 6 or len(ip) < ihl + 20:
            continue
        tcp = ip[ihl:]
        doff = (tcp[12] >> 4) * 4
        pay = tcp[doff:]
        if (len(pay) >= 43 and pay[0] == 0x16 and pay[1] == 3 and pay[5] == 1):
            yield pay[11:43].hex()


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: hello-randoms.py CAPTURE.pcap...\n")
        return 2
    try:
        for p in sys.argv[1:]:
            for r in randoms(p):
                print(r)
    except (OSError, ValueError) as e:
        sys.stderr.write("hello-randoms: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
