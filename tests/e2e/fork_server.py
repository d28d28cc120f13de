# SPDX-License-Identifier: MIT
"""An accept-then-fork server, as PostgreSQL's postmaster or inetd: the
parent accepts and forks, then closes its copy; the child answers "ok\n"
and ends while it still holds the connection, so the kernel's close of it
is the last and nobody calls close() for it.

Usage: fork_server.py PORT N END READY_FILE
  END exit: the child calls exit() (the shim's exit handling runs);
      _exit: the child calls os._exit() (nothing of the shim runs).
Serves N connections, waits for every child, then exits 0.
"""
import os
import socket
import sys

port, n, end, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(64)
with open(ready + ".tmp", "w") as f:
    f.write(str(port))
os.rename(ready + ".tmp", ready)
children = []
for _ in range(n):
    conn, _ = listener.accept()
    pid = os.fork()
    if pid == 0:
        listener.close()
        conn.sendall(b"ok\n")
        if end == "exit":
            sys.exit(0)
        os._exit(0)
    children.append(pid)
    conn.close()
for pid in children:
    os.waitpid(pid, 0)
