#!/usr/bin/env python3
"""Hostile clients against `rotsim serve`, for sim/server/tests/hostile.sh.

usage: hostile.py PORT SECONDS N STATS

Runs N clients in one process for SECONDS, or until SIGTERM, in four kinds
(a quarter each):
  hello    TCP: a TLS record header, then a ClientHello one byte every 0.2 s
  silent   TCP: connects and sends nothing
  record   TLS: a full handshake, then one application-data record whose bytes
           trickle in one every 0.2 s (the record never completes)
  header   TLS: a full handshake, then "GET /manifest HTTP/1.1\\r\\n" one byte
           every 0.2 s, never reading the answer
None ever closes its connection: each waits for the server to drop it, then
connects again after a pause. STATS is written at the end as JSON: connections
made and dropped per kind; it is written before the connections are let go,
so while it does not exist every client still holds on. Loopback only.
"""
import json
import random
import selectors
import signal
import socket
import ssl
import sys
import time

KINDS = ("hello", "silent", "record", "header")
TRICKLE = 0.2
PAUSE = 0.3


class Client:
    def __init__(self, kind, port, ctx):
        self.kind, self.port, self.ctx = kind, port, ctx
        self.sock = self.tls = None
        self.state = "pause"
        self.sent = 0
        self.next_at = time.monotonic() + random.random()
        self.sent = 0
        self.connected = 0
        self.dropped = 0

    def connect(self, sel):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            self.pause()
            return
        self.sock, self.sent, self.state = s, 0, "connecting"
        sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ, self)

    def pause(self):
        self.sock = self.tls = None
        self.state = "pause"
        self.sent = 0
        self.next_at = time.monotonic() + PAUSE * (0.5 + random.random())

    def drop(self, sel):
        if self.sock is not None:
            try:
                sel.unregister(self.sock)
            except (KeyError, ValueError):
                pass
            self.sock.close()
            if self.state != "connecting":
                self.dropped += 1
        self.pause()

    def connected_now(self, sel):
        self.connected += 1
        if self.kind in ("record", "header"):
            # TLS over memory buffers, so that raw bytes can go on the
            # socket beside the records.
            self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
            self.tls = self.ctx.wrap_bio(self.inc, self.out,
                                         server_hostname="updates.rotsim.test")
            self.state = "handshake"
            sel.modify(self.sock, selectors.EVENT_READ, self)
            self.handshake(sel)
            return
        self.state = "trickle" if self.kind == "hello" else "silent"
        sel.modify(self.sock, selectors.EVENT_READ, self)
        self.next_at = time.monotonic()

    def on_event(self, sel, mask):
        if self.state == "connecting":
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.drop(sel)
                return
            self.connected_now(sel)
            return
        if self.state == "handshake":
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self.drop(sel)
                return
            self.inc.write(data)
            self.handshake(sel)
            return
        if mask & selectors.EVENT_READ:
            # The server drops us with an end of file or a reset; anything
            # else it sends (an alert) is read and ignored.
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self.drop(sel)

    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def handshake(self, sel):
        try:
            self.tls.do_handshake()
            done = True
        except ssl.SSLWantReadError:
            done = False
        except (ssl.SSLError, OSError):
            self.drop(sel)
            return
        try:
            self.flush()
        except OSError:
            self.drop(sel)
            return
        if not done:
            return
        self.state = "trickle"
        self.next_at = time.monotonic()
        if self.kind == "header":
            # Never reads again: a drop shows as a failing write.
            sel.unregister(self.sock)

    def tick(self, sel, now):
        if self.state == "pause":
            if now >= self.next_at:
                self.connect(sel)
            return
        if self.state != "trickle" or now < self.next_at:
            return
        self.next_at = now + TRICKLE
        try:
            if self.kind == "hello":
                if self.sent == 0:
                    self.sock.send(b"\x16\x03\x01\x02\x00")
                self.sock.send(b"\x01")
            elif self.kind == "record":
                if self.sent == 0:
                    self.sock.send(b"\x17\x03\x03\x40\x00")
                self.sock.send(b"\x00")
            elif self.kind == "header":
                line = b"GET /manifest HTTP/1.1\r\n"
                self.tls.write(line[self.sent % len(line):self.sent % len(line) + 1])
                self.flush()
            self.sent += 1
        except (ssl.SSLWantWriteError, BlockingIOError):
            pass
        except (ssl.SSLError, OSError):
            self.drop(sel)


def main():
    port, secs, n, stats_path = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sel = selectors.DefaultSelector()
    clients = [Client(KINDS[i % len(KINDS)], port, ctx) for i in range(n)]
    end = time.monotonic() + secs
    stopped = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopped.append(signum))
    while not stopped:
        now = time.monotonic()
        if now >= end:
            break
        for key, mask in sel.select(timeout=0.05):
            key.data.on_event(sel, mask)
        now = time.monotonic()
        for c in clients:
            c.tick(sel, now)
    stats = {k: {"connected": 0, "dropped": 0, "open": 0} for k in KINDS}
    for c in clients:
        stats[c.kind]["connected"] += c.connected
        stats[c.kind]["dropped"] += c.dropped
        stats[c.kind]["open"] += c.sock is not None
    with open(stats_path, "w") as f:
        json.dump(stats, f)


if __name__ == "__main__":
    main()
