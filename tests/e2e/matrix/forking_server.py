# SPDX-License-Identifier: MIT
"""forking_server.py HOST PORT: socketserver.ForkingTCPServer, a child per
connection, answering any request with "ok" in HTTP/1.0 without a length:
the server closes first (the client reads to end of file). socketserver
shuts the connection down (SHUT_WR) before it closes it, in the child,
then the child leaves with os._exit; the parent closes its copy at once."""
import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n")


socketserver.ForkingTCPServer.allow_reuse_address = True
with socketserver.ForkingTCPServer((sys.argv[1], int(sys.argv[2])), Handler) as s:
    s.serve_forever()
