# SPDX-License-Identifier: MIT
"""lingering_server.py PORT DELAY_MS READY_FILE: an HTTP/1.1 keep-alive
server on 127.0.0.1:PORT that answers every request with "ok" and, once
the client has closed, waits DELAY_MS before it closes too: the client's
socket stays in FIN_WAIT2 (not TIME_WAIT) that long. Writes the port to
READY_FILE once listening; runs until killed."""
import os
import socket
import sys
import threading
import time

port, delay, ready = int(sys.argv[1]), int(sys.argv[2]) / 1000, sys.argv[3]
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"


def serve(conn):
    buf = b""
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            buf += data
            while b"\r\n\r\n" in buf:
                _, buf = buf.split(b"\r\n\r\n", 1)
                conn.sendall(RESPONSE)
        time.sleep(delay)


lst = socket.socket()
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", port))
lst.listen(128)
with open(ready + ".tmp", "w") as f:
    f.write(str(port))
os.rename(ready + ".tmp", ready)
while True:
    c, _ = lst.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
