#!/usr/bin/env python3
"""A plain HTTP test server standing in for the update server.

usage: httpd.py PORTFILE LOGFILE

Binds 127.0.0.1 on a port the kernel chooses, writes the port to PORTFILE
(atomically, once it listens), answers every GET with 200 and the body
"rotsim-probe-ok path=PATH", and appends one line per request to LOGFILE:
"request METHOD PATH user-agent=UA". Runs until killed.
"""
import http.server
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("rotsim-probe-ok path=%s\n" % self.path).encode()
        with open(sys.argv[2], "a") as log:
            log.write("request %s %s user-agent=%s\n"
                      % (self.command, self.path, self.headers.get("User-Agent", "-")))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: httpd.py PORTFILE LOGFILE\n")
        sys.exit(2)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, sys.argv[1])
    srv.serve_forever()


main()
