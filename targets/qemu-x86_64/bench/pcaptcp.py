"""The TCP frames of a pcap file, for the boot benches (first-hello.py,
boot-steps.py): Ethernet, IPv4, TCP; the classic format in either byte order,
with micro- or nanosecond stamps."""
import struct


def tcp_frames(path):
    """Yield (time in s, source port, destination port, TCP flags, payload)
    for each Ethernet/IPv4/TCP frame of the capture at PATH. Raises
    ValueError on a file that is not a pcap, OSError when it cannot be read."""
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
    while off + 16 <= len(data):
        sec, sub, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ihl = (frame[14] & 0x0F) * 4
        tcp = frame[14 + ihl:]
        if len(tcp) < 20:
            continue
        sport, dport = struct.unpack(">HH", tcp[0:4])
        yield sec + sub * frac, sport, dport, tcp[13], tcp[(tcp[12] >> 4) * 4:]


def is_client_hello(payload):
    """Whether a TCP payload starts a TLS handshake record holding a
    ClientHello (handshake type 1)."""
    return len(payload) >= 6 and payload[0] == 0x16 and payload[5] == 1
